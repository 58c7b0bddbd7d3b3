"""E-mail in: mails to the support address become tickets or thread into one.

A mail threads into a ticket when its subject carries the reference
("[T-2026-000123]") or its In-Reply-To/References name an earlier mail of the
ticket, and it comes from the ticket's sender or customer. Any other mail
opens a new ticket, matched to a customer by the sender's address (unknown
senders get a ticket without a customer). A Message-ID already stored is not
taken twice. HTML-only mails are turned into text; attachments are kept.

Mails are read from an IMAP mailbox (SUPPORT_IMAP_* settings) or, the
embedded default, from a directory of .eml files, which are moved to
processed/ (or failed/) beside them once read.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import enum
import hashlib
import imaplib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Customer
from core.communications import Attachment
from support.classifier import Intent, classify
from support.models import Ticket, TicketMessage
from support.services.tickets import TicketError, ticket_create, ticket_customer_reply

logger = logging.getLogger(__name__)

REFERENCE_IN_SUBJECT = re.compile(r"\[(T-\d{4}-\d{6})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
REPLY_PREFIX = re.compile(r"^\s*((re|aw|wg|fw|fwd)\s*:\s*)+", re.IGNORECASE)
COMPLAINT_WORDS = re.compile(r"\b(beschwerde|reklamation|complaint)\b", re.IGNORECASE)
# "On Mon, ... wrote:" / "Am ... schrieb ...:" before a quoted block.
ATTRIBUTION = re.compile(r"^(on .+ wrote:|am .+ schrieb .*:)\s*$", re.IGNORECASE)
MAX_MAIL_BYTES = 30 * 1024 * 1024
# Intents of the question classifier that make a mail a ticket of another kind than an inquiry.
INTENT_KINDS = {
    Intent.COMPLAINT: Ticket.Kind.COMPLAINT,
    Intent.MOVE: Ticket.Kind.MOVE,
    Intent.PAYMENT_PLAN: Ticket.Kind.PAYMENT_PLAN_REQUEST,
}
BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote"}


class Outcome(enum.StrEnum):
    NEW_TICKET = "new_ticket"
    REPLY = "reply"
    DUPLICATE = "duplicate"
    FAILED = "failed"


@dataclass
class IncomingMail:
    message_id: str
    subject: str
    sender_email: str
    related_ids: list[str]
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    automatic: bool = False


@dataclass(frozen=True)
class MailResult:
    outcome: Outcome
    ticket: Ticket | None = None
    error: str = ""


class _TextFromHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail: paragraphs and line breaks kept, markup and scripts gone."""
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def strip_quoted(text: str) -> str:
    """The new part of a reply: the quoted earlier mail at the end (lines with ">" and
    the "On ... wrote:" line before them) is cut off."""
    lines = text.rstrip().splitlines()
    end = len(lines)
    while end and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    if end == len(lines):
        return text.strip()
    if end and ATTRIBUTION.match(lines[end - 1].strip()):
        end -= 1
    kept = "\n".join(lines[:end]).strip()
    return kept or text.strip()


def mail_parse(raw: bytes) -> IncomingMail:
    """The parts of a mail that a ticket needs."""
    message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[assignment]
    message_id = (message.get("Message-ID") or "").strip()
    found = MESSAGE_ID.search(message_id)
    message_id = found.group(0) if found else f"<sha256-{hashlib.sha256(raw).hexdigest()}@mail.invalid>"
    senders = getaddresses([str(message.get("Reply-To") or message.get("From") or "")])
    sender_email = next((address for _name, address in senders if "@" in address), "").strip().lower()
    related = MESSAGE_ID.findall(f"{message.get('In-Reply-To') or ''} {message.get('References') or ''}")
    body = ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is not None:
        content = part.get_content()
        body = html_to_text(content) if part.get_content_type() == "text/html" else content
    attachments = []
    for attachment in message.iter_attachments():
        filename = attachment.get_filename()
        if not filename:
            continue
        payload = attachment.get_payload(decode=True) or b""
        attachments.append(Attachment(filename=filename, content=payload, content_type=attachment.get_content_type()))
    auto = (message.get("Auto-Submitted") or "no").strip().lower() != "no" or (
        message.get("Precedence") or ""
    ).strip().lower() in ("bulk", "junk", "auto_reply")
    return IncomingMail(
        message_id=message_id[:250],
        subject=" ".join(str(message.get("Subject") or "").split()),
        sender_email=sender_email,
        related_ids=related,
        body=body.replace("\r\n", "\n").strip(),
        attachments=attachments,
        automatic=auto,
    )


def _thread_target(mail: IncomingMail) -> Ticket | None:
    """The ticket the mail answers, if it comes from that ticket's sender or customer."""
    candidates: list[Ticket] = []
    found = REFERENCE_IN_SUBJECT.search(mail.subject)
    if found:
        candidates += Ticket.objects.filter(reference=found.group(1)).select_related("customer")
    if mail.related_ids:
        candidates += [
            message.ticket
            for message in TicketMessage.objects.filter(email_message_id__in=mail.related_ids)
            .select_related("ticket__customer")
            .order_by("-created_at", "-id")
        ]
    for ticket in candidates:
        known = {ticket.sender_email.lower()}
        if ticket.customer is not None:
            known.add(ticket.customer.email.lower())
        if mail.sender_email and mail.sender_email in known:
            return ticket
    return None


def mail_receive(*, raw: bytes, as_of: dt.datetime) -> MailResult:
    """Take one mail: a reply to a ticket, a new ticket, or a mail already taken."""
    if len(raw) > MAX_MAIL_BYTES:
        return MailResult(outcome=Outcome.FAILED, error="mail too large")
    mail = mail_parse(raw)
    existing = TicketMessage.objects.filter(email_message_id=mail.message_id).select_related("ticket").first()
    if existing is not None:
        return MailResult(outcome=Outcome.DUPLICATE, ticket=existing.ticket)
    body = strip_quoted(mail.body) or mail.subject or "-"
    try:
        with transaction.atomic():
            target = _thread_target(mail)
            if target is not None:
                message = ticket_customer_reply(
                    ticket=target,
                    body=body,
                    as_of=as_of,
                    email_message_id=mail.message_id,
                    attachments=mail.attachments,
                )
                return MailResult(outcome=Outcome.REPLY, ticket=message.ticket)
            customer = Customer.objects.filter(email__iexact=mail.sender_email).first() if mail.sender_email else None
            accounts = list(customer.accounts.order_by("id")[:2]) if customer else []
            subject = REPLY_PREFIX.sub("", mail.subject) or body.splitlines()[0][:80]
            guess = classify(f"{subject}\n{body}")
            kind = INTENT_KINDS.get(guess.intent, Ticket.Kind.INQUIRY)
            if COMPLAINT_WORDS.search(f"{subject} {body}"):
                kind = Ticket.Kind.COMPLAINT
            ticket = ticket_create(
                customer=customer,
                kind=kind,
                channel=Ticket.Channel.EMAIL,
                topic=guess.topic,
                subject=subject[:200],
                body=body,
                account=accounts[0] if len(accounts) == 1 else None,
                as_of=as_of,
                sender_email=mail.sender_email,
                email_message_id=mail.message_id,
                attachments=mail.attachments,
                notify=not mail.automatic and bool(mail.sender_email),
            )
    except TicketError as error:
        return MailResult(outcome=Outcome.FAILED, error=str(error))
    except IntegrityError:
        # The same mail taken at the same time by another run.
        if TicketMessage.objects.filter(email_message_id=mail.message_id).exists():
            return MailResult(outcome=Outcome.DUPLICATE)
        raise
    return MailResult(outcome=Outcome.NEW_TICKET, ticket=ticket)


@dataclass
class FetchReport:
    results: list[MailResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)


def _directory_mails(directory: Path) -> Iterator[tuple[str, bytes, Path]]:
    for path in sorted(directory.glob("*.eml")):
        yield path.name, path.read_bytes(), path


def _move(path: Path, folder: str) -> None:
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    counter = 1
    while target.exists():
        target = target_dir / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    path.rename(target)


def support_mail_fetch_directory(*, directory: Path, as_of: dt.datetime) -> FetchReport:
    """Take every .eml file in `directory`; each is moved to processed/ or failed/ afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    for name, raw, path in _directory_mails(directory):
        try:
            result = mail_receive(raw=raw, as_of=as_of)
        except Exception as error:  # noqa: BLE001 - one broken mail must not stop the others
            logger.exception("Support mail %s could not be read", name)
            result = MailResult(outcome=Outcome.FAILED, error=f"{type(error).__name__}: {error}")
        report.results.append(result)
        _move(path, "failed" if result.outcome == Outcome.FAILED else "processed")
    return report


def support_mail_fetch_imap(*, as_of: dt.datetime) -> FetchReport:
    """Take the unread mails of the IMAP folder and mark each one read once taken."""
    report = FetchReport()
    client = imaplib.IMAP4_SSL(settings.SUPPORT_IMAP_HOST, settings.SUPPORT_IMAP_PORT)
    try:
        client.login(settings.SUPPORT_IMAP_USER, settings.SUPPORT_IMAP_PASSWORD)
        client.select(settings.SUPPORT_IMAP_FOLDER)
        _status, data = client.uid("search", None, "UNSEEN")
        for uid in (data[0] or b"").split():
            _status, parts = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple)), b"")
            try:
                result = mail_receive(raw=raw, as_of=as_of)
            except Exception as error:  # noqa: BLE001 - one broken mail must not stop the others
                logger.exception("Support mail %s could not be read", uid)
                result = MailResult(outcome=Outcome.FAILED, error=f"{type(error).__name__}: {error}")
            report.results.append(result)
            if result.outcome != Outcome.FAILED:
                client.uid("store", uid, "+FLAGS", "(\\Seen)")
    finally:
        try:
            client.logout()
        except imaplib.IMAP4.error:
            logger.warning("IMAP logout failed")
    return report


def support_mail_fetch(*, as_of: dt.datetime, directory: Path | None = None) -> FetchReport:
    """IMAP when a host is configured and no directory is given, else the directory of .eml files."""
    if directory is None and settings.SUPPORT_IMAP_HOST:
        return support_mail_fetch_imap(as_of=as_of)
    return support_mail_fetch_directory(directory=Path(directory or settings.SUPPORT_MAIL_DIR), as_of=as_of)
