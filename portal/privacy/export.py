"""A customer's data to take away (GDPR Art. 15 and 20): everything the portal
holds about them, as JSON for a machine and as a PDF a person reads."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Customer
from portal.privacy.registry import customer_rows

# Never handed out, not even to their owner.
WITHHELD_FIELDS = {"password", "secret", "hashed_key"}


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


@dataclass
class Section:
    label: str  # "billing.invoice"
    title: str  # "invoices", in the reader's language
    fields: list[tuple[str, str]]  # (name, verbose name)
    rows: list[dict[str, Any]]


def _value(field: models.Field, row: models.Model) -> Any:
    value = field.value_from_object(row)
    if isinstance(field, models.FileField):
        return value.name if value else ""
    return value


def _section(model: type[models.Model], rows: list[models.Model]) -> Section:
    fields = [f for f in model._meta.concrete_fields if f.name not in WITHHELD_FIELDS]
    return Section(
        label=model._meta.label_lower,
        title=str(model._meta.verbose_name_plural),
        fields=[(f.name, str(f.verbose_name)) for f in fields],
        rows=[{f.name: _value(f, row) for f in fields} for row in rows],
    )


def _login(customer: Customer) -> dict[str, Any] | None:
    user = customer.user
    if user is None:
        return None
    return {
        "username": user.get_username(),
        "email": user.email,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def customer_export(*, customer: Customer) -> tuple[dict[str, Any], list[Section]]:
    """The customer's login and every row of theirs, table by table."""
    sections = [_section(model, rows) for model, rows in customer_rows(customer=customer).items()]
    sections.sort(key=lambda s: (s.label != "accounts.customer", s.label))
    return {"login": _login(customer)}, sections


def export_json(*, customer: Customer, as_of: dt.datetime) -> bytes:
    login, sections = customer_export(customer=customer)
    data = {
        "generated_at": as_of,
        "controller": {"name": settings.COMPANY_NAME, "address": settings.COMPANY_ADDRESS},
        **login,
        "records": {section.label: section.rows for section in sections},
    }
    return json.dumps(data, cls=_Encoder, indent=2, ensure_ascii=False).encode()


def export_pdf(*, customer: Customer, as_of: dt.datetime) -> bytes:
    login, sections = customer_export(customer=customer)
    with translation.override(customer.language):
        html = render_to_string(
            "portal/privacy/export_pdf.html",
            {
                "customer": customer,
                "login": login["login"],
                "sections": [
                    {
                        "title": section.title,
                        "rows": [
                            [(verbose, _shown(row[name])) for name, verbose in section.fields] for row in section.rows
                        ],
                    }
                    for section in sections
                ],
                "as_of": as_of,
                "company": {"name": settings.COMPANY_NAME, "address": settings.COMPANY_ADDRESS},
            },
        )
    import weasyprint  # loaded when a PDF is made, not at start-up

    return weasyprint.HTML(string=html).write_pdf()


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, dict | list):
        return json.dumps(value, cls=_Encoder, ensure_ascii=False)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)
