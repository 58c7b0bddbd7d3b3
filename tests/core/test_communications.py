import pytest
from django.core import mail

from core import communications
from core.communications import NoAddressForChannel, Recipient
from core.models import Channel, OutboxMessage
from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def recipient(**overrides):
    values = {"name": "Erika", "language": "en", "email": "erika@example.com", "phone": "+4930123456"}
    values.update(overrides)
    return Recipient(**values)


def test_a_message_is_recorded_and_mailed_after_commit(django_capture_on_commit_callbacks):
    customer = CustomerFactory(language="en")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = communications.message_send(
            recipient=customer.as_recipient(),
            template="onboarding_confirmation",
            context={"customer": customer, "account": None, "mandate": None, "creditor_id": "X"},
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits

    assert message.status == OutboxMessage.Status.QUEUED
    assert message.recipient == customer
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.sent_at is not None
    assert mail.outbox[0].to == [customer.email]
    assert mail.outbox[0].subject == message.subject


def test_delivering_twice_sends_once():
    message = communications.message_send(
        recipient=recipient(), template="onboarding_confirmation", context={"customer": None, "account": None}
    )
    communications.message_deliver(message_id=message.pk)
    communications.message_deliver(message_id=message.pk)

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_sms_and_letters_are_logged_until_a_provider_is_configured(caplog):
    message = communications.message_send(
        recipient=recipient(), template="onboarding_confirmation", context={}, channel=Channel.SMS
    )
    communications.message_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.to_address == "+4930123456"
    assert mail.outbox == []
    assert "not configured" in caplog.text


def test_a_recipient_without_an_address_for_the_channel_is_refused():
    with pytest.raises(NoAddressForChannel):
        communications.message_send(
            recipient=recipient(phone=""), template="onboarding_confirmation", context={}, channel=Channel.SMS
        )
    assert not OutboxMessage.objects.exists()


def test_a_failed_delivery_is_recorded_with_the_error(settings):
    settings.EMAIL_BACKEND = "tests.core.test_communications.BrokenBackend"
    message = communications.message_send(recipient=recipient(), template="onboarding_confirmation", context={})

    with pytest.raises(ConnectionError):
        communications.message_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert "ConnectionError" in message.error


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("SMTP server unreachable")
