import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Customer
from tests.accounts.factories import SepaMandateFactory, UserFactory, with_two_factor
from tests.core.factories import ApiKeyFactory, OutboxMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    with_two_factor(user)
    client.force_login(user)
    client.user = user
    return client


def test_every_model_has_a_working_list_with_search(admin_client):
    SepaMandateFactory()
    OutboxMessageFactory()
    ApiKeyFactory()
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = admin_client.get(url, {"q": "x"} if model_admin.search_fields else {})
        assert response.status_code == 200, url


def test_portal_models_have_useful_lists(admin_client):
    for model in (Customer,):
        model_admin = admin.site._registry[model]
        assert len(model_admin.list_display) >= 4
        assert model_admin.search_fields
        assert model_admin.list_filter


def test_a_change_in_the_admin_is_kept_with_who_old_and_new(admin_client):
    mandate = SepaMandateFactory(account_holder="Max Mustermann")
    customer = mandate.account.customer
    url = reverse("admin:accounts_customer_change", args=[customer.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "email": "changed@example.com",
            "accounts-TOTAL_FORMS": "1",
            "accounts-INITIAL_FORMS": "1",
            "accounts-MIN_NUM_FORMS": "0",
            "accounts-MAX_NUM_FORMS": "1000",
            "accounts-0-id": str(mandate.account.pk),
            "accounts-0-customer": str(customer.pk),
            "accounts-0-status": "ACTIVE",
            "accounts-0-street": "Neue Straße",
            "accounts-0-house_number": "1",
            "accounts-0-postcode": "10969",
            "accounts-0-city": "Berlin",
            "accounts-0-payment_method": "SEPA",
        }
    )
    data = {k: v for k, v in data.items() if v is not None}

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = customer.history.latest()
    change = latest.diff_against(latest.prev_record).changes
    assert latest.history_user == admin_client.user
    assert [(c.field, c.old, c.new) for c in change] == [("email", customer.email, "changed@example.com")]
    account_change = mandate.account.history.latest()
    assert account_change.history_user == admin_client.user
    assert account_change.street == "Neue Straße"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/billing/tariff/", "/admin/supply/tariff/"),
        ("/admin/billing/tariffversion/add/?tariff=3", "/admin/supply/tariffversion/add/?tariff=3"),
        ("/admin/billing/serviceagreement/7/change/", "/admin/supply/serviceagreement/7/change/"),
        ("/admin/billing/billingpreferences/", "/admin/accounts/billingpreferences/"),
        ("/admin/metering/read/?q=4711", "/admin/meters/read/?q=4711"),
    ],
)
def test_the_admin_pages_of_moved_models_answer_at_their_old_address(client, old, new):
    response = client.get(old)

    assert response.status_code == 301
    assert response["Location"] == new


def test_admin_pages_that_did_not_move_are_not_redirected(client):
    assert client.get("/admin/billing/billrun/").status_code == 302
    assert client.get("/admin/billing/billrun/")["Location"].startswith("/admin/login/")
