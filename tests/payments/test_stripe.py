"""Stripe Checkout and its webhooks, with Stripe's own library checking the
signatures: only the network (Session.create, Refund.create) is faked."""

import datetime as dt
import time
from decimal import Decimal

import pytest
import stripe

from billing.models import LedgerEntry
from billing.services.ledger import account_balance, entry_open_amount
from payments.models import CheckoutSession, Payment, ProviderEvent, Refund
from payments.services.online import checkout_start
from payments.services.payments import payment_external, refund_issue
from tests.accounts.factories import AccountFactory, UserFactory
from tests.billing.factories import invoice_issued
from tests.payments.factories import stripe_event, stripe_signature

pytestmark = pytest.mark.django_db
SECRET = "whsec_test_secret"
URL = "/webhooks/stripe"
TODAY = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def created_sessions(monkeypatch):
    calls = []

    def create(**params):
        calls.append(params)
        return stripe.checkout.Session.construct_from(
            {"id": f"cs_test_{len(calls)}", "object": "checkout.session", "url": "https://checkout.stripe.test/pay"},
            None,
        )

    monkeypatch.setattr(stripe.checkout.Session, "create", create)
    return calls


@pytest.fixture
def checkout(created_sessions):
    account = AccountFactory()
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("120.00"))
    started = checkout_start(
        account=account, invoices=[invoice], created_by=None, idempotency_key="web-test-1", as_of=TODAY
    )
    started.invoice = invoice
    return started


def _post(client, body, *, secret=SECRET, timestamp=None):
    header = stripe_signature(body, secret=secret, timestamp=timestamp)
    return client.post(URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def _session_completed(checkout, *, event_id="evt_session", payment_intent="pi_1", status="paid"):
    return stripe_event(
        event_id,
        "checkout.session.completed",
        {
            "id": checkout.provider_session_id,
            "object": "checkout.session",
            "client_reference_id": str(checkout.pk),
            "metadata": {"checkout_id": str(checkout.pk), "account_number": checkout.account.number},
            "payment_intent": payment_intent,
            "payment_status": status,
            "amount_total": 12000,
            "currency": "eur",
            "payment_method_types": ["card"],
        },
    )


def _intent_succeeded(checkout, *, event_id="evt_intent", payment_intent="pi_1"):
    return stripe_event(
        event_id,
        "payment_intent.succeeded",
        {
            "id": payment_intent,
            "object": "payment_intent",
            "amount": 12000,
            "amount_received": 12000,
            "currency": "eur",
            "metadata": {"checkout_id": str(checkout.pk), "account_number": checkout.account.number},
            "payment_method_types": ["card"],
        },
    )


def test_checkout_creation_calls_stripe_with_an_idempotency_key_and_our_ids(created_sessions, checkout):
    (call,) = created_sessions

    assert call["idempotency_key"] == f"checkout-{checkout.pk}"
    assert call["metadata"] == {"checkout_id": str(checkout.pk), "account_number": checkout.account.number}
    assert call["payment_intent_data"]["metadata"]["checkout_id"] == str(checkout.pk)
    assert call["line_items"][0]["price_data"]["unit_amount"] == 12000
    assert checkout.url == "https://checkout.stripe.test/pay"
    assert checkout.provider == "stripe"


def test_starting_the_same_checkout_twice_calls_stripe_once(created_sessions, checkout):
    again = checkout_start(
        account=checkout.account,
        invoices=[checkout.invoice],
        created_by=None,
        idempotency_key="web-test-1",
        as_of=TODAY,
    )

    assert again == checkout
    assert len(created_sessions) == 1


def test_a_signed_session_completed_event_books_and_allocates_the_payment(client, checkout):
    response = _post(client, _session_completed(checkout))

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert (payment.amount, payment.status, payment.provider_ref) == (Decimal("120.00"), "SUCCEEDED", "pi_1")
    assert entry_open_amount(entry=LedgerEntry.objects.get(key=f"invoice:{checkout.invoice.pk}")) == Decimal("0.00")
    checkout.refresh_from_db()
    assert checkout.status == CheckoutSession.Status.COMPLETED
    assert ProviderEvent.objects.get().processed_at is not None


def test_a_bad_signature_is_refused_and_books_nothing(client, checkout):
    response = _post(client, _session_completed(checkout), secret="whsec_someone_else")

    assert response.status_code == 400
    assert not Payment.objects.exists()
    assert not ProviderEvent.objects.exists()


def test_a_missing_signature_is_refused(client, checkout):
    response = client.post(URL, data=_session_completed(checkout), content_type="application/json")

    assert response.status_code == 400


def test_a_stale_signature_is_refused(client, checkout):
    response = _post(client, _session_completed(checkout), timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_body_changed_after_signing_is_refused(client, checkout):
    body = _session_completed(checkout)
    header = stripe_signature(body, secret=SECRET)

    response = client.post(
        URL, data=body.replace("12000", "1"), content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )

    assert response.status_code == 400


def test_the_same_event_twice_books_once(client, checkout):
    body = _session_completed(checkout)

    first = _post(client, body)
    second = _post(client, body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert b"duplicate" in second.content
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    assert ProviderEvent.objects.count() == 1


def test_intent_succeeded_before_session_completed_books_once(client, checkout):
    _post(client, _intent_succeeded(checkout))
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED

    _post(client, _session_completed(checkout))

    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    assert account_balance(account=checkout.account) == Decimal("0.00")
    checkout.refresh_from_db()
    assert checkout.status == CheckoutSession.Status.COMPLETED
    assert ProviderEvent.objects.filter(processed_at__isnull=False).count() == 2


def test_a_failed_payment_books_nothing_and_a_late_failure_after_success_changes_nothing(client, checkout):
    failed = stripe_event(
        "evt_failed",
        "payment_intent.payment_failed",
        {
            "id": "pi_1",
            "object": "payment_intent",
            "amount": 12000,
            "currency": "eur",
            "metadata": {"checkout_id": str(checkout.pk)},
            "last_payment_error": {"message": "Your card was declined."},
        },
    )
    _post(client, failed)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutSession.Status.FAILED
    assert checkout.failure_message == "Your card was declined."
    assert not Payment.objects.exists()

    _post(client, _session_completed(checkout))
    _post(
        client,
        stripe_event(
            "evt_failed_late",
            "payment_intent.payment_failed",
            {"id": "pi_1", "metadata": {"checkout_id": str(checkout.pk)}},
        ),
    )

    checkout.refresh_from_db()
    assert checkout.status == CheckoutSession.Status.COMPLETED
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_sepa_through_stripe_is_pending_until_it_settles(client, checkout):
    _post(client, _session_completed(checkout, status="unpaid"))
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING
    assert payment.ledger_entry is None

    body = stripe_event(
        "evt_async",
        "checkout.session.async_payment_succeeded",
        {
            "id": checkout.provider_session_id,
            "metadata": {"checkout_id": str(checkout.pk)},
            "payment_intent": "pi_1",
            "amount_total": 12000,
            "currency": "eur",
        },
    )
    _post(client, body)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert account_balance(account=checkout.account) == Decimal("0.00")


def test_a_refund_through_stripe_is_confirmed_by_charge_refunded(client, checkout, monkeypatch):
    _post(client, _session_completed(checkout))
    payment = Payment.objects.get()
    calls = []

    def create(**params):
        calls.append(params)
        return stripe.Refund.construct_from({"id": "re_1", "object": "refund", "status": "pending"}, None)

    monkeypatch.setattr(stripe.Refund, "create", create)
    # The bill is paid; 30.00 more arrive by transfer and go back to the card.
    payment_external(
        account=checkout.account,
        amount=Decimal("30.00"),
        received_on=TODAY,
        reference="X",
        method="TRANSFER",
        as_of=TODAY,
    )
    refund = refund_issue(
        account=checkout.account,
        amount=Decimal("30.00"),
        method=Refund.Method.CARD,
        payment=payment,
        created_by=UserFactory(is_staff=True),
        as_of=TODAY,
    )
    assert calls[0]["idempotency_key"] == f"refund-{refund.pk}"
    assert calls[0]["payment_intent"] == "pi_1"
    assert calls[0]["amount"] == 3000
    assert Refund.objects.get().status == Refund.Status.PENDING

    body = stripe_event(
        "evt_refunded",
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": "pi_1",
            "amount": 12000,
            "amount_refunded": 3000,
            "refunds": {
                "object": "list",
                "data": [
                    {"id": "re_1", "amount": 3000, "status": "succeeded", "metadata": {"refund_id": str(refund.pk)}}
                ],
            },
        },
    )
    assert _post(client, body).status_code == 200
    assert _post(client, body).status_code == 200

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert Refund.objects.count() == 1
    assert account_balance(account=checkout.account) == Decimal("0.00")


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_once(client, checkout):
    _post(client, _session_completed(checkout))
    body = stripe_event(
        "evt_dashboard_refund",
        "charge.refunded",
        {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount": 12000, "amount_refunded": 12000},
    )

    _post(client, body)
    _post(client, body.replace("evt_dashboard_refund", "evt_dashboard_refund_again"))

    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("120.00"), Refund.Status.SUCCEEDED)
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert account_balance(account=checkout.account) == Decimal("120.00")


def test_an_event_of_an_unknown_type_is_logged_and_ignored(client, checkout):
    response = _post(client, stripe_event("evt_other", "customer.created", {"id": "cus_1"}))

    assert response.status_code == 200
    assert ProviderEvent.objects.get().result == "customer.created is not used"


def test_webhooks_need_the_signing_secret(client, checkout, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = _post(client, _session_completed(checkout))

    assert response.status_code == 400
