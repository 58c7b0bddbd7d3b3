"""The assistant: a customer's question answered at once where possible,
otherwise handed to a person with everything said so far.

1. Classify the question: rules for the obvious cases, then the trained
   classifier (support.classifier) gives intent and topic.
2. Routine intents (balance, due date, last payment, next bill, reads,
   tariff, outage, bank details) are answered from the customer's own data
   (support.queries.intents); the best-matching help articles come with every answer
   (support.knowledge; a topic's articles when the search finds none).
3. The customer says whether that solved it. Not solved, and complaints,
   billing disputes and "talk to a person" become a ticket with the
   question, the detected intent and topic and the answer given
   (support.services.tickets.ticket_create); one click, optionally with more details.

Every question is logged as an AssistantConversation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Account, Customer
from billing.models import Invoice
from support.classifier import Classification, Intent, classify
from support.knowledge import faq_search, published_articles
from support.models import AssistantConversation, FaqArticle, Ticket
from support.queries.intents import DataAnswer, data_answer
from support.services.tickets import ticket_create

MAX_QUESTION = 1000
MAX_DETAILS = 5000
ARTICLES_SHOWN = 3
SUBJECT_LENGTH = 80
# Intents a person handles: the answer card offers to pass them on straight away.
FOR_A_PERSON = (Intent.COMPLAINT, Intent.BILLING_DISPUTE, Intent.TALK_TO_PERSON)
TICKET_KINDS = {
    Intent.COMPLAINT: Ticket.Kind.COMPLAINT,
    Intent.BILLING_DISPUTE: Ticket.Kind.BILLING_DISPUTE,
    Intent.MOVE: Ticket.Kind.MOVE,
    Intent.PAYMENT_PLAN: Ticket.Kind.PAYMENT_PLAN_REQUEST,
    Intent.LAST_READS: Ticket.Kind.METER_PROBLEM,
    Intent.SUBMIT_READ: Ticket.Kind.METER_PROBLEM,
}


class AssistantError(ValueError):
    """A question or feedback the assistant cannot take; the message says why."""


@dataclass
class AssistantAnswer:
    """What the answer card shows for one conversation."""

    conversation: AssistantConversation
    data: DataAnswer | None
    articles: list[FaqArticle] = field(default_factory=list)

    @property
    def for_a_person(self) -> bool:
        return self.conversation.intent in FOR_A_PERSON

    @property
    def is_dispute(self) -> bool:
        return self.conversation.intent == Intent.BILLING_DISPUTE

    @property
    def answered(self) -> bool:
        return self.data is not None or bool(self.articles)


def _question(text: str) -> str:
    question = " ".join((text or "").split())
    if not question:
        raise AssistantError(_("Please type your question."))
    if len(question) > MAX_QUESTION:
        raise AssistantError(
            _("Please keep your question under %(count)d characters; you can add details afterwards.")
            % {"count": MAX_QUESTION}
        )
    return question


def _articles(*, question: str, topic: str) -> list[FaqArticle]:
    hits = faq_search(query=question, limit=ARTICLES_SHOWN)
    if hits:
        return [hit.article for hit in hits]
    return list(published_articles().filter(category__slug=topic).order_by("id")[:ARTICLES_SHOWN])


def _answer_text(*, data: DataAnswer | None, articles: list[FaqArticle]) -> str:
    if data is not None:
        return data.as_text()
    if articles:
        return _("Help articles: %(titles)s") % {"titles": "; ".join(article.title for article in articles)}
    return ""


def assistant_ask(*, customer: Customer, question: str, language: str, as_of: dt.datetime) -> AssistantAnswer:
    """Answer a question and log the conversation (AssistantError for an empty or overlong question)."""
    question = _question(question)
    classification: Classification = classify(question)
    with translation.override(language):
        data = None
        if classification.intent not in FOR_A_PERSON:
            data = data_answer(intent=classification.intent, customer=customer, language=language, as_of=as_of)
        articles = _articles(question=question, topic=classification.topic)
        if data is not None:
            answered_with = AssistantConversation.AnsweredWith.DATA
        elif articles:
            answered_with = AssistantConversation.AnsweredWith.FAQ
        else:
            answered_with = AssistantConversation.AnsweredWith.NONE
        with transaction.atomic():
            conversation = AssistantConversation.objects.create(
                customer=customer,
                question=question,
                language=language,
                intent=classification.intent,
                topic=classification.topic,
                answered_with=answered_with,
                answer_text=_answer_text(data=data, articles=articles),
                created_at=as_of,
            )
            conversation.faq_articles.set(articles)
    return AssistantAnswer(conversation=conversation, data=data, articles=articles)


def assistant_answer(*, conversation: AssistantConversation, as_of: dt.datetime) -> AssistantAnswer:
    """The answer card of a logged conversation again, with today's figures."""
    data = None
    if conversation.answered_with == AssistantConversation.AnsweredWith.DATA:
        data = data_answer(
            intent=conversation.intent,
            customer=conversation.customer,
            language=conversation.language,
            as_of=as_of,
        )
    articles = list(conversation.faq_articles.filter(is_published=True).order_by("id"))
    return AssistantAnswer(conversation=conversation, data=data, articles=articles)


def customer_conversation(*, customer: Customer, conversation_id: int) -> AssistantConversation | None:
    """The customer's own conversation, or None (another customer's is not found)."""
    return (
        AssistantConversation.objects.filter(pk=conversation_id, customer=customer)
        .select_related("customer", "ticket")
        .first()
    )


def disputable_invoices(*, customer: Customer):
    return (
        Invoice.objects.filter(account__customer=customer, status=Invoice.Status.ISSUED, number__isnull=False)
        .select_related("account")
        .order_by("-issue_date", "-id")
    )


def _subject(question: str) -> str:
    if len(question) <= SUBJECT_LENGTH:
        return question
    return question[: SUBJECT_LENGTH - 1].rstrip() + "…"


def assistant_feedback(
    *,
    conversation: AssistantConversation,
    solved: bool,
    as_of: dt.datetime,
    details: str = "",
    invoice: Invoice | None = None,
) -> Ticket | None:
    """Record whether the answer solved it; when not, open a ticket with the
    conversation (once: a second click returns the same ticket)."""
    details = (details or "").strip()
    if len(details) > MAX_DETAILS:
        raise AssistantError(_("Please keep the details under %(count)d characters.") % {"count": MAX_DETAILS})
    customer = conversation.customer
    if invoice is not None and (invoice.account.customer_id != customer.pk or invoice.status != Invoice.Status.ISSUED):
        raise AssistantError(_("Please choose one of your bills."))
    with transaction.atomic():
        locked = AssistantConversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.ticket_id is not None:
            return locked.ticket
        if solved:
            locked.solved = True
            locked.save(update_fields=["solved"])
            conversation.solved = True
            return None
        locked.solved = False
        locked.save(update_fields=["solved"])
        kind = TICKET_KINDS.get(locked.intent, Ticket.Kind.INQUIRY)
        if invoice is not None:
            kind = Ticket.Kind.BILLING_DISPUTE
        body = locked.question if not details else f"{locked.question}\n\n{details}"
        accounts = list(Account.objects.filter(customer=customer).order_by("id")[:2])
        account = invoice.account if invoice is not None else (accounts[0] if len(accounts) == 1 else None)
        ticket = ticket_create(
            customer=customer,
            kind=kind,
            channel=Ticket.Channel.PORTAL,
            subject=_subject(locked.question),
            body=body,
            topic=locked.topic,
            account=account,
            conversation=locked,
            language=locked.language,
            disputed_invoice=invoice if kind == Ticket.Kind.BILLING_DISPUTE else None,
            as_of=as_of,
        )
    conversation.solved = False
    conversation.ticket = ticket
    return ticket
