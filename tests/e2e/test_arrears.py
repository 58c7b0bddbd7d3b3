"""A customer with an overdue bill and a first reminder opens the arrears
page, proposes a payment plan (the schedule previews as they type), signs it
(typed name, ticked box) and sees it running; the next dunning run sends no
further reminder and the page shows the plan."""

import datetime as dt
import re
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from arrears.models import DunningCase, DunningNotice, PaymentPlan
from arrears.services.dunning import dunning_run
from core import clock
from tests.arrears.factories import overdue_account

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer_account(sign_in, live_server):
    today = clock.today()
    account = overdue_account(gross="238.00", due_date=today - dt.timedelta(days=30))
    dunning_run(as_of=today)  # level 1, the payment reminder
    assert DunningNotice.objects.filter(case__account=account).count() == 1
    # The first request imports the whole site: before the browser's timeouts start.
    urllib.request.urlopen(f"{live_server.url}/healthz", timeout=120).close()
    sign_in(account.customer.user)
    return account


def test_a_customer_proposes_and_signs_a_plan_and_the_reminders_stop(page, customer_account):
    account = customer_account
    today = clock.today()

    # What is overdue, the reminder sent, and the way to a plan.
    page.goto("/arrears/")
    expect(page.get_by_test_id("to-pay")).to_have_text("238,00 €")
    expect(page.get_by_test_id("notice")).to_have_count(1)
    expect(page.get_by_test_id("notice-pdf")).to_have_attribute("href", re.compile(r"/arrears/notices/\d+\.pdf$"))
    page.get_by_test_id("propose-plan").click()
    expect(page).to_have_url(re.compile(r"/arrears/plan/new/\?account=" + account.number))

    # The schedule follows the input (HTMX) and always sums to the debt.
    expect(page.get_by_test_id("preview-total")).to_have_text("238,00 €")
    page.locator("input[name=instalments]").fill("7")
    page.locator("input[name=down_payment]").fill("28")
    page.locator("input[name=down_payment]").blur()
    preview = page.get_by_test_id("plan-preview")
    expect(preview).to_contain_text("30,00 €")  # (238.00 - 28.00) / 7
    expect(page.get_by_test_id("preview-total")).to_have_text("238,00 €")
    assert not PaymentPlan.objects.exists()
    page.get_by_test_id("plan-submit").click()

    # The proposal waits for the signature.
    expect(page).to_have_url(re.compile(r"/arrears/plan/\d+/$"))
    plan = PaymentPlan.objects.get(account=account)
    assert (plan.status, plan.instalment_count, plan.down_payment) == ("PROPOSED", 7, Decimal("28.00"))
    expect(page.get_by_test_id("instalment")).to_have_count(8)
    form = page.get_by_test_id("accept-form")
    form.locator("input[name=name]").fill("Erika Mustermann")
    form.locator("input[name=consent]").check()
    page.get_by_test_id("accept-submit").click()

    # Signed: the plan runs, the agreement is there.
    expect(page.get_by_test_id("plan-signed")).to_contain_text("Erika Mustermann")
    expect(page.get_by_test_id("plan-pdf")).to_be_visible()
    expect(page.get_by_test_id("accept-form")).to_have_count(0)
    plan.refresh_from_db()
    assert (plan.status, plan.accepted_name, plan.consent) == ("ACTIVE", "Erika Mustermann", "PORTAL")
    assert plan.accepted_ip == "127.0.0.1"

    # Three weeks later level 2 would be due: the plan holds the debt, no reminder goes out.
    dunning_run(as_of=today + dt.timedelta(days=21))
    assert DunningNotice.objects.filter(case__account=account).count() == 1
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.PLAN

    page.goto("/arrears/")
    expect(page.get_by_test_id("plan-card")).to_be_visible()
    expect(page.get_by_test_id("notice")).to_have_count(1)
    expect(page.get_by_test_id("pay-now")).to_have_count(0)
    page.get_by_test_id("plan-link").click()
    expect(page).to_have_url(re.compile(rf"/arrears/plan/{plan.pk}/$"))
    expect(page.get_by_test_id("instalment-status").first).to_be_visible()
