"""Other departments are told of customer changes.

Admins subscribe recipients (a team's e-mail address, a back-office queue or
an outbound webhook) to kinds of change. The apps that make a change call
`change_announce` once the change is saved; deliveries happen after the
transaction commits, so a rolled-back change tells nobody.

Webhooks receive a POST with a JSON body

    {"id": "<event uuid>", "kind": "address", "account": "10000001",
     "at": "2026-03-01T10:00:00+01:00", "changes": {…the summary…}}

and the headers

    X-Portal-Event: <kind>
    X-Portal-Delivery: <event uuid, the same on every retry>
    X-Portal-Timestamp: <unix seconds of this attempt>
    X-Portal-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret>

A receiver recomputes the signature over the raw body (`signature_check`
shows how), rejects old timestamps and answers 2xx; anything else (or no
answer within DEPARTMENT_WEBHOOK_TIMEOUT seconds) is retried with exponential
back-off until DEPARTMENT_NOTICE_MAX_ATTEMPTS, after which the delivery is
FAILED and waits in the admin for "send again".

Back-office queues belong to a higher app (support): it registers the
function that opens a ticket in a queue with `queue_handler_register`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from celery import shared_task
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core import clock
from core.communications import Recipient, message_send
from core.models import DepartmentDelivery, DepartmentDeliveryAttempt, DepartmentSubscription

# The kinds of change a subscription can ask for.
CHANGE_KINDS = (
    ("address", _("billing address")),
    ("bank", _("bank details")),
    ("contact", _("contact details")),
    ("name", _("name or account holder")),
    ("termination", _("end of supply")),
    ("move", _("moving house")),
)

# Reports filed straight into a back-office queue (queue_file), never announced to subscriptions.
QUEUE_KINDS = (("no_supply", _("no supply reported")),)


def kind_label(kind: str) -> str:
    """The label of a change kind or a queue kind."""
    return str(dict(CHANGE_KINDS + QUEUE_KINDS)[kind])


TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"
EVENT_HEADER = "X-Portal-Event"
DELIVERY_HEADER = "X-Portal-Delivery"


class DeliveryError(Exception):
    """A notice could not be delivered this time; the message says why."""


class QueueHandler(Protocol):
    def __call__(
        self, *, queue: str, kind: str, account_number: str, summary: dict[str, Any], at: dt.datetime
    ) -> str: ...


_queue_handler: QueueHandler | None = None


def queue_handler_register(handler: QueueHandler) -> None:
    """The app that owns back-office queues registers the function that files a
    notice in the queue with the given code; it returns a note for the attempt
    log (e.g. the ticket reference) and raises DeliveryError when it cannot."""
    global _queue_handler
    _queue_handler = handler


def queue_file(*, queue: str, kind: str, account_number: str, summary: dict[str, Any], at: dt.datetime) -> str:
    """File a report of `kind` (QUEUE_KINDS) about an account in the queue
    with the code `queue` at once, through the registered handler; its note
    (e.g. "ticket T-2026-00012"). Raises DeliveryError when it cannot."""
    if kind not in dict(QUEUE_KINDS):
        raise ValueError(f"unknown queue kind {kind!r}")
    if _queue_handler is None:
        raise DeliveryError("no back-office queue handler is registered")
    return _queue_handler(queue=queue, kind=kind, account_number=account_number, summary=summary, at=at)


def change_announce(*, kind: str, account_number: str, summary: dict[str, Any], at: dt.datetime | None = None) -> None:
    """Tell every subscription to `kind` that account `account_number` changed.

    `summary` is JSON-serialisable: what changed (field: {"old", "new"}), who
    asked and through which channel. Call it inside or after the transaction
    that saved the change."""
    if kind not in dict(CHANGE_KINDS):
        raise ValueError(f"unknown change kind {kind!r}")
    at = at or clock.now()
    changes = json.loads(json.dumps(summary, cls=DjangoJSONEncoder))
    subscriptions = [
        s for s in DepartmentSubscription.objects.filter(is_active=True).order_by("id") if kind in (s.kinds or [])
    ]
    if not subscriptions:
        return
    with transaction.atomic():
        for subscription in subscriptions:
            event_id = uuid.uuid4()
            delivery = DepartmentDelivery.objects.create(
                event_id=event_id,
                subscription=subscription,
                kind=kind,
                account_number=account_number,
                payload={
                    "id": str(event_id),
                    "kind": kind,
                    "account": account_number,
                    "at": at.isoformat(),
                    "changes": changes,
                },
                created_at=clock.now(),
            )
            transaction.on_commit(lambda pk=delivery.pk: deliver_department_notice.delay(pk))


def signature_make(*, secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_check(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does with the two headers and the raw body."""
    return hmac.compare_digest(signature_make(secret=secret, timestamp=timestamp, body=body), signature)


def webhook_post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url`; the HTTP status code (raises on no answer)."""
    if not url.lower().startswith(("https://", "http://")):
        raise DeliveryError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _send_webhook(delivery: DepartmentDelivery) -> tuple[int, str]:
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "utility-portal-notices",
        EVENT_HEADER: delivery.kind,
        DELIVERY_HEADER: str(delivery.event_id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature_make(secret=subscription.secret, timestamp=timestamp, body=body),
    }
    timeout = settings.DEPARTMENT_WEBHOOK_TIMEOUT
    code = webhook_post(url=subscription.target, body=body, headers=headers, timeout=timeout)
    if not 200 <= code < 300:
        raise DeliveryError(f"HTTP {code}", code)
    return code, ""


def change_lines(changes: dict[str, Any]) -> list[str]:
    """The summary as lines a person reads: "field: old → new"."""
    lines = []
    for key, value in changes.items():
        if isinstance(value, dict) and ("old" in value or "new" in value):
            lines.append(f"{key}: {value.get('old') or '–'} → {value.get('new') or '–'}")
        elif isinstance(value, dict):
            lines.extend(f"{key} {line}" for line in change_lines(value))
        else:
            lines.append(f"{key}: {value}")
    return lines


def _send_email(delivery: DepartmentDelivery) -> tuple[None, str]:
    subscription = delivery.subscription
    message = message_send(
        recipient=Recipient(name=subscription.name, language=subscription.language, email=subscription.target),
        template="department_notice",
        context={
            "kind": str(dict(CHANGE_KINDS)[delivery.kind]),
            "account_number": delivery.account_number,
            "at": dt.datetime.fromisoformat(delivery.payload["at"]),
            "lines": change_lines(delivery.payload.get("changes") or {}),
            "event_id": delivery.event_id,
        },
    )
    return None, f"outbox message {message.pk}"


def _send_queue(delivery: DepartmentDelivery) -> tuple[None, str]:
    if _queue_handler is None:
        raise DeliveryError("no back-office queue handler is registered")
    note = _queue_handler(
        queue=delivery.subscription.target,
        kind=delivery.kind,
        account_number=delivery.account_number,
        summary=delivery.payload.get("changes") or {},
        at=dt.datetime.fromisoformat(delivery.payload["at"]),
    )
    return None, note


SENDERS: dict[str, Callable[[DepartmentDelivery], tuple[int | None, str]]] = {
    DepartmentSubscription.RecipientType.WEBHOOK: _send_webhook,
    DepartmentSubscription.RecipientType.EMAIL: _send_email,
    DepartmentSubscription.RecipientType.QUEUE: _send_queue,
}


def delivery_attempt(*, delivery_id: int) -> DepartmentDelivery:
    """Try once to deliver a notice; a delivered one is never sent again.

    Every try is logged. A failure leaves the delivery PENDING for a retry
    until DEPARTMENT_NOTICE_MAX_ATTEMPTS tries, then FAILED."""
    with transaction.atomic():
        delivery = DepartmentDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery_id)
        if delivery.status != DepartmentDelivery.Status.PENDING:
            return delivery
        now = clock.now()
        delivery.attempts += 1
        code: int | None = None
        try:
            with transaction.atomic():
                code, note = SENDERS[delivery.subscription.recipient_type](delivery)
        except Exception as exc:  # noqa: BLE001 - any failure is logged, then retried
            code = exc.args[1] if isinstance(exc, DeliveryError) and len(exc.args) > 1 else None
            error = str(exc.args[0]) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            DepartmentDeliveryAttempt.objects.create(
                delivery=delivery, attempted_at=now, succeeded=False, response_code=code, error=error
            )
            delivery.last_error = error
            if delivery.attempts >= settings.DEPARTMENT_NOTICE_MAX_ATTEMPTS:
                delivery.status = DepartmentDelivery.Status.FAILED
        else:
            DepartmentDeliveryAttempt.objects.create(
                delivery=delivery, attempted_at=now, succeeded=True, response_code=code, note=note[:200]
            )
            delivery.status = DepartmentDelivery.Status.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
        delivery.response_code = code
        delivery.save(update_fields=["status", "attempts", "last_error", "response_code", "delivered_at"])
    return delivery


def retry_countdown(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: doubling, capped."""
    base = settings.DEPARTMENT_NOTICE_RETRY_BASE_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), settings.DEPARTMENT_NOTICE_RETRY_MAX_SECONDS))


def delivery_send_again(*, delivery: DepartmentDelivery) -> bool:
    """Queue a failed (or stuck) delivery again with a fresh set of attempts;
    False for a delivered one."""
    with transaction.atomic():
        delivery = DepartmentDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.is_delivered:
            return False
        delivery.status = DepartmentDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.save(update_fields=["status", "attempts"])
        transaction.on_commit(lambda: deliver_department_notice.delay(delivery.pk))
    return True


@shared_task(name="core.tasks.deliver_department_notice", bind=True, max_retries=None)
def deliver_department_notice(self, delivery_id: int) -> Any:
    """Deliver one department notice (idempotent; retried with back-off).

    A worker schedules the retry after the countdown. Run eagerly (no worker),
    the retry is handed back so that Celery runs it at once, instead of the
    department's failure reaching the request that saved the change."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    if delivery.status != DepartmentDelivery.Status.PENDING:
        return None
    return self.retry(countdown=retry_countdown(delivery.attempts), throw=not self.request.is_eager)
