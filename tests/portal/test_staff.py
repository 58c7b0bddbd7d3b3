import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Customer, SepaMandate
from core.models import OutboxMessage
from tests.accounts.factories import (
    AccountFactory,
    CustomerFactory,
    SepaMandateFactory,
    UserFactory,
    onboarding_payload,
    staff_user,
    with_two_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    client.force_login(staff_user())
    client.cookies["portal_language"] = "en"
    return client


@pytest.fixture
def berlin_customer():
    account = AccountFactory(
        customer__first_name="Erika",
        customer__last_name="Mustermann",
        customer__email="erika@example.com",
        postcode="10969",
    )
    return account.customer


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("staff:search"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_customers_may_not_enter_the_back_office(client, berlin_customer):
    client.force_login(berlin_customer.user)

    assert client.get(reverse("staff:search")).status_code == 403
    assert client.get(reverse("staff:customer", args=[berlin_customer.pk])).status_code == 403


def test_staff_without_the_customer_permission_are_refused(client):
    user = UserFactory(email="it@example.com", is_staff=True)
    with_two_factor(user)
    client.force_login(user)

    assert client.get(reverse("staff:search")).status_code == 403


@pytest.mark.parametrize("query", ["Mustermann", "erika mustermann", "ERIKA@example.com", "10969", "Erika"])
def test_agents_find_customers_by_name_email_and_postcode(agent_client, berlin_customer, query):
    AccountFactory(customer__first_name="Hans", customer__last_name="Schulz", postcode="80331")

    response = agent_client.get(reverse("staff:search"), {"q": query})

    assert list(response.context["results"]) == [berlin_customer]


def test_agents_find_customers_by_account_number(agent_client, berlin_customer):
    number = berlin_customer.accounts.get().number

    response = agent_client.get(reverse("staff:search"), {"q": number})

    assert list(response.context["results"]) == [berlin_customer]


def test_search_without_match_says_so(agent_client, berlin_customer):
    response = agent_client.get(reverse("staff:search"), {"q": "Nobody"})

    assert "No customer matches" in response.content.decode()


def test_search_runs_a_fixed_number_of_queries(agent_client, django_assert_max_num_queries):
    for n in range(30):
        AccountFactory(customer__last_name="Meyer", customer__email=f"meyer{n}@example.com")

    with django_assert_max_num_queries(13):
        response = agent_client.get(reverse("staff:search"), {"q": "Meyer"})

    assert len(response.context["results"]) == 30


def test_htmx_search_returns_only_the_results(agent_client, berlin_customer):
    response = agent_client.get(reverse("staff:search"), {"q": "Mustermann"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body
    assert 'id="results"' in body
    assert "Mustermann" in body


def test_the_customer_page_shows_accounts_mandates_and_messages(agent_client):
    mandate = SepaMandateFactory(account__customer__email="erika@example.com")
    customer = mandate.account.customer
    OutboxMessage.objects.create(
        recipient=customer,
        channel="EMAIL",
        template="t",
        language="de",
        to_address=customer.email,
        subject="Willkommen",
        body="Hallo",
    )

    overview = agent_client.get(reverse("staff:customer", args=[customer.pk]))
    messages = agent_client.get(reverse("staff:customer", args=[customer.pk]), {"tab": "messages"})

    assert mandate.account.number in overview.content.decode()
    assert mandate.reference in overview.content.decode()
    assert "Willkommen" in messages.content.decode()


def test_the_history_shows_who_changed_what_from_old_to_new(agent_client):
    supervisor = staff_user(email="boss@example.com", group="Supervisors")
    customer = CustomerFactory(email="old@example.com")
    customer.email = "new@example.com"
    customer._history_user = supervisor
    customer.save()

    response = agent_client.get(reverse("staff:customer", args=[customer.pk]), {"tab": "history"})

    entry = next(e for e in response.context["history"] if e["changes"])
    assert entry["who"] == supervisor
    assert {"field": "e-mail", "old": "old@example.com", "new": "new@example.com"} in [
        {**c, "field": str(c["field"])} for c in entry["changes"]
    ]


def test_an_unknown_customer_is_404(agent_client):
    assert agent_client.get(reverse("staff:customer", args=[999999])).status_code == 404


def test_an_agent_onboards_a_customer_on_the_phone(agent_client, django_capture_on_commit_callbacks):
    payload = onboarding_payload(email="phone@example.com")
    for step in ["person", "address", "contact", "payment"]:
        response = agent_client.post(reverse("staff:onboarding_step", args=[step]), payload)
        assert response.status_code == 302, response.content.decode()[:1500]

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reverse("staff:onboarding_step", args=["review"]))

    customer = Customer.objects.get(email="phone@example.com")
    assert customer.user is None
    assert response["Location"].startswith(reverse("staff:customer", args=[customer.pk]))
    assert SepaMandate.objects.filter(account__customer=customer).exists()
    assert mail.outbox[0].to == ["phone@example.com"]


def test_agents_need_the_add_permission_to_onboard(client):
    user = UserFactory(email="viewer@example.com", is_staff=True)
    with_two_factor(user)
    client.force_login(user)

    assert client.get(reverse("staff:onboarding_step", args=["person"])).status_code == 403


def test_messages_are_shown_only_with_the_outbox_permission(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer", content_type__app_label="accounts"))
    with_two_factor(viewer)
    customer = CustomerFactory()
    OutboxMessage.objects.create(
        recipient=customer,
        channel="EMAIL",
        template="t",
        language="de",
        to_address=customer.email,
        subject="Vertraulich",
        body="Hallo",
    )
    client.force_login(viewer)

    response = client.get(reverse("staff:customer", args=[customer.pk]), {"tab": "messages"})

    assert response.status_code == 200
    assert "Vertraulich" not in response.content.decode()
