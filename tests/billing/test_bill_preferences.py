"""Billing preferences: the service's rules, the customer's page and the agents' form."""

import pytest
from django.urls import reverse

from accounts.models import BillingPreferences
from billing.models import BillingSettings
from billing.services.preferences import PreferencesInvalid, preferences_update
from tests.accounts.factories import AccountFactory, staff_user

pytestmark = pytest.mark.django_db


def test_a_customer_changes_frequency_channel_language_and_budget_billing_with_history():
    account = AccountFactory()
    user = account.customer.user

    preferences = preferences_update(
        account=account,
        changes={
            "frequency": "QUARTERLY",
            "delivery_channel": "PORTAL",
            "invoice_language": "en",
            "budget_billing": False,
            "paperless": True,
        },
        by_staff=False,
        user=user,
    )

    assert (preferences.frequency, preferences.delivery_channel, preferences.invoice_language) == (
        "QUARTERLY",
        "PORTAL",
        "en",
    )
    assert preferences.budget_billing is False
    record = preferences.history.latest()
    assert record.history_user == user
    assert record.history_change_reason == "customer"


def test_customers_may_not_set_payment_terms():
    account = AccountFactory()

    with pytest.raises(PreferencesInvalid) as error:
        preferences_update(account=account, changes={"payment_terms_days": 30}, by_staff=False)

    assert "payment_terms_days" in error.value.messages
    assert not BillingPreferences.objects.filter(account=account).exists()


@pytest.mark.parametrize("days", [13, 0, -5, 91, "14", True])
def test_agents_may_never_set_terms_below_fourteen_days_or_nonsense(days):
    account = AccountFactory()

    with pytest.raises(PreferencesInvalid) as error:
        preferences_update(account=account, changes={"payment_terms_days": days}, by_staff=True)

    assert list(error.value.messages) == ["payment_terms_days"]


def test_agents_set_payment_terms_and_may_reset_them_to_the_company_default():
    account = AccountFactory()

    assert (
        preferences_update(account=account, changes={"payment_terms_days": 30}, by_staff=True).payment_terms_days == 30
    )
    assert (
        preferences_update(account=account, changes={"payment_terms_days": None}, by_staff=True).payment_terms_days
        is None
    )


def test_the_frequency_is_fixed_for_customers_when_the_company_says_so():
    settings = BillingSettings.current()
    settings.customer_may_choose_frequency = False
    settings.save()
    account = AccountFactory()

    with pytest.raises(PreferencesInvalid) as error:
        preferences_update(account=account, changes={"frequency": "MONTHLY"}, by_staff=False)
    agent_change = preferences_update(account=account, changes={"frequency": "MONTHLY"}, by_staff=True)

    assert "frequency" in error.value.messages
    assert agent_change.frequency == "MONTHLY"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"frequency": "WEEKLY"}, "frequency"),
        ({"delivery_channel": "PIGEON"}, "delivery_channel"),
        ({"invoice_language": "fr"}, "invoice_language"),
        ({"paperless": "yes"}, "paperless"),
        ({"budget_amount": "10"}, "budget_amount"),
        ({"delivery_channel": "LETTER", "paperless": True}, "paperless"),
    ],
)
def test_bad_changes_are_refused_with_a_message_and_nothing_saved(changes, field):
    account = AccountFactory()

    with pytest.raises(PreferencesInvalid) as error:
        preferences_update(account=account, changes=changes, by_staff=True)

    assert field in error.value.messages
    assert not BillingPreferences.objects.filter(account=account).exists()


def test_the_customer_page_saves_and_shows_the_choice(client):
    account = AccountFactory()
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"

    response = client.post(
        reverse("bills:preferences"),
        {"frequency": "HALF_YEARLY", "delivery_channel": "EMAIL", "invoice_language": "", "paperless": "on"},
    )

    assert response.status_code == 302
    preferences = BillingPreferences.objects.get(account=account)
    assert preferences.frequency == "HALF_YEARLY"
    assert preferences.budget_billing is False
    page = client.get(reverse("bills:preferences")).content.decode()
    assert "Your billing preferences were saved." in page
    assert "payment_terms_days" not in page


def test_the_customer_page_shows_messages_for_bad_input_and_saves_nothing(client):
    account = AccountFactory()
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"

    response = client.post(
        reverse("bills:preferences"),
        {"frequency": "DAILY", "delivery_channel": "LETTER", "paperless": "on", "payment_terms_days": "7"},
    )

    assert response.status_code == 200
    assert "frequency" in response.context["form"].errors
    assert not BillingPreferences.objects.filter(account=account).exists()


def test_a_paperless_letter_is_refused_on_the_page(client):
    account = AccountFactory()
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"

    response = client.post(
        reverse("bills:preferences"), {"frequency": "ANNUAL", "delivery_channel": "LETTER", "paperless": "on"}
    )

    assert "Bills by letter are not paperless" in response.content.decode()
    assert not BillingPreferences.objects.filter(account=account).exists()


def test_a_customer_cannot_reach_another_customers_preferences(client):
    account = AccountFactory()
    other = AccountFactory()
    client.force_login(account.customer.user)

    response = client.post(
        f"{reverse('bills:preferences')}?account={other.number}",
        {"frequency": "MONTHLY", "delivery_channel": "EMAIL"},
    )

    assert response.status_code == 404
    assert not BillingPreferences.objects.filter(account=other).exists()


def test_an_agent_sets_payment_terms_on_the_customer_page(client):
    account = AccountFactory()
    client.force_login(staff_user())
    client.cookies["portal_language"] = "en"

    page = client.get(reverse("staff:customer", args=[account.customer_id]), {"tab": "bills"}).content.decode()
    response = client.post(
        reverse("staff_bills:preferences", args=[account.pk]),
        {"frequency": "MONTHLY", "delivery_channel": "EMAIL", "payment_terms_days": "21"},
    )

    assert f"staff-preferences-{account.number}" in page
    assert response.status_code == 302
    preferences = BillingPreferences.objects.get(account=account)
    assert (preferences.frequency, preferences.payment_terms_days) == ("MONTHLY", 21)
    assert preferences.history.latest().history_change_reason == "agent"


def test_an_agent_cannot_go_below_fourteen_days(client):
    account = AccountFactory()
    client.force_login(staff_user())
    client.cookies["portal_language"] = "en"

    response = client.post(
        reverse("staff_bills:preferences", args=[account.pk]),
        {"frequency": "MONTHLY", "delivery_channel": "EMAIL", "payment_terms_days": "10"},
    )

    assert response.status_code == 200
    assert "payment_terms_days" in response.context["form"].errors
    assert not BillingPreferences.objects.filter(account=account).exists()


def test_a_customer_cannot_use_the_agents_form(client):
    account = AccountFactory()
    client.force_login(account.customer.user)

    response = client.post(
        reverse("staff_bills:preferences", args=[account.pk]),
        {"frequency": "MONTHLY", "delivery_channel": "EMAIL", "payment_terms_days": "60"},
    )

    assert response.status_code in (302, 403)
    assert not BillingPreferences.objects.filter(account=account).exists()
