import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.models import Customer
from tests.accounts.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-Passw0rd!"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["portal_language"] = "en"


def sign_up(client, email="new@example.com"):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def confirmation_link(message):
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", message.body).group(1)


def test_sign_up_sends_a_verification_mail_and_does_not_sign_in(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert mail.outbox[0].to == ["new@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_verifying_the_address_signs_in_and_leads_to_onboarding(client):
    sign_up(client)

    link = confirmation_link(mail.outbox[0])
    response = client.post(link)

    assert EmailAddress.objects.get(email="new@example.com").verified
    home = client.get(response["Location"], follow=True)
    assert home.wsgi_request.path.startswith("/onboarding/")


def test_an_unverified_user_cannot_sign_in(client):
    sign_up(client)
    client.logout()

    response = client.post(reverse("account_login"), {"login": "new@example.com", "password": PASSWORD})

    assert response["Location"] == reverse("account_email_verification_sent")


def test_a_forgotten_password_can_be_reset_by_mail(client):
    UserFactory(email="erika@example.com")

    client.post(reverse("account_reset_password"), {"email": "erika@example.com"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.wsgi_request.path, {"password1": "N3w-Passw0rd-2026", "password2": "N3w-Passw0rd-2026"}
    )

    assert response.status_code == 302
    assert get_user_model().objects.get(email="erika@example.com").check_password("N3w-Passw0rd-2026")


def test_account_mails_go_out_in_the_customers_language(client):
    customer = CustomerFactory(email="erik@example.com", language="de")

    client.post(reverse("account_reset_password"), {"email": customer.email})

    assert "Passwort" in mail.outbox[0].subject + mail.outbox[0].body


def test_repeated_failed_logins_are_rate_limited(client):
    UserFactory(email="erika@example.com")

    for _attempt in range(5):
        response = client.post(reverse("account_login"), {"login": "erika@example.com", "password": "wrong"})
        assert response.status_code == 200
    blocked = client.post(reverse("account_login"), {"login": "erika@example.com", "password": PASSWORD})

    assert "Too many failed login attempts" in blocked.content.decode()
    assert not blocked.wsgi_request.user.is_authenticated


def test_a_customer_can_turn_on_totp_and_gets_recovery_codes(client):
    user = UserFactory(email="erika@example.com")
    client.post(reverse("account_login"), {"login": "erika@example.com", "password": PASSWORD})
    # Turning on two-factor asks for the password once more.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()


@pytest.mark.parametrize("path", ["/staff/", "/admin/"])
def test_staff_without_two_factor_are_sent_to_set_it_up(client, path):
    agent = UserFactory(email="agent@example.com", is_staff=True, is_superuser=True)
    client.force_login(agent)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_customers_need_no_two_factor(client):
    customer = CustomerFactory()
    client.force_login(customer.user)

    assert client.get(reverse("home")).status_code == 200


def test_the_admin_signs_in_through_the_portal_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_customer_onboarded_by_phone_gets_the_login_that_verifies_their_address(client):
    customer = CustomerFactory(email="phone@example.com", user=None)
    sign_up(client, email="phone@example.com")

    client.post(confirmation_link(mail.outbox[0]))

    customer.refresh_from_db()
    assert customer.user is not None
    assert customer.user.email == "phone@example.com"
    assert Customer.objects.count() == 1
