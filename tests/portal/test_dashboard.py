import pytest
from django.urls import reverse

from tests.accounts.factories import AccountFactory, SepaMandateFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_visitors_see_the_landing_page_in_german(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert '<html lang="de">' in response.content.decode()
    assert response["Content-Language"] == "de"


def test_the_browser_language_does_not_override_german(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response["Content-Language"] == "de"


def test_the_switcher_changes_the_language(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert client.get(reverse("home"))["Content-Language"] == "en"
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert client.get(reverse("home"))["Content-Language"] == "de"


def test_a_signed_in_customer_sees_the_portal_in_their_language(client):
    account = AccountFactory(customer__language="en")
    client.force_login(account.customer.user)

    assert client.get(reverse("home"))["Content-Language"] == "en"


def test_a_user_without_customer_details_is_sent_to_onboarding(client):
    client.force_login(UserFactory())

    response = client.get(reverse("home"))

    assert response["Location"] == reverse("onboarding")


def test_the_dashboard_shows_only_the_customers_own_accounts(client):
    mine = SepaMandateFactory(account__customer__email="me@example.com").account
    other = AccountFactory(customer__email="other@example.com")
    client.force_login(mine.customer.user)

    response = client.get(reverse("home"))

    body = response.content.decode()
    assert mine.number in body
    assert mine.mandates.get().reference in body
    assert other.number not in body


def test_the_confirmation_page_shows_only_the_own_account(client):
    mine = AccountFactory(customer__email="me@example.com")
    other = AccountFactory(customer__email="other@example.com")
    client.force_login(other.customer.user)

    body = client.get(reverse("onboarding_done")).content.decode()

    assert other.number in body
    assert mine.number not in body


def test_the_confirmation_page_is_404_for_a_user_without_customer(client):
    client.force_login(UserFactory())

    assert client.get(reverse("onboarding_done")).status_code == 404


def test_pages_send_a_content_security_policy(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
