"""The letters of arrears as PDF (WeasyPrint, no external resources): a
dunning notice and the payment-plan agreement signed by both sides."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from arrears.models import DunningLevel, DunningNotice, DunningProcedure, PaymentPlan
from billing.models import BillingSettings
from core import clock


def _company() -> dict:
    company = BillingSettings.current()
    return {
        "name": settings.COMPANY_NAME,
        "address": settings.COMPANY_ADDRESS,
        "hotline": settings.COMPANY_HOTLINE,
        "email": settings.COMPANY_EMAIL,
        "iban": company.iban,
        "bic": company.bic,
    }


def _pdf(template: str, context: dict, language: str) -> bytes:
    with translation.override(language):
        html = render_to_string(template, {"company": _company(), "language": language, **context})
    import weasyprint  # loaded when a PDF is made, not at start-up

    return weasyprint.HTML(string=html).write_pdf()


def notice_pdf(*, notice: DunningNotice, level: DunningLevel, procedure: DunningProcedure, utility: str) -> bytes:
    account = notice.case.account
    language = account.customer.language
    return _pdf(
        "arrears/documents/notice.html",
        {
            "notice": notice,
            "account": account,
            "customer": account.customer,
            "level_name": level.name(language),
            "level_text": level.text(language),
            "procedure": procedure,
            "utility": utility,
            "site_url": settings.SITE_URL,
        },
        language,
    )


def notice_pdf_ensure(*, notice: DunningNotice) -> bytes:
    """The stored letter of a notice (rendered again only if it was lost)."""
    if notice.letter:
        with notice.letter.open("rb") as handle:
            return handle.read()
    level = DunningLevel.objects.get(procedure=notice.case.procedure, number=notice.level)
    return notice_pdf(notice=notice, level=level, procedure=notice.case.procedure, utility="")


def plan_agreement_pdf(*, plan: PaymentPlan) -> bytes:
    account = plan.account
    language = account.customer.language
    approver = plan.proposed_by or plan.consent_recorded_by
    return _pdf(
        "arrears/documents/plan.html",
        {
            "plan": plan,
            "account": account,
            "customer": account.customer,
            "instalments": list(plan.instalments.all()),
            "approver": approver.get_full_name() or approver.get_username() if approver else "",
            "issued_on": clock.today(),
        },
        language,
    )
