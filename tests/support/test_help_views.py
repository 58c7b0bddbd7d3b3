"""The help centre pages and the assistant: search, articles, asking (with
and without HTMX), feedback, tickets from the conversation; another
customer's conversation is 404."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import Invoice
from billing.services.ledger import ledger_book
from support.models import AssistantConversation, FaqArticle, Ticket
from support.services.faq_seed import faq_seed
from tests.accounts.factories import AccountFactory
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def articles():
    faq_seed()


@pytest.fixture
def account():
    account = AccountFactory(customer__language="en")
    ledger_book(
        account=account,
        kind="INVOICE",
        amount=Decimal("123.45"),
        booked_on=dt.date(2026, 1, 5),
        key="help-1",
        text="Bill",
        due_date=dt.date(2099, 1, 31),
    )
    return account


@pytest.fixture
def customer_client(client, account):
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"
    return client


def ask(client, question, **extra):
    return client.post(reverse("help:ask"), {"question": question}, **extra)


def invoice_for(account, number="R-2026-1"):
    return Invoice.objects.create(
        account=account,
        status=Invoice.Status.ISSUED,
        number=number,
        issue_date=dt.date(2026, 2, 1),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        net_total=Decimal("10.00"),
        vat_total=Decimal("1.90"),
        gross_total=Decimal("11.90"),
        customer_name="X",
        customer_address="Y",
    )


def test_the_help_page_lists_topics_and_articles_for_everyone(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get(reverse("help:home"))

    assert response.status_code == 200
    assert "bank-details-change" in response.content.decode()


def test_the_search_tolerates_typos(client):
    response = client.get(reverse("help:home"), {"q": "Bankverbindnug"})

    assert response.status_code == 200
    results = response.content.decode().split('data-testid="search-results"')[1]
    assert reverse("help:article", args=["bank-details-change"]) in results


def test_an_article_page_shows_the_article_and_unpublished_ones_are_404(client):
    assert client.get(reverse("help:article", args=["sepa-mandate"])).status_code == 200
    assert client.get(reverse("help:category", args=["payments"])).status_code == 200
    FaqArticle.objects.filter(slug="sepa-mandate").update(is_published=False)

    assert client.get(reverse("help:article", args=["sepa-mandate"])).status_code == 404
    assert client.get(reverse("help:article", args=["no-such-article"])).status_code == 404
    assert client.get(reverse("help:category", args=["no-such-category"])).status_code == 404


def test_asking_needs_a_signed_in_customer(client):
    response = ask(client, "Wie hoch ist mein Kontostand?")

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not AssistantConversation.objects.exists()


def test_a_balance_question_is_answered_from_the_customers_data_without_javascript(customer_client, account):
    response = ask(customer_client, "Wie hoch ist mein Kontostand?")

    conversation = AssistantConversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("help:conversation", args=[conversation.pk])
    assert conversation.customer == account.customer
    assert conversation.intent == "balance"
    assert conversation.answered_with == AssistantConversation.AnsweredWith.DATA
    assert "123.45" in conversation.answer_text
    page = customer_client.get(response["Location"])
    assert page.status_code == 200
    assert "€123.45" in page.content.decode()


def test_with_htmx_the_answer_card_comes_back_in_place(customer_client):
    response = ask(customer_client, "Wie hoch ist mein Kontostand?", **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="answer-card"' in body
    assert "€123.45" in body
    assert "<html" not in body


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_an_empty_or_overlong_question_gets_a_message_and_saves_nothing(customer_client, question):
    page = ask(customer_client, question)
    fragment = ask(customer_client, question, **HTMX)

    assert page.status_code == 400
    assert 'data-testid="ask-error"' in fragment.content.decode()
    assert not AssistantConversation.objects.exists()


def test_a_general_question_gets_help_articles(customer_client):
    ask(customer_client, "Wie funktioniert das SEPA Mandat und die Rückbuchung?")

    conversation = AssistantConversation.objects.get()
    assert conversation.answered_with == AssistantConversation.AnsweredWith.FAQ
    assert conversation.faq_articles.filter(slug="sepa-mandate").exists()


def test_a_reading_question_shows_the_reading_form_inline(client):
    agreement = supplied(start_date=dt.date(2026, 1, 1))
    client.force_login(agreement.account.customer.user)

    response = ask(client, "Ich möchte meinen Zählerstand eingeben", **HTMX)

    body = response.content.decode()
    register = agreement.supply_point.meters.get().registers.get()
    assert reverse("reads:send", args=[register.pk]) in body
    assert 'data-testid="register-panel"' in body


def test_yes_it_helped_is_recorded_and_opens_no_ticket(customer_client):
    ask(customer_client, "Wie hoch ist mein Kontostand?")
    conversation = AssistantConversation.objects.get()

    response = customer_client.post(reverse("help:feedback", args=[conversation.pk]), {"solved": "yes"})

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.solved is True
    assert not Ticket.objects.exists()


def test_no_talk_to_a_person_opens_one_ticket_with_the_conversation(customer_client, account):
    ask(customer_client, "Wie hoch ist mein Kontostand?")
    conversation = AssistantConversation.objects.get()
    url = reverse("help:feedback", args=[conversation.pk])

    response = customer_client.post(url, {"solved": "no", "details": "The amount looks too high."})
    again = customer_client.post(url, {"solved": "no"}, **HTMX)

    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("support:ticket_detail", args=[ticket.reference])
    assert ticket.customer == account.customer
    assert ticket.channel == Ticket.Channel.PORTAL
    assert ticket.topic == conversation.topic
    assert "too high" in ticket.messages.order_by("id").first().body
    conversation.refresh_from_db()
    assert conversation.ticket == ticket
    assert conversation.solved is False
    assert ticket.reference in again.content.decode()


def test_a_complaint_is_sent_to_the_team_as_a_complaint(customer_client):
    response = ask(customer_client, "Ich möchte mich über Ihren Service beschweren", **HTMX)
    assert 'data-testid="send-to-team"' in response.content.decode()
    conversation = AssistantConversation.objects.get()

    customer_client.post(reverse("help:feedback", args=[conversation.pk]), {"solved": "no"}, **HTMX)

    ticket = Ticket.objects.get()
    assert ticket.kind == Ticket.Kind.COMPLAINT
    assert conversation.question in ticket.messages.order_by("id").first().body


def test_a_dispute_names_the_customers_bill_and_not_another_customers(customer_client, account):
    mine = invoice_for(account, "R-MINE")
    theirs = invoice_for(AccountFactory(), "R-THEIRS")
    ask(customer_client, "Meine Rechnung ist falsch")
    conversation = AssistantConversation.objects.get()
    url = reverse("help:feedback", args=[conversation.pk])

    refused = customer_client.post(url, {"solved": "no", "invoice": theirs.pk})
    assert refused.status_code == 400
    assert not Ticket.objects.exists()

    customer_client.post(url, {"solved": "no", "invoice": mine.pk})

    ticket = Ticket.objects.get()
    assert ticket.kind == Ticket.Kind.BILLING_DISPUTE
    assert ticket.disputed_invoice == mine


def test_feedback_without_a_choice_is_refused(customer_client):
    ask(customer_client, "Wie hoch ist mein Kontostand?")
    conversation = AssistantConversation.objects.get()

    response = customer_client.post(reverse("help:feedback", args=[conversation.pk]), {})

    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.solved is None


def test_another_customers_conversation_is_404(customer_client):
    other = AccountFactory(customer__language="en")
    other_client = Client()
    other_client.force_login(other.customer.user)
    ask(other_client, "Wie hoch ist mein Kontostand?")
    theirs = AssistantConversation.objects.get()

    assert customer_client.get(reverse("help:conversation", args=[theirs.pk])).status_code == 404
    response = customer_client.post(reverse("help:feedback", args=[theirs.pk]), {"solved": "no"})
    assert response.status_code == 404
    assert not Ticket.objects.exists()
