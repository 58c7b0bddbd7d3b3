"""The arrears API: the arrears of an account, proposing a payment plan (201,
or 422 with the rule it breaks), accepting it (200, active; 422 without
consent or name) and the list of plans; a customer sees only their own (404
otherwise), a key needs arrears:read / arrears:write (403), nothing is 401."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from arrears.models import DunningCase, DunningHold, PaymentPlan
from arrears.services.dunning import dunning_run
from arrears.services.holds import hold_put
from arrears.services.plans import plan_accept, plan_propose
from core.apikeys import api_key_create
from core.models import OutboxMessage
from payments.models import PaymentMethod
from payments.services.payments import payment_record_manual
from tests.accounts.factories import AccountFactory, staff_user
from tests.arrears.factories import overdue_account

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passw0rd!"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
DUE = dt.date(2027, 1, 15)
TODAY = dt.date(2027, 2, 10)
NOW = dt.datetime(2027, 2, 10, 10, 0, tzinfo=dt.UTC)
PLAN_KEYS = {
    "id",
    "status",
    "total",
    "down_payment",
    "instalment_count",
    "first_due",
    "interest_free",
    "paid",
    "open",
    "accepted_at",
    "instalments",
}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account():
    """238.00 overdue since 15 January; reminders on 22 January (level 1) and 5 February (level 2, fee 1.50)."""
    account = overdue_account(gross="238.00", due_date=DUE)
    dunning_run(as_of=dt.date(2027, 1, 22))
    dunning_run(as_of=dt.date(2027, 2, 5))
    return account


def as_customer(client, account) -> dict:
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": account.customer.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_X_SESSION_TOKEN": response.json()["meta"]["session_token"], **ENGLISH}


def with_key(*scopes: str) -> dict:
    _key, plain = api_key_create(name="collections app", scopes=list(scopes))
    return {"HTTP_X_API_KEY": plain, **ENGLISH}


def arrears(client, account, headers):
    return client.get(f"/api/v1/accounts/{account.number}/arrears", **headers)


def propose(client, account, headers, **payload):
    body = {"instalments": 6, "down_payment": "0.00", "first_due": "2027-03-01", **payload}
    return client.post(
        f"/api/v1/accounts/{account.number}/payment-plans", body, content_type="application/json", **headers
    )


def accept(client, account, plan_id, headers, **payload):
    body = {"name": "Erika Mustermann", "consent": True, **payload}
    return client.post(
        f"/api/v1/accounts/{account.number}/payment-plans/{plan_id}/accept",
        body,
        content_type="application/json",
        **headers,
    )


# --- GET arrears ---------------------------------------------------------------------------


def test_the_arrears_of_an_account_in_the_contracts_shape(client, account):
    response = arrears(client, account, as_customer(client, account))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "overdue_amount": "238.00",
        "level": 2,
        "case_status": "open",
        "notices": [
            {"level": 1, "sent_on": "2027-01-22", "fee": "0.00", "deadline": "2027-02-05"},
            {"level": 2, "sent_on": "2027-02-05", "fee": "1.50", "deadline": "2027-02-19"},
        ],
        "holds": [],
        "plan": None,
    }


def test_an_account_that_never_had_arrears_is_level_0_with_no_case(client):
    account = AccountFactory()

    body = arrears(client, account, with_key("arrears:read")).json()

    assert body == {
        "overdue_amount": "0.00",
        "level": 0,
        "case_status": "none",
        "notices": [],
        "holds": [],
        "plan": None,
    }


def test_a_paid_case_is_closed_and_keeps_its_notices(client, account):
    payment_record_manual(
        account=account,
        amount=Decimal("239.50"),
        method=PaymentMethod.TRANSFER,
        received_on=TODAY,
        created_by=staff_user(),
        as_of=TODAY,
    )

    body = arrears(client, account, with_key("arrears:read")).json()

    assert DunningCase.objects.get(account=account).status == DunningCase.Status.CLOSED
    assert (body["overdue_amount"], body["level"], body["case_status"]) == ("0.00", 0, "closed")
    assert [notice["level"] for notice in body["notices"]] == [1, 2]


def test_holds_show_their_reason_and_end(client, account):
    hold_put(account=account, reason=DunningHold.Reason.AGENT, source="agent:1", until=dt.date(2027, 3, 1), note="Call")

    body = arrears(client, account, with_key("arrears:read")).json()

    assert body["holds"] == [{"reason": "agent", "until": "2027-03-01"}]


def test_the_running_plan_is_part_of_the_arrears(client, account):
    plan = plan_propose(account=account, instalments=6, down_payment="0", first_due=dt.date(2027, 3, 1), as_of=TODAY)
    plan_accept(plan=plan, name="Erika Muster", consent=True, channel=PaymentPlan.Consent.PORTAL, as_of=TODAY)

    body = arrears(client, account, with_key("arrears:read")).json()

    assert body["case_status"] == "plan"
    assert body["overdue_amount"] == "0.00"  # the plan holds its items
    assert {"reason": "payment_plan", "until": None} in body["holds"]
    assert set(body["plan"]) == PLAN_KEYS
    assert body["plan"]["status"] == "active"
    assert [row["status"] for row in body["plan"]["instalments"]] == ["upcoming"] * 6


# --- Proposing ------------------------------------------------------------------------------


def test_a_customer_proposes_a_plan_whose_schedule_sums_to_the_debt(client, account):
    response = propose(client, account, as_customer(client, account), instalments=7, down_payment="39.50")

    assert response.status_code == 201, response.content
    body = response.json()
    plan = PaymentPlan.objects.get()
    assert set(body) == PLAN_KEYS
    assert (body["id"], body["status"], body["total"], body["down_payment"]) == (
        plan.pk,
        "proposed",
        "239.50",
        "39.50",
    )
    assert [(row["number"], row["due_date"], row["amount"]) for row in body["instalments"]] == [
        (0, "2027-02-17", "39.50"),
        (1, "2027-03-01", "28.57"),
        (2, "2027-04-01", "28.57"),
        (3, "2027-05-01", "28.57"),
        (4, "2027-06-01", "28.57"),
        (5, "2027-07-01", "28.57"),
        (6, "2027-08-01", "28.57"),
        (7, "2027-09-01", "28.58"),
    ]
    assert sum(Decimal(row["amount"]) for row in body["instalments"]) == Decimal(body["total"])


@pytest.mark.parametrize(
    ("payload", "field", "rule"),
    [
        ({"instalments": 3}, "instalments", "instalments_out_of_range"),
        ({"instalments": 19}, "instalments", "instalments_out_of_range"),
        ({"down_payment": "239.50"}, "down_payment", "down_payment_too_high"),
        ({"down_payment": "1.234"}, "down_payment", "down_payment_invalid"),
        ({"down_payment": "lots"}, "down_payment", "down_payment_invalid"),
        ({"down_payment": "NaN"}, "down_payment", "down_payment_invalid"),
        ({"first_due": "2027-02-09"}, "first_due", "first_due_in_past"),
        ({"first_due": "2027-03-14"}, "first_due", "first_due_too_late"),
    ],
)
def test_a_plan_outside_the_rules_is_422_with_the_rule_and_nothing_saved(client, account, payload, field, rule):
    response = propose(client, account, with_key("arrears:write"), **payload)

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["rule"] == rule
    assert list(body["errors"]) == [field]
    assert body["detail"] == [{"loc": ["body", field], "msg": body["errors"][field]}]
    assert not PaymentPlan.objects.exists()


def test_a_plan_without_arrears_or_beside_a_running_one_is_refused(client, account):
    nothing = AccountFactory()
    first = propose(client, account, with_key("arrears:write"))
    accept(client, account, first.json()["id"], with_key("arrears:write"))

    empty = propose(client, nothing, with_key("arrears:write"))
    second = propose(client, account, with_key("arrears:write"))

    assert (empty.status_code, empty.json()["rule"]) == (422, "no_arrears")
    assert empty.json()["detail"] == [{"loc": ["body"], "msg": empty.json()["errors"]["body"]}]
    assert (second.status_code, second.json()["rule"]) == (422, "plan_active")


@pytest.mark.parametrize(
    ("payload", "field", "rule"),
    [
        ({"first_due": "1st of March"}, "first_due", "first_due_invalid"),
        ({"first_due": None}, "first_due", "first_due_invalid"),
        ({"instalments": "six"}, "instalments", "instalments_invalid"),
        ({"instalments": None}, "instalments", "instalments_invalid"),
    ],
)
def test_a_missing_or_malformed_value_is_422_with_its_rule(client, account, payload, field, rule):
    response = propose(client, account, with_key("arrears:write"), **payload)

    assert response.status_code == 422, response.content
    assert (response.json()["rule"], list(response.json()["errors"])) == (rule, [field])
    assert not PaymentPlan.objects.exists()


def test_numbers_may_come_as_text_and_a_body_that_is_no_object_is_422_in_the_usual_shape(client, account):
    headers = with_key("arrears:write")

    as_text = propose(client, account, headers, instalments="6", down_payment=10)
    no_object = client.post(
        f"/api/v1/accounts/{account.number}/payment-plans", "[1, 2]", content_type="application/json", **headers
    )

    assert as_text.status_code == 201, as_text.content
    assert as_text.json()["down_payment"] == "10.00"
    assert no_object.status_code == 422
    assert no_object.json()["errors"] == {"body": "The request body must be a JSON object."}
    assert no_object.json().get("rule") is None


# --- Accepting ------------------------------------------------------------------------------


def test_accepting_makes_the_plan_active_and_records_the_consent(client, account):
    headers = as_customer(client, account)
    plan_id = propose(client, account, headers).json()["id"]

    response = accept(client, account, plan_id, headers, name=" Erika  Mustermann ")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "active"
    assert body["accepted_at"].startswith("2027-02-10T10:00:00")
    plan = PaymentPlan.objects.get(pk=plan_id)
    assert (plan.accepted_name, plan.consent, plan.accepted_ip) == ("Erika Mustermann", "API", "127.0.0.1")
    assert plan.agreement
    assert OutboxMessage.objects.get(template="payment_plan_active").attachments.count() == 1


@pytest.mark.parametrize(
    ("payload", "field", "rule"),
    [
        ({"consent": False}, "consent", "consent_missing"),
        ({"name": "", "consent": True}, "name", "name_missing"),
        ({"consent": None}, "consent", "consent_missing"),
    ],
)
def test_accepting_needs_the_consent_and_the_name(client, account, payload, field, rule):
    plan_id = propose(client, account, with_key("arrears:write")).json()["id"]

    response = accept(client, account, plan_id, with_key("arrears:write"), **payload)

    assert response.status_code == 422
    assert (response.json()["rule"], list(response.json()["errors"])) == (rule, [field])
    assert PaymentPlan.objects.get(pk=plan_id).status == PaymentPlan.Status.PROPOSED


def test_the_list_shows_every_plan_of_the_account_newest_first(client, account):
    headers = with_key("arrears:read", "arrears:write")
    first = propose(client, account, headers, instalments=6).json()["id"]
    second = propose(client, account, headers, instalments=8).json()["id"]

    response = client.get(f"/api/v1/accounts/{account.number}/payment-plans", **headers)

    assert response.status_code == 200
    assert [(plan["id"], plan["status"]) for plan in response.json()] == [
        (second, "proposed"),
        (first, "cancelled"),
    ]


# --- Who may ------------------------------------------------------------------------------


def test_another_customers_arrears_and_plans_are_404(client, account):
    other = overdue_account(due_date=DUE)
    plan_id = propose(client, account, with_key("arrears:write")).json()["id"]
    headers = as_customer(client, other)

    assert arrears(client, account, headers).status_code == 404
    assert client.get(f"/api/v1/accounts/{account.number}/payment-plans", **headers).status_code == 404
    assert propose(client, account, headers).status_code == 404
    assert accept(client, account, plan_id, headers).status_code == 404
    assert accept(client, other, plan_id, headers).status_code == 404  # their account, not their plan
    assert PaymentPlan.objects.get(pk=plan_id).status == PaymentPlan.Status.PROPOSED


def test_a_key_needs_the_scope_and_nothing_at_all_is_401(client, account):
    read_only = with_key("arrears:read")
    other_scope = with_key("billing:read")

    assert arrears(client, account, other_scope).status_code == 403
    assert propose(client, account, read_only).status_code == 403
    assert client.get(f"/api/v1/accounts/{account.number}/payment-plans", **other_scope).status_code == 403
    assert arrears(client, account, ENGLISH).status_code == 401
    assert propose(client, account, ENGLISH).status_code == 401
    assert accept(client, account, 1, ENGLISH).status_code == 401
    assert not PaymentPlan.objects.exists()


def test_consent_is_only_an_explicit_true(client, account):
    plan_id = propose(client, account, with_key("arrears:write")).json()["id"]

    response = accept(client, account, plan_id, with_key("arrears:write"), consent="yes")

    assert response.status_code == 422
    assert "consent" in response.json()["errors"]
    assert PaymentPlan.objects.get(pk=plan_id).status == PaymentPlan.Status.PROPOSED


def test_the_published_document_lists_the_arrears_endpoints_with_their_scopes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert set(paths["/api/v1/accounts/{number}/arrears"]) == {"get"}
    assert set(paths["/api/v1/accounts/{number}/payment-plans"]) == {"get", "post"}
    assert set(paths["/api/v1/accounts/{number}/payment-plans/{id}/accept"]) == {"post"}
    read = paths["/api/v1/accounts/{number}/arrears"]["get"]
    write = paths["/api/v1/accounts/{number}/payment-plans"]["post"]
    assert {"CustomerSessionAuth": []} in read["security"] and {"ApiKeyAuth": []} in read["security"]
    assert set(write["responses"]) == {"201", "401", "403", "404", "422"}
