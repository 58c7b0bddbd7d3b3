"""The customer's arrears pages: the overview with the reminders and "Pay
now" for exactly the amount shown, the plan builder with its preview and
messages, signing a plan (name, consent, time, IP, the agreement mailed),
the letters, the link in an agent's proposal, the dashboard banner, and
privacy: another customer's notice or plan is 404."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import CustomerType
from arrears.models import DunningCase, DunningNotice, PaymentPlan
from arrears.services.dunning import dunning_run
from arrears.services.plans import plan_accept, plan_propose
from core.models import OutboxMessage
from payments.models import CheckoutSession, Payment, PaymentMethod
from payments.services.payments import payment_record_manual
from tests.accounts.factories import AccountFactory, staff_user
from tests.arrears.factories import overdue_account
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 15)
TODAY = dt.date(2027, 2, 10)
NOW = dt.datetime(2027, 2, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.STRIPE_SECRET_KEY = ""


def reminded(account):
    """Reminder level 1 (no fee) on 22 January and level 2 (1.50 fee, due 19 February) on 5 February."""
    dunning_run(as_of=dt.date(2027, 1, 22))
    dunning_run(as_of=dt.date(2027, 2, 5))
    assert DunningNotice.objects.filter(case__account=account).count() == 2
    return account


@pytest.fixture
def account():
    return reminded(overdue_account(gross="238.00", due_date=DUE))


def signed_in(client, account, language="de"):
    client.force_login(account.customer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def proposal(account, **overrides):
    values = {"instalments": 6, "down_payment": "0.00", "first_due": dt.date(2027, 3, 1), "as_of": TODAY}
    values.update(overrides)
    return plan_propose(account=account, **values)


# --- Overview -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "bill", "fee", "to_pay"),
    [("de", "238,00 €", "1,50 €", "239,50 €"), ("en", "€238.00", "€1.50", "€239.50")],
)
def test_the_overview_shows_what_is_overdue_the_reminders_and_what_to_do(client, account, language, bill, fee, to_pay):
    html = page(signed_in(client, account, language), reverse("arrears:overview"))

    assert f'<html lang="{language}">' in html
    assert bill in html and fee in html
    assert f'data-testid="to-pay">{to_pay}<' in html
    notices = DunningNotice.objects.filter(case__account=account)
    for notice in notices:
        assert reverse("arrears:notice_pdf", args=[notice.pk]) in html
    assert html.count('data-testid="notice"') == 2
    assert reverse("arrears:pay") in html
    assert f"{reverse('arrears:plan_new')}?account={account.number}" in html
    assert 'data-testid="level"' in html


def test_the_overview_says_so_when_nothing_is_overdue(client):
    account = AccountFactory()

    html = page(signed_in(client, account, "en"), reverse("arrears:overview"))

    assert "Nothing is overdue on this account" in html
    assert 'data-testid="pay-now"' not in html


def test_a_customer_with_several_accounts_sees_each_or_the_one_asked_for(client, account):
    second = AccountFactory(customer=account.customer)
    signed_in(client, account, "en")

    both = page(client, reverse("arrears:overview"))
    one = page(client, reverse("arrears:overview"), account=second.number)

    assert account.number in both and second.number in both
    assert both.count('data-testid="arrears-account"') == 2
    assert one.count('data-testid="arrears-account"') == 1
    assert "Nothing is overdue on this account" in one
    assert client.get(reverse("arrears:overview"), {"account": "000"}).status_code == 404


def test_the_overview_takes_the_same_queries_for_one_account_or_three(client, django_assert_max_num_queries):
    first = reminded(overdue_account(due_date=DUE))
    signed_in(client, first, "en")
    with django_assert_max_num_queries(20) as one:
        page(client, reverse("arrears:overview"))
    for gross in ("50.00", "75.00"):
        invoice_issued(AccountFactory(customer=first.customer), gross=Decimal(gross), due_date=DUE)
    dunning_run(as_of=dt.date(2027, 2, 5))

    with django_assert_max_num_queries(len(one.captured_queries)):
        html = page(client, reverse("arrears:overview"))

    assert html.count('data-testid="arrears-account"') == 3


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("arrears:overview"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Letters and privacy -----------------------------------------------------------------


def test_the_reminder_letter_is_the_stored_pdf(client, account):
    notice = DunningNotice.objects.filter(case__account=account).order_by("level").first()

    response = signed_in(client, account).get(reverse("arrears:notice_pdf", args=[notice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    with notice.letter.open("rb") as stored:
        assert response.content == stored.read()


def test_another_customer_gets_404_for_notices_plans_and_agreements(client, account):
    plan = proposal(account)
    notice = DunningNotice.objects.filter(case__account=account).first()
    stranger = overdue_account(due_date=DUE)
    signed_in(client, stranger)

    assert client.get(reverse("arrears:notice_pdf", args=[notice.pk])).status_code == 404
    assert client.get(reverse("arrears:plan", args=[plan.pk])).status_code == 404
    assert client.post(reverse("arrears:plan", args=[plan.pk]), {"name": "X Y", "consent": "on"}).status_code == 404
    plan_accept(plan=plan, name="Erika Muster", consent=True, channel=PaymentPlan.Consent.PORTAL, as_of=TODAY)
    assert client.get(reverse("arrears:plan_pdf", args=[plan.pk])).status_code == 404
    assert client.get(reverse("arrears:plan_new"), {"account": account.number}).status_code == 404
    pay = client.post(reverse("arrears:pay"), {"account": account.number, "amount": "239.50", "token": "t"})
    assert pay.status_code == 404
    plan.refresh_from_db()
    assert plan.accepted_name == "Erika Muster"
    assert not CheckoutSession.objects.exists()


# --- Pay now -----------------------------------------------------------------------------


def test_pay_now_starts_a_checkout_for_exactly_the_amount_shown(client, account):
    signed_in(client, account, "en")
    html = page(client, reverse("arrears:overview"))
    assert 'name="amount" value="239.50"' in html
    token = html.split('name="token" value="')[1].split('"')[0]

    response = client.post(reverse("arrears:pay"), {"account": account.number, "amount": "239.50", "token": token})
    again = client.post(reverse("arrears:pay"), {"account": account.number, "amount": "239.50", "token": token})

    checkout = CheckoutSession.objects.get()
    assert checkout.amount == Decimal("239.50")
    assert checkout.account == account
    assert [invoice.account for invoice in checkout.invoices.all()] == [account]
    assert response.status_code == 302
    assert response["Location"] == checkout.url
    assert again["Location"] == checkout.url
    assert reverse("payments:sandbox", args=[checkout.pk]) in checkout.url


def test_paying_in_the_sandbox_settles_the_arrears_and_closes_the_case(client, account):
    signed_in(client, account, "en")
    client.post(reverse("arrears:pay"), {"account": account.number, "amount": "239.50", "token": "one"})
    checkout = CheckoutSession.objects.get()

    client.post(reverse("payments:sandbox", args=[checkout.pk]), {"action": "pay"})

    assert Payment.objects.get().amount == Decimal("239.50")
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.CLOSED
    assert "Nothing is overdue on this account" in page(client, reverse("arrears:overview"))


def test_pay_now_refuses_an_amount_that_is_no_longer_due(client, account):
    signed_in(client, account, "en")

    response = client.post(
        reverse("arrears:pay"), {"account": account.number, "amount": "238.00", "token": "x"}, follow=True
    )

    assert not CheckoutSession.objects.exists()
    assert "The amount due has changed" in response.content.decode()


def test_the_pay_link_in_a_reminder_opens_the_overview(client, account):
    response = signed_in(client, account).get(reverse("arrears:pay"))

    assert response.status_code == 302
    assert response["Location"] == reverse("arrears:overview")
    assert not CheckoutSession.objects.exists()


# --- Propose a plan ------------------------------------------------------------------------


def test_the_plan_builder_shows_the_limits_and_a_schedule_that_sums_to_the_debt(client, account):
    html = page(signed_in(client, account, "en"), reverse("arrears:plan_new"))

    assert "€239.50" in html
    assert 'min="6"' in html and 'max="18"' in html
    assert "13 March 2027" in html or "March 13, 2027" in html  # the latest first due date
    assert 'data-testid="preview-total">€239.50<' in html


def test_the_plan_builder_has_nothing_to_offer_without_arrears_and_shows_a_running_plan_instead(client, account):
    fine = AccountFactory(customer=account.customer)
    signed_in(client, account, "en")

    nothing = page(client, reverse("arrears:plan_new"), account=fine.number)
    plan = proposal(account)
    plan_accept(plan=plan, name="Erika Muster", consent=True, channel=PaymentPlan.Consent.PORTAL, as_of=TODAY)
    running = client.get(reverse("arrears:plan_new"), {"account": account.number})

    assert 'data-testid="nothing-to-plan"' in nothing
    assert 'data-testid="plan-form"' not in nothing
    assert running["Location"] == reverse("arrears:plan", args=[plan.pk])


def test_the_preview_follows_the_input_in_place_and_saves_nothing(client, account):
    signed_in(client, account, "en")
    data = {"account": account.number, "instalments": "7", "down_payment": "39,50", "first_due": "2027-03-01"}

    response = client.post(reverse("arrears:plan_new"), {**data, "action": "preview"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="plan-preview"')
    assert "Down payment" in html and "€39.50" in html
    assert "€28.57" in html and "€28.58" in html  # 200.00 / 7, the last evens out the cents
    assert 'data-testid="preview-total">€239.50<' in html
    assert not PaymentPlan.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("instalments", "3", "between 6 and 18 monthly instalments"),
        ("first_due", "2027-04-30", "The first instalment must be due by"),
        ("first_due", "2027-02-01", "cannot be due in the past"),
        ("down_payment", "239.50", "The down payment must be less than the debt"),
    ],
)
def test_a_plan_outside_the_rules_shows_the_message_at_its_field_and_saves_nothing(
    client, account, field, value, message
):
    data = {"account": account.number, "instalments": "6", "down_payment": "0", "first_due": "2027-03-01"}
    data[field] = value

    response = signed_in(client, account, "en").post(reverse("arrears:plan_new"), {**data, "action": "propose"})

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'id="id_{field}_error"' in html
    assert not PaymentPlan.objects.exists()


def test_a_proposal_is_saved_and_the_plan_page_asks_for_the_signature(client, account):
    data = {"account": account.number, "instalments": "6", "down_payment": "", "first_due": "2027-03-01"}

    response = signed_in(client, account, "en").post(reverse("arrears:plan_new"), {**data, "action": "propose"})

    plan = PaymentPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("arrears:plan", args=[plan.pk])
    assert (plan.status, plan.total, plan.instalment_count) == ("PROPOSED", Decimal("239.50"), 6)
    assert sum(row.amount for row in plan.instalments.all()) == plan.total
    html = page(client, reverse("arrears:plan", args=[plan.pk]))
    assert 'data-testid="accept-form"' in html
    assert html.count('data-testid="instalment"') == 6
    assert "?kind=PAYMENT_PLAN_REQUEST" in html


def test_a_replaced_proposal_says_so_and_can_no_longer_be_signed(client, account):
    old = proposal(account, instalments=6)
    proposal(account, instalments=8)
    signed_in(client, account, "en")

    html = page(client, reverse("arrears:plan", args=[old.pk]))
    response = client.post(reverse("arrears:plan", args=[old.pk]), {"name": "Erika Mustermann", "consent": "on"})

    assert "This proposal was withdrawn" in html
    assert 'data-testid="accept-form"' not in html
    assert response.status_code == 302
    old.refresh_from_db()
    assert (old.status, old.accepted_at) == (PaymentPlan.Status.CANCELLED, None)


# --- Signing -------------------------------------------------------------------------------


def test_signing_records_name_consent_time_and_ip_and_mails_the_signed_agreement(
    client, account, django_capture_on_commit_callbacks
):
    plan = proposal(account)
    signed_in(client, account, "en")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("arrears:plan", args=[plan.pk]),
            {"name": "  Erika   Mustermann ", "consent": "on"},
            REMOTE_ADDR="203.0.113.9",
        )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.ACTIVE
    assert (plan.accepted_name, plan.accepted_ip, plan.consent) == ("Erika Mustermann", "203.0.113.9", "PORTAL")
    assert plan.accepted_at == NOW
    assert plan.agreement.name.endswith(".pdf")
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.PLAN
    message = OutboxMessage.objects.get(template="payment_plan_active")
    assert message.attachments.get().filename.endswith(".pdf")
    (sent,) = [email for email in mail.outbox if email.to == [account.customer.email]]
    (attachment,) = sent.attachments
    assert attachment[1][:4] == b"%PDF"
    html = page(client, reverse("arrears:plan", args=[plan.pk]))
    assert 'data-testid="accept-form"' not in html
    assert "Signed by Erika Mustermann" in html
    assert reverse("arrears:plan_pdf", args=[plan.pk]) in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Erika Mustermann"}, "consent", "Please confirm that you agree"),
        ({"name": " ", "consent": "on"}, "name", "Please type your full name"),
    ],
)
def test_signing_without_consent_or_name_shows_why_and_keeps_the_proposal(client, account, data, field, message):
    plan = proposal(account)

    response = signed_in(client, account, "en").post(reverse("arrears:plan", args=[plan.pk]), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'id="id_{field}_error"' in html
    plan.refresh_from_db()
    assert (plan.status, plan.accepted_at) == (PaymentPlan.Status.PROPOSED, None)
    assert not OutboxMessage.objects.filter(template="payment_plan_active").exists()


def test_the_agreement_pdf_is_there_once_the_plan_is_signed(client, account):
    plan = proposal(account)
    signed_in(client, account)
    assert client.get(reverse("arrears:plan_pdf", args=[plan.pk])).status_code == 404

    plan_accept(plan=plan, name="Erika Muster", consent=True, channel=PaymentPlan.Consent.PORTAL, as_of=TODAY)
    response = client.get(reverse("arrears:plan_pdf", args=[plan.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content)[:4] == b"%PDF"


def test_the_plan_page_shows_what_is_paid_and_what_is_next(client, account):
    plan = proposal(account)
    plan_accept(plan=plan, name="Erika Muster", consent=True, channel=PaymentPlan.Consent.PORTAL, as_of=TODAY)
    first = plan.instalments.order_by("number").first()
    payment_record_manual(
        account=account,
        amount=first.amount,
        received_on=TODAY,
        method=PaymentMethod.TRANSFER,
        created_by=staff_user(),
        as_of=TODAY,
    )

    html = page(signed_in(client, account, "en"), reverse("arrears:plan", args=[plan.pk]))

    statuses = [part.split("<")[0] for part in html.split('data-testid="instalment-status">')[1:]]
    assert statuses == ["paid", "upcoming", "upcoming", "upcoming", "upcoming", "upcoming"]
    assert 'data-testid="plan-paid">€39.91<' in html
    assert "due on 1 April 2027" in html or "due on April 1, 2027" in html


def test_an_agents_proposal_is_signed_through_the_link_in_the_email(client, account):
    agent = staff_user()
    plan = proposal(account, proposed_by=agent, instalments=8)
    link = reverse("arrears:plan_accept_link", args=[plan.accept_token])
    assert client.get(link).status_code == 302  # sign in first
    stranger = overdue_account(due_date=DUE)
    assert signed_in(client, stranger).get(link).status_code == 404

    signed_in(client, account, "en")
    assert 'data-testid="accept-form"' in page(client, link)
    response = client.post(link, {"name": "Erika Mustermann", "consent": "on"})

    plan.refresh_from_db()
    assert response["Location"] == reverse("arrears:plan", args=[plan.pk])
    assert (plan.status, plan.consent) == (PaymentPlan.Status.ACTIVE, PaymentPlan.Consent.LINK)
    assert client.get(link)["Location"] == reverse("arrears:plan", args=[plan.pk])


# --- Dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_the_arrears_banner_only_with_arrears_or_a_plan(client, account):
    fine = AccountFactory()
    assert 'data-testid="arrears-banner"' not in page(signed_in(client, fine, "en"), reverse("home"))

    html = page(signed_in(client, account, "en"), reverse("home"))
    assert 'data-testid="arrears-banner"' in html
    assert "€238.00 are overdue" in html
    assert reverse("arrears:overview") in html

    plan = proposal(account)
    plan_accept(plan=plan, name="Erika Muster", consent=True, channel=PaymentPlan.Consent.PORTAL, as_of=TODAY)
    html = page(client, reverse("home"))
    assert "Your payment plan is running" in html
    assert "are overdue" not in html


def test_a_business_customer_sees_the_page_too(client):
    account = reminded(overdue_account(due_date=DUE, customer_type=CustomerType.BUSINESS))

    html = page(signed_in(client, account, "en"), reverse("arrears:overview"))

    assert 'data-testid="pay-now"' in html
