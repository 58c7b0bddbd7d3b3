"""The profile page and the agent's pages for customer changes: scoped to the
signed-in customer, the requester and channel recorded, a representative's
change refused with a message, four-eyes on the approval list, and the
timeline in a fixed number of queries."""

import pytest

from accounts.changes import Requested, customer_change
from accounts.models import CustomerChange, CustomerType, PendingChange, Representative
from tests.accounts.factories import AccountFactory, CustomerFactory, staff_user

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english_pages(client):
    """Pages follow the language cookie (Accept-Language is for the API)."""
    client.cookies["portal_language"] = "en"


def details(account, **changes):
    customer = account.customer
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company_name": customer.company_name,
        "phone": "030 123456",
        "language": customer.language,
        "street": account.street,
        "house_number": account.house_number,
        "address_extra": "",
        "postcode": account.postcode,
        "city": account.city,
        "country": account.country,
    }
    data.update(changes)
    return data


def test_a_customer_changes_their_address_on_the_profile_page_and_sees_it_in_the_timeline(client):
    account = AccountFactory(city="Berlin")
    client.force_login(account.customer.user)
    response = client.post(f"/profile/?account={account.number}", details(account, city="Potsdam", postcode="14467"))
    assert response.status_code == 302
    page = client.get("/profile/", **ENGLISH)
    assert page.status_code == 200
    assert "Potsdam" in page.content.decode()
    assert CustomerChange.objects.get(field="city").channel == "PORTAL"


def test_bad_input_on_the_profile_page_saves_nothing(client):
    account = AccountFactory(postcode="10969")
    client.force_login(account.customer.user)
    response = client.post("/profile/", details(account, postcode="1"), **ENGLISH)
    assert response.status_code == 422
    assert 'id="id_postcode_error"' in response.content.decode()
    account.refresh_from_db()
    assert account.postcode == "10969"


def test_another_customers_account_on_the_profile_page_is_404(client):
    mine, theirs = AccountFactory(), AccountFactory(city="Köln")
    client.force_login(mine.customer.user)
    assert client.get(f"/profile/?account={theirs.number}").status_code == 404
    assert client.post(f"/profile/?account={theirs.number}", details(theirs, city="Bonn")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.city == "Köln"


def test_the_timeline_shows_only_the_customers_own_changes(client):
    mine, theirs = AccountFactory(), AccountFactory()
    customer_change(
        customer=theirs.customer, account=theirs, changes={"city": "Geheimstadt"}, requested=Requested(by=None)
    )
    client.force_login(mine.customer.user)
    assert "Geheimstadt" not in client.get("/profile/").content.decode()


def test_an_agent_records_a_change_with_who_asked_and_how(client):
    account = AccountFactory(city="Berlin")
    agent = staff_user()
    client.force_login(agent)
    response = client.post(
        f"/staff/customers/{account.customer_id}/edit/",
        {
            "section": "details",
            "who-requested_by": "CUSTOMER",
            "who-channel": "LETTER",
            **details(account, city="Bonn", postcode="53111"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = CustomerChange.objects.get(field="city")
    assert (entry.by, entry.requested_by, entry.channel) == (agent, "CUSTOMER", "LETTER")


def test_an_agent_cannot_record_a_change_beyond_the_representatives_scope(client):
    account = AccountFactory(city="Berlin")
    landlord = Representative.objects.create(
        account=account, name="Hausverwaltung Nord", kind="PROPERTY_MANAGER", scopes=["SEE"]
    )
    client.force_login(staff_user())
    response = client.post(
        f"/staff/customers/{account.customer_id}/edit/",
        {
            "section": "details",
            "who-requested_by": "REPRESENTATIVE",
            "who-representative": landlord.pk,
            "who-channel": "PHONE",
            **details(account, city="Bonn", postcode="53111"),
        },
        **ENGLISH,
    )
    assert response.status_code == 422
    assert "Hausverwaltung Nord" in response.content.decode()
    assert "alert-danger" in response.content.decode()
    account.refresh_from_db()
    assert account.city == "Berlin"


def test_the_requester_cannot_approve_their_own_change_on_the_approval_list(client):
    customer = CustomerFactory(customer_type=CustomerType.BUSINESS, company_name="Alt GmbH", vat_id="DE123456789")
    account = AccountFactory(customer=customer)
    agent = staff_user()
    pending = customer_change(
        customer=customer,
        account=account,
        changes={"company_name": "Neu GmbH"},
        requested=Requested(by=agent, requested_by="CUSTOMER", channel="PHONE"),
    ).pending[0]
    client.force_login(agent)
    assert "entered by you" in client.get("/staff/changes/pending/", **ENGLISH).content.decode()
    client.post(f"/staff/changes/pending/{pending.pk}/decide/", {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == PendingChange.Status.PENDING

    client.force_login(staff_user(email="second@example.com", group="Supervisors"))
    client.post(f"/staff/changes/pending/{pending.pk}/decide/", {"decision": "approve"})
    customer.refresh_from_db()
    assert customer.company_name == "Neu GmbH"


def test_a_customer_cannot_reach_the_agents_pages(client):
    account = AccountFactory()
    client.force_login(account.customer.user)
    assert client.get(f"/staff/customers/{account.customer_id}/edit/").status_code == 403
    assert client.get("/staff/changes/pending/").status_code == 403


def test_an_agent_records_a_representative(client):
    account = AccountFactory()
    client.force_login(staff_user())
    response = client.post(
        f"/staff/accounts/{account.pk}/representatives/new/",
        {"name": "Carla Pflege", "kind": "CARER", "scopes": ["SEE", "CHANGE_CONTACT"], "valid_until": ""},
    )
    assert response.status_code == 302
    assert Representative.objects.get().scopes == ["CHANGE_CONTACT", "SEE"]


def _changes(account, n):
    for i in range(n):
        customer_change(
            customer=account.customer, account=account, changes={"city": f"Stadt {i}"}, requested=Requested(by=None)
        )


def test_the_timelines_take_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    account = AccountFactory()
    Representative.objects.create(account=account, name="R", kind="CARER", scopes=["SEE"])
    _changes(account, 3)
    client.force_login(account.customer.user)
    with django_assert_max_num_queries(20) as few:
        client.get("/profile/")
    _changes(account, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/profile/").status_code == 200
    client.force_login(staff_user())
    url = f"/staff/customers/{account.customer_id}/?tab=history"
    client.get(url)
    _changes(account, 5)
    with django_assert_max_num_queries(80) as staff_few:
        client.get(url)
    _changes(account, 20)
    with django_assert_max_num_queries(len(staff_few.captured_queries)):
        assert client.get(url).status_code == 200


def test_ending_a_representative_asks_first_then_keeps_the_record(client):
    account = AccountFactory()
    carer = Representative.objects.create(account=account, name="Carla Pflege", kind="CARER", scopes=["SEE"])
    client.force_login(staff_user())
    url = f"/staff/representatives/{carer.pk}/end/"

    page = client.get(url, **ENGLISH)

    assert page.status_code == 200
    assert "Carla Pflege (carer) may no longer act for account" in page.content.decode()
    carer.refresh_from_db()
    assert carer.valid_until is None

    assert client.post(url).status_code == 302
    carer.refresh_from_db()
    assert carer.valid_until is not None
    assert Representative.objects.filter(pk=carer.pk).exists()
