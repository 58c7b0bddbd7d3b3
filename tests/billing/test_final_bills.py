"""After the final bill: supplies become ENDED and instalments due after the
end are cancelled; the agents' list of final bills late against the 6-week rule."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Instalment, LedgerEntry
from billing.queries.final_bills import final_bills_due
from billing.services.final_bills import final_bills_conclude
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory, staff_user
from tests.billing.factories import instalment, invoice_issued
from tests.payments.settlement_setup import END, ended_account, final_bill
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

RUN_DAY = dt.date(2026, 7, 7)


@pytest.fixture(autouse=True)
def _no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


def _ending(*, end_date: dt.date, account=None, n: int = 1) -> ServiceAgreement:
    agreement = supplied(account=account or AccountFactory(), n=n, start_date=dt.date(2026, 1, 1))
    ServiceAgreement.objects.filter(pk=agreement.pk).update(status=ServiceAgreement.Status.ENDING, end_date=end_date)
    agreement.refresh_from_db()
    return agreement


def test_the_agreement_ends_once_its_final_bill_is_issued_and_not_before():
    account, agreement = ended_account()

    assert final_bills_conclude(as_of=RUN_DAY) == []
    agreement.refresh_from_db()
    assert agreement.status == ServiceAgreement.Status.ENDING

    invoice = final_bill(account)
    assert final_bills_conclude(as_of=RUN_DAY) == [invoice.pk]
    assert final_bills_conclude(as_of=RUN_DAY) == []
    agreement.refresh_from_db()
    assert agreement.status == ServiceAgreement.Status.ENDED


def test_instalments_due_after_the_end_are_cancelled_and_those_before_are_credited_by_the_final_bill():
    account, _agreement = ended_account(budget=True)
    before = instalment(account, amount=Decimal("50.00"), due_date=dt.date(2026, 6, 15))
    after = instalment(account, amount=Decimal("50.00"), due_date=dt.date(2026, 7, 15))
    invoice = final_bill(account)
    assert invoice.instalments_total == Decimal("50.00")

    final_bills_conclude(as_of=RUN_DAY)
    final_bills_conclude(as_of=RUN_DAY)

    after.refresh_from_db()
    before.refresh_from_db()
    assert before.settled_by == invoice and after.settled_by == invoice
    cancelled = LedgerEntry.objects.get(key=f"instalment-cancelled:{after.pk}")
    assert cancelled.amount == Decimal("-50.00") and cancelled.kind == LedgerEntry.Kind.INSTALMENT_CREDIT
    assert Instalment.objects.filter(account=account, settled_by__isnull=True).count() == 0


def test_late_and_coming_final_bills_are_listed_and_billed_ones_are_not():
    as_of = dt.date(2026, 8, 31)
    late = _ending(end_date=dt.date(2026, 7, 10), n=1)  # due 21 August: late
    coming = _ending(end_date=dt.date(2026, 7, 25), n=2)  # due 5 September: within 7 days
    later = _ending(end_date=dt.date(2026, 8, 20), n=3)  # due 1 October
    billed = _ending(end_date=dt.date(2026, 7, 1), n=4)
    invoice_issued(billed.account, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 7, 1))

    rows = final_bills_due(as_of=as_of, within_days=7)

    assert [row.agreement for row in rows] == [late, coming]
    assert rows[0].is_late and rows[0].days_late == 10
    assert not rows[1].is_late and rows[1].days_left == 5
    assert later not in [row.agreement for row in rows]


def test_the_agents_see_the_final_bills_due_in_few_queries(client, settings, django_assert_max_num_queries):
    settings.LANGUAGE_CODE = "en"
    for n in range(1, 6):
        _ending(end_date=END - dt.timedelta(days=n), n=n)
    client.force_login(staff_user("agent@example.com", group="Agents"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    with django_assert_max_num_queries(14):
        response = client.get(reverse("staff_bills:final_bills"), {"within": "30"})

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="final-bill-') == 5


def test_a_bad_number_of_days_shows_a_message(client, settings):
    client.force_login(staff_user("agent@example.com", group="Agents"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("staff_bills:final_bills"), {"within": "-3"})

    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()


def test_customers_cannot_see_the_final_bills_list(client):
    account = AccountFactory()
    client.force_login(account.customer.user)

    response = client.get(reverse("staff_bills:final_bills"))

    assert response.status_code in (302, 403)
