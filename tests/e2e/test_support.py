"""A customer asks the assistant: a balance question is answered from their
account at once; a question it cannot answer goes to a person as a ticket,
which appears in the agent's queue; the agent's reply reaches the customer."""

import datetime as dt
import re
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.services.ledger import ledger_book
from support.classifier import classify
from support.models import AssistantConversation, Ticket
from support.services.faq_seed import faq_seed
from support.services.seed import support_seed
from tests.accounts.factories import AccountFactory, staff_user

pytestmark = pytest.mark.e2e

COMPLEX_QUESTION = (
    "Mein Nachbar hat seine Wallbox an meinen Hausanschluss angeschlossen. Wer haftet und wie wird das aufgeteilt?"
)


@pytest.fixture
def customer(sign_in, live_server):
    support_seed()
    faq_seed()
    # The first request imports the whole site and the first question loads
    # (or trains) the classifier: both before the browser's timeouts start.
    classify("Wie hoch ist mein Kontostand?")
    urllib.request.urlopen(f"{live_server.url}/help/", timeout=120).close()
    account = AccountFactory(customer__language="de")
    ledger_book(
        account=account,
        kind="INVOICE",
        amount=Decimal("123.45"),
        booked_on=dt.date(2026, 1, 5),
        key="e2e-support-1",
        text="Rechnung",
        due_date=dt.date(2099, 1, 31),
    )
    sign_in(account.customer.user)
    return account.customer


@pytest.fixture
def agent_page(browser, live_server):
    """The agent works in a browser of their own (separate cookies)."""
    from django.conf import settings
    from django.test import Client

    agent = staff_user(email="agent-support@example.com")
    client = Client()
    client.force_login(agent)
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
        ]
    )
    page = context.new_page()
    yield page
    context.close()


def ask(page, question):
    form = page.get_by_test_id("ask-form")
    form.locator("textarea[name=question]").fill(question)
    form.locator("button[type=submit]").click()


def test_balance_answered_at_once_and_a_complex_question_reaches_an_agent(page, customer, agent_page):
    page.goto("/help/")

    # A routine question: the balance from the customer's own account, in place (HTMX).
    ask(page, "Wie hoch ist mein Kontostand?")
    card = page.locator("#answer").get_by_test_id("answer-card")
    expect(card).to_contain_text("123,45 €")
    expect(page).to_have_url(re.compile(r"/help/$"))
    assert AssistantConversation.objects.get(customer=customer).intent == "balance"

    # Something the assistant cannot settle: one click hands it to a person.
    ask(page, COMPLEX_QUESTION)
    card = page.locator("#answer").get_by_test_id("answer-card")
    expect(card).to_contain_text("Wallbox")
    card.locator("[data-testid=helped-no], [data-testid=send-to-team]").first.click()
    result = page.get_by_test_id("feedback-result")
    expect(result).to_be_visible()
    ticket = Ticket.objects.get(customer=customer)
    expect(result).to_contain_text(ticket.reference)

    # The ticket waits in the agent's queue, with the conversation.
    agent_page.goto("/staff/tickets/")
    row = agent_page.get_by_test_id(f"row-{ticket.reference}")
    expect(row).to_be_visible()
    row.get_by_role("link", name=ticket.reference).click()
    expect(agent_page.get_by_test_id("conversation")).to_contain_text("Wallbox")
    agent_page.locator("textarea[name=body]").first.fill(
        "Guten Tag, das klären wir gern mit Ihnen: bitte senden Sie uns ein Foto."
    )
    agent_page.get_by_role("button", name="Send to the customer").click()
    expect(agent_page.get_by_test_id("conversation")).to_contain_text("Foto")

    # The customer reads the answer on their request's page.
    result.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/service/tickets/{ticket.reference}/$"))
    expect(page.get_by_test_id("message-agent")).to_contain_text("bitte senden Sie uns ein Foto")
