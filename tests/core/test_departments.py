"""Other departments hear of customer changes: subscriptions by kind, signed
webhooks retried with back-off, team e-mails and back-office queue tickets."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.db import transaction
from django.test import RequestFactory, override_settings

from core import departments
from core.admin import DepartmentDeliveryAdmin, DepartmentSubscriptionForm
from core.models import DepartmentDelivery, DepartmentSubscription, OutboxMessage
from support.models import Ticket, TicketMessage
from tests.accounts.factories import AccountFactory, with_two_factor
from tests.support.factories import seeded

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
SUMMARY = {"street": {"old": "Lindenstraße 12", "new": "Heidestraße 17"}, "by": "customer", "channel": "portal"}


class Receiver:
    """A fake department endpoint: answers the given codes in turn, keeps what arrived."""

    def __init__(self, *codes):
        self.codes = list(codes)
        self.received = []

    def __call__(self, *, url, body, headers, timeout):
        self.received.append({"url": url, "body": body, "headers": headers, "timeout": timeout})
        code = self.codes.pop(0) if self.codes else 200
        if isinstance(code, Exception):
            raise code
        return code


@pytest.fixture
def receiver(monkeypatch):
    def install(*codes):
        fake = Receiver(*codes)
        monkeypatch.setattr(departments, "webhook_post", fake)
        return fake

    return install


def subscription(recipient_type="WEBHOOK", target="https://crm.example/hooks/portal", kinds=("address",), **extra):
    return DepartmentSubscription.objects.create(
        name=extra.pop("name", "CRM"), recipient_type=recipient_type, target=target, kinds=list(kinds), **extra
    )


def announce(django_capture_on_commit_callbacks, kind="address", account_number="900000001"):
    with django_capture_on_commit_callbacks(execute=True):
        departments.change_announce(kind=kind, account_number=account_number, summary=SUMMARY, at=AT)


def test_a_webhook_gets_a_body_a_receiver_can_verify_with_the_secret(receiver, django_capture_on_commit_callbacks):
    hook = subscription()
    fake = receiver(204)

    announce(django_capture_on_commit_callbacks)

    (request,) = fake.received
    assert hook.secret and len(hook.secret) == 64
    headers = request["headers"]
    assert departments.signature_check(
        secret=hook.secret,
        timestamp=headers["X-Portal-Timestamp"],
        body=request["body"],
        signature=headers["X-Portal-Signature"],
    )
    assert headers["X-Portal-Signature"].startswith("sha256=")
    assert not departments.signature_check(
        secret="another secret",
        timestamp=headers["X-Portal-Timestamp"],
        body=request["body"],
        signature=headers["X-Portal-Signature"],
    )
    # A changed timestamp breaks the signature: a replay with a new time is caught.
    assert not departments.signature_check(
        secret=hook.secret, timestamp="1", body=request["body"], signature=headers["X-Portal-Signature"]
    )
    body = json.loads(request["body"])
    delivery = DepartmentDelivery.objects.get()
    assert body == {
        "id": str(delivery.event_id),
        "kind": "address",
        "account": "900000001",
        "at": AT.isoformat(),
        "changes": SUMMARY,
    }
    assert headers["X-Portal-Delivery"] == str(delivery.event_id)
    assert request["timeout"] == 10.0
    assert delivery.status == DepartmentDelivery.Status.DELIVERED
    assert delivery.response_code == 204


def test_a_receiver_that_fails_twice_then_succeeds_gets_the_notice_exactly_once_delivered(
    receiver, django_capture_on_commit_callbacks
):
    subscription()
    fake = receiver(503, ConnectionError("connection refused"), 200)

    announce(django_capture_on_commit_callbacks)

    delivery = DepartmentDelivery.objects.get()
    assert len(fake.received) == 3
    assert len({r["headers"]["X-Portal-Delivery"] for r in fake.received}) == 1  # the same event, retried
    assert delivery.status == DepartmentDelivery.Status.DELIVERED
    assert delivery.attempts == 3
    log = list(delivery.attempt_log.order_by("id").values_list("succeeded", "response_code", "error"))
    assert log == [
        (False, 503, "HTTP 503"),
        (False, None, "ConnectionError: connection refused"),
        (True, 200, ""),
    ]

    # Delivering again (a duplicate task, a second worker) sends nothing.
    departments.deliver_department_notice.delay(delivery.pk)
    assert len(fake.received) == 3
    assert delivery.attempt_log.count() == 3


def test_retries_back_off_exponentially_up_to_a_cap():
    with override_settings(DEPARTMENT_NOTICE_RETRY_BASE_SECONDS=60, DEPARTMENT_NOTICE_RETRY_MAX_SECONDS=3600):
        assert [departments.retry_countdown(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [
            60,
            120,
            240,
            480,
            960,
            1920,
            3600,
        ]


@override_settings(DEPARTMENT_NOTICE_MAX_ATTEMPTS=3)
def test_after_the_last_attempt_the_delivery_is_failed_and_can_be_sent_again_from_the_admin(
    receiver, django_capture_on_commit_callbacks, admin_user
):
    subscription()
    fake = receiver(500, 500, 500)

    announce(django_capture_on_commit_callbacks)

    delivery = DepartmentDelivery.objects.get()
    assert delivery.status == DepartmentDelivery.Status.FAILED
    assert delivery.last_error == "HTTP 500"
    assert len(fake.received) == 3

    request = RequestFactory().post("/admin/core/departmentdelivery/")
    request.user = admin_user
    request._messages = type("Messages", (), {"add": lambda *a, **k: None})()
    model_admin = DepartmentDeliveryAdmin(DepartmentDelivery, site)
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.send_again(request, DepartmentDelivery.objects.all())

    delivery.refresh_from_db()
    assert delivery.status == DepartmentDelivery.Status.DELIVERED
    assert len(fake.received) == 4
    assert delivery.attempt_log.count() == 4


def test_a_rolled_back_change_tells_nobody(receiver, django_capture_on_commit_callbacks):
    subscription()
    fake = receiver(200)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            departments.change_announce(kind="address", account_number="900000001", summary=SUMMARY, at=AT)
            raise RuntimeError("the change failed")

    assert DepartmentDelivery.objects.count() == 0
    assert fake.received == []


def test_only_active_subscriptions_to_the_kind_are_told(receiver, django_capture_on_commit_callbacks):
    address = subscription(name="Address team", kinds=("address", "move"))
    subscription(name="Bank team", kinds=("bank",))
    subscription(name="Paused", kinds=("address",), is_active=False)
    fake = receiver()

    announce(django_capture_on_commit_callbacks, kind="address")

    assert list(DepartmentDelivery.objects.values_list("subscription", flat=True)) == [address.pk]
    assert len(fake.received) == 1


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown change kind"):
        departments.change_announce(kind="shoe size", account_number="900000001", summary={})


def test_a_team_address_gets_a_notice_email_listing_the_changes(django_capture_on_commit_callbacks):
    subscription(recipient_type="EMAIL", target="billing-team@stadtwerke.example", language="en")

    announce(django_capture_on_commit_callbacks)

    delivery = DepartmentDelivery.objects.get()
    assert delivery.status == DepartmentDelivery.Status.DELIVERED
    message = OutboxMessage.objects.get(template="department_notice")
    assert delivery.attempt_log.get().note == f"outbox message {message.pk}"
    (sent,) = mail.outbox
    assert sent.to == ["billing-team@stadtwerke.example"]
    assert sent.subject == "Customer change: billing address, account 900000001"
    assert "street: Lindenstraße 12 → Heidestraße 17" in sent.body
    assert "channel: portal" in sent.body


def test_a_back_office_queue_gets_a_ticket_about_the_account(django_capture_on_commit_callbacks):
    seeded()
    account = AccountFactory(number="900000077")
    subscription(recipient_type="QUEUE", target="GENERAL", kinds=("address",))

    announce(django_capture_on_commit_callbacks, account_number="900000077")

    ticket = Ticket.objects.get()
    assert ticket.queue.code == "GENERAL"
    assert ticket.account == account
    assert ticket.customer == account.customer
    note = ticket.messages.get()
    assert note.author_kind == TicketMessage.AuthorKind.SYSTEM
    assert "street: Lindenstraße 12 → Heidestraße 17" in note.body
    delivery = DepartmentDelivery.objects.get()
    assert delivery.status == DepartmentDelivery.Status.DELIVERED
    assert delivery.attempt_log.get().note == f"ticket {ticket.reference}"
    assert mail.outbox == []  # the customer is not written to


def test_an_unknown_queue_is_logged_as_a_failed_attempt(django_capture_on_commit_callbacks):
    seeded()
    subscription(recipient_type="QUEUE", target="NO-SUCH-QUEUE")

    with override_settings(DEPARTMENT_NOTICE_MAX_ATTEMPTS=2):
        announce(django_capture_on_commit_callbacks)

    delivery = DepartmentDelivery.objects.get()
    assert delivery.status == DepartmentDelivery.Status.FAILED
    assert "NO-SUCH-QUEUE" in delivery.last_error
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("recipient_type", "target", "error"),
    [
        ("EMAIL", "not an address", "Enter the team's e-mail address."),
        ("WEBHOOK", "ftp://crm.example/x", "Enter the webhook's URL (https://…)."),
        ("QUEUE", "  ", "Enter the code of the queue."),
    ],
)
def test_the_admin_form_refuses_a_target_that_does_not_fit_the_recipient(recipient_type, target, error):
    form = DepartmentSubscriptionForm(
        data={"name": "X", "kinds": ["address"], "recipient_type": recipient_type, "target": target, "language": "de"}
    )

    assert not form.is_valid()
    assert error in form.errors["target"]


def test_the_admin_form_refuses_an_unknown_kind():
    form = DepartmentSubscriptionForm(
        data={"name": "X", "kinds": ["weather"], "recipient_type": "QUEUE", "target": "GENERAL", "language": "de"}
    )

    assert not form.is_valid()
    assert "kinds" in form.errors


def test_admins_see_deliveries_with_their_attempts(
    admin_client, admin_user, receiver, django_capture_on_commit_callbacks
):
    with_two_factor(admin_user)
    subscription()
    receiver(502, 200)
    announce(django_capture_on_commit_callbacks)
    delivery = DepartmentDelivery.objects.get()

    listing = admin_client.get("/admin/core/departmentdelivery/")
    page = admin_client.get(f"/admin/core/departmentdelivery/{delivery.pk}/change/")

    assert listing.status_code == 200
    assert "900000001" in listing.content.decode()
    assert page.status_code == 200
    assert "HTTP 502" in page.content.decode()
