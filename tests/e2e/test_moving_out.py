"""A customer moves out: on the dashboard they end their supply with the
final meter reading, check and send the request; after the bill run and the
settlement they find the final bill, and the closing letter as a PDF."""

import datetime as dt
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from accounts.models import BillingPreferences
from billing.models import Invoice
from billing.services.invoicing import bill_account
from core import clock
from meters.models import Read
from payments.models import Settlement
from payments.services.settlement import settlements_run
from supply.models import ServiceAgreement
from tests.supply.factories import supplied

pytestmark = pytest.mark.e2e


@pytest.fixture
def agreement(sign_in, live_server, settings):
    settings.BILLING_DELIVER_ON_ISSUE = False
    today = clock.today()
    agreement = supplied(start_date=today - dt.timedelta(days=60), start_read="1000", annual="3650", language="de")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
    )
    urllib.request.urlopen(f"{live_server.url}/healthz", timeout=120).close()
    sign_in(agreement.account.customer.user)
    return agreement


def test_a_customer_moves_out_with_a_final_read_and_gets_the_final_bill_and_closing_letter(page, agreement):
    today = clock.today()
    account = agreement.account

    page.goto("/")
    page.get_by_test_id("end-supply").click()
    expect(page).to_have_url(re.compile(r"/supply/end/$"))
    expect(page.get_by_test_id(f"earliest-{agreement.pk}")).to_be_visible()
    page.locator(f"#agreement-{agreement.pk}").check()
    page.locator("input[name=reason][value=MOVE_OUT]").check()
    page.locator("input[name=end_date]").fill(today.isoformat())
    page.locator(f"input[name='read-{agreement.pk}-1-0:1.8.0']").fill("1590")
    page.get_by_role("button", name="Weiter").click()

    # The check page before anything is saved.
    expect(page.get_by_test_id("end-check")).to_be_visible()
    expect(page.get_by_test_id("end-date")).to_have_text(today.strftime("%d.%m.%Y"))
    assert ServiceAgreement.objects.get(pk=agreement.pk).status == ServiceAgreement.Status.ACTIVE
    page.get_by_test_id("end-send").click()

    # Back on the dashboard: the supply is ending, the final reading is in.
    expect(page.get_by_test_id("supply-ending")).to_contain_text(today.strftime("%d.%m.%Y"))
    agreement.refresh_from_db()
    assert (agreement.status, agreement.end_date) == (ServiceAgreement.Status.ENDING, today)
    final_read = Read.objects.get(register__meter__supply_point=agreement.supply_point, value=1590)
    assert final_read.taken_at == clock.start_of_day(today + dt.timedelta(days=1))

    # The night after the move: the bill run, then the settlement.
    outcome = bill_account(account=account, as_of=today + dt.timedelta(days=1))
    final = Invoice.objects.get(pk=outcome.invoice_id)
    assert (final.kind, final.period_end) == (Invoice.Kind.FINAL, today)
    settlements_run(as_of=today + dt.timedelta(days=1))
    agreement.refresh_from_db()
    assert agreement.status == ServiceAgreement.Status.ENDED
    settlement = Settlement.objects.get(account=account)
    assert settlement.letter_sent_at is not None

    page.goto("/bills/")
    expect(page.get_by_role("link", name=final.number, exact=True)).to_be_visible()
    expect(page.get_by_text("Schlussrechnung").first).to_be_visible()

    page.goto("/payments/")
    letters = page.get_by_test_id("closing-letters")
    expect(letters).to_contain_text(final.number)
    href = letters.locator("a").first.get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
