"""The pages after the end of supply: a closed account still sees its bills,
payments and closing letter; another customer gets 404; agents see the
settlements and download and mark the refund transfer files."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from payments.models import PaymentMethod, Refund, RefundBatch, Settlement
from payments.services.payments import payment_external
from payments.services.refund_files import refund_file_write
from payments.services.settlement import settlements_run
from tests.accounts.factories import AccountFactory, staff_user
from tests.payments.settlement_setup import ended_account, final_bill

pytestmark = pytest.mark.django_db

RUN_DAY = dt.date(2026, 7, 7)


@pytest.fixture(autouse=True)
def _no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False
    settings.STRIPE_SECRET_KEY = ""


def _settled(*, credit: bool = False, direct_debit: bool = False, n: int = 1):
    account, _agreement = ended_account(direct_debit=direct_debit, n=n)
    if credit:
        payment_external(
            account=account,
            amount=Decimal("1000.00"),
            received_on=dt.date(2026, 6, 1),
            reference=f"AHEAD-{account.number}",
            method=PaymentMethod.TRANSFER,
            as_of=dt.date(2026, 6, 1),
        )
    invoice = final_bill(account)
    return account, invoice


def _english(client, settings, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_closed_account_still_sees_its_bills_payments_and_closing_letter(client, settings):
    account, invoice = _settled()
    payment_external(
        account=account,
        amount=invoice.gross_total,
        received_on=dt.date(2026, 7, 6),
        reference="FINAL",
        method=PaymentMethod.TRANSFER,
        as_of=dt.date(2026, 7, 6),
    )
    settlements_run(as_of=RUN_DAY)
    settlement = Settlement.objects.get(account=account)
    account.refresh_from_db()
    assert account.status == Account.Status.CLOSED
    _english(client, settings, account.customer.user)

    dashboard = client.get(reverse("home"))
    bills = client.get(reverse("bills:list"))
    bill = client.get(reverse("bills:bill", args=[invoice.pk]))
    payments = client.get(reverse("payments:history"))
    letter = client.get(reverse("payments:closing_letter", args=[settlement.pk]))

    assert 'data-testid="account-closed"' in dashboard.content.decode()
    assert invoice.number in bills.content.decode() and bill.status_code == 200
    assert reverse("payments:closing_letter", args=[settlement.pk]) in payments.content.decode()
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"


def test_another_customer_cannot_download_the_closing_letter(client, settings):
    account, _invoice = _settled()
    settlements_run(as_of=RUN_DAY)
    settlement = Settlement.objects.get(account=account)
    _english(client, settings, AccountFactory().customer.user)

    response = client.get(reverse("payments:closing_letter", args=[settlement.pk]))

    assert response.status_code == 404


def test_the_agents_see_the_settlements_with_refunds_due_in_few_queries(
    client, settings, django_assert_max_num_queries
):
    for n in range(1, 4):
        _settled(credit=True, direct_debit=True, n=n)
    settlements_run(as_of=RUN_DAY)
    refund_file_write(as_of=RUN_DAY)
    _english(client, settings, staff_user("agent@example.com", group="Agents"))

    with django_assert_max_num_queries(16):
        response = client.get(reverse("bank:settlements"))

    page = response.content.decode()
    assert page.count('data-testid="settlement-') == 3
    assert "in transfer file" in page and 'data-testid="refund-batch-' in page


def test_an_agent_downloads_the_refund_file_and_marks_it_sent(client, settings):
    _settled(credit=True, direct_debit=True)
    settlements_run(as_of=RUN_DAY)
    batch = refund_file_write(as_of=RUN_DAY)
    _english(client, settings, staff_user("agent@example.com", group="Agents"))

    too_early = client.post(reverse("bank:refund_sent", args=[batch.pk]), follow=True)
    assert "Download the file" in too_early.content.decode()
    assert Refund.objects.get().status == Refund.Status.PENDING
    download = client.get(reverse("bank:refund_download", args=[batch.pk]))
    assert b"pain.001.001.03" in b"".join(download.streaming_content)
    client.post(reverse("bank:refund_sent", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.status == RefundBatch.Status.SENT
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


def test_customers_cannot_open_the_settlement_pages(client):
    account, _invoice = _settled(credit=True, direct_debit=True)
    settlements_run(as_of=RUN_DAY)
    batch = refund_file_write(as_of=RUN_DAY)
    client.force_login(account.customer.user)

    for url in (reverse("bank:settlements"), reverse("bank:refund_download", args=[batch.pk])):
        assert client.get(url).status_code in (302, 403)
