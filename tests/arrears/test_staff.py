"""The arrears back-office: the work list by level, aging, holds, the
supervisors' disconnection and agency work lists, a plan set up on the phone
and the arrears tab of the customer page. Cases and notices come from the
real dunning run; the pages' today is frozen to the run's day."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from arrears.models import AgencyReferral, DisconnectionOrder, DunningCase, DunningHold, PaymentPlan
from arrears.services.dunning import dunning_run
from arrears.services.holds import hold_put
from arrears.services.worklists import AGENCY_COLUMNS
from core.models import OutboxMessage
from core.workdays import working_days_add
from tests.accounts.factories import AccountFactory, UserFactory, staff_user, with_two_factor
from tests.arrears.factories import overdue_account
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 15)


def day(n: int) -> dt.date:
    """The day `n` days after the bill's due date."""
    return DUE + dt.timedelta(days=n)


def noon(n: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day(n), dt.time(12)))


@pytest.fixture(autouse=True)
def frozen_clock(settings):
    """The clock stands on the bill's due date when the test starts (sign-ins
    happen then, and outlast the days the test moves on)."""
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600
    with time_machine.travel(noon(0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def today_is(frozen_clock):
    """Move the clock to noon of day `n` after the due date: the pages' today."""
    return lambda n: frozen_clock.move_to(noon(n))


def run(*days: int) -> None:
    for n in days:
        dunning_run(as_of=day(n))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["portal_language"] = "en"
    return client


@pytest.fixture
def agent():
    return staff_user(email="agent@example.com", group="Agents")


@pytest.fixture
def agent_client(agent):
    return signed_in(agent)


@pytest.fixture
def supervisor():
    return staff_user(email="boss@example.com", group="Supervisors")


@pytest.fixture
def supervisor_client(supervisor):
    return signed_in(supervisor)


def energy_household(**account):
    account = overdue_account(due_date=DUE, **account)
    supplied(account=account)
    return account


def text(response) -> str:
    return response.content.decode()


# Access


PAGES = ["worklist", "aging", "holds", "disconnections", "agency"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(f"staff_arrears:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", PAGES)
def test_customers_may_not_enter_the_arrears_back_office(client, name):
    client.force_login(AccountFactory().customer.user)

    assert client.get(reverse(f"staff_arrears:{name}")).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_agents_see_every_arrears_list(agent_client, name):
    assert agent_client.get(reverse(f"staff_arrears:{name}")).status_code == 200


def test_staff_without_the_arrears_permissions_are_refused_and_see_no_menu_entry():
    user = with_two_factor(UserFactory(email="it@example.com", is_staff=True))
    client = signed_in(user)

    assert client.get(reverse("staff_arrears:worklist")).status_code == 403
    assert 'data-testid="arrears-decisions-count"' not in text(client.get(reverse("staff_bills:held"), follow=True))


def test_the_navigation_shows_arrears_with_the_decisions_waiting(agent_client, today_is):
    energy_household()
    today_is(63)
    run(7, 21, 35, 63)
    response = agent_client.get(reverse("staff:search"))

    assert reverse("staff_arrears:worklist") in text(response)
    # the disconnection and the hand-over of the one account wait for a supervisor
    assert 'data-testid="arrears-decisions-count">2<' in text(response)


# Work list and aging


def test_the_work_list_shows_the_cases_of_a_level_with_arrears_days_and_last_reminder(agent_client, today_is):
    second = overdue_account(due_date=DUE)
    first = overdue_account(due_date=day(14))
    run(7, 21)
    today_is(22)
    response = agent_client.get(reverse("staff_arrears:worklist"), {"tab": "2"})

    [row] = response.context["rows"]
    assert row.account == second
    assert row.arrears.amount == Decimal("238.00")
    assert row.days_overdue == 22
    assert (row.last_notice.level, row.last_notice.sent_on) == (2, day(21))
    assert {tab.key: tab.count for tab in response.context["tabs"]}["1"] == 1
    body = text(response)
    assert reverse("staff:customer", args=[second.customer_id]) + "?tab=arrears" in body
    assert second.customer.display_name in body
    assert first.number not in body


def test_skipped_cases_are_listed_with_the_reason_the_run_gave(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    run(7)
    hold_put(account=account, reason=DunningHold.Reason.VULNERABLE, source="agent:test")
    run(21)
    today_is(21)
    response = agent_client.get(reverse("staff_arrears:worklist"), {"tab": "skipped"})

    [row] = response.context["rows"]
    assert row.account == account
    assert "vulnerable customer" in text(response)
    assert agent_client.get(reverse("staff_arrears:worklist"), {"tab": "1"}).context["rows"] == []


def test_the_work_list_needs_as_many_queries_for_twenty_cases_as_for_two(
    agent_client, django_assert_max_num_queries, today_is
):
    for _n in range(2):
        overdue_account(due_date=DUE)
    run(7)
    today_is(8)
    with django_assert_max_num_queries(24) as few:
        agent_client.get(reverse("staff_arrears:worklist"), {"tab": "1"})
    for _n in range(18):
        overdue_account(due_date=DUE)
    run(7)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = agent_client.get(reverse("staff_arrears:worklist"), {"tab": "1"})

    assert len(response.context["rows"]) == 20
    assert all(row.last_notice is not None for row in response.context["rows"])


def test_aging_shows_the_buckets_as_a_chart_and_a_table(agent_client, today_is):
    overdue_account(due_date=DUE)
    overdue_account(gross="100.00", due_date=day(-100))
    today_is(40)
    response = agent_client.get(reverse("staff_arrears:aging"))

    buckets = {bucket.label: (bucket.count, bucket.amount) for bucket in response.context["buckets"]}
    assert buckets == {
        "0-30": (0, Decimal("0")),
        "31-60": (1, Decimal("238.00")),
        "61-90": (0, Decimal("0")),
        "90+": (1, Decimal("100.00")),
    }
    body = text(response)
    assert 'data-testid="aging-chart"' in body and "<rect" in body
    assert 'data-testid="aging-table"' in body and "338" in body


# Holds


def hold_form(**changes) -> dict:
    return {"reason": "AGENT", "until": day(30).isoformat(), "note": "Pays on the 1st", "token": "abc123", **changes}


def test_an_agent_puts_a_hold_until_a_date_with_a_note(agent, agent_client, today_is):
    account = overdue_account(due_date=DUE)
    today_is(10)
    response = agent_client.post(reverse("staff_arrears:hold_new", args=[account.pk]), hold_form())

    assert response.status_code == 302
    assert response["Location"].endswith("?tab=arrears")
    hold = DunningHold.objects.get(account=account)
    assert (hold.reason, hold.until, hold.note, hold.created_by) == ("AGENT", day(30), "Pays on the 1st", agent)
    assert hold.invoice is None and hold.entry is None


def test_sending_the_hold_form_twice_puts_one_hold(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    today_is(10)
    agent_client.post(reverse("staff_arrears:hold_new", args=[account.pk]), hold_form())
    agent_client.post(reverse("staff_arrears:hold_new", args=[account.pk]), hold_form())

    assert DunningHold.objects.filter(account=account).count() == 1


def test_a_vulnerable_customers_hold_has_no_end_date(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    today_is(10)
    agent_client.post(
        reverse("staff_arrears:hold_new", args=[account.pk]),
        hold_form(reason="VULNERABLE", until="", note="Carer called"),
    )

    hold = DunningHold.objects.get(account=account)
    assert (hold.reason, hold.until) == ("VULNERABLE", None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"until": day(9).isoformat()}, "The last day of the hold must lie in the future."),
        ({"until": ""}, "Enter the last day of the hold."),
        ({"note": "  "}, "Write down why dunning stops"),
        ({"reason": "VULNERABLE"}, "has no end date"),
        ({"reason": "DISPUTE"}, "Select a valid choice"),
    ],
)
def test_a_hold_with_bad_input_says_why_and_saves_nothing(agent_client, changes, message, today_is):
    account = overdue_account(due_date=DUE)
    today_is(10)
    response = agent_client.post(reverse("staff_arrears:hold_new", args=[account.pk]), hold_form(**changes))

    assert response.status_code == 200
    assert message in text(response)
    assert not DunningHold.objects.exists()


def test_the_holds_list_shows_active_holds_with_their_end_dates(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    hold_put(account=account, reason=DunningHold.Reason.AGENT, source="agent:1:a", until=day(30), note="Holiday")
    ended = overdue_account(due_date=DUE)
    hold_put(account=ended, reason=DunningHold.Reason.AGENT, source="agent:1:b", until=day(5))
    today_is(10)
    response = agent_client.get(reverse("staff_arrears:holds"))

    body = text(response)
    assert account.number in body and "Holiday" in body and "02/14/2027" in body
    assert ended.number not in body


def test_releasing_a_hold_asks_first_then_ends_it(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    hold, _created = hold_put(account=account, reason=DunningHold.Reason.AGENT, source="agent:1:a", until=day(30))
    url = reverse("staff_arrears:hold_release", args=[hold.pk])
    today_is(10)
    confirm = agent_client.get(url)
    hold.refresh_from_db()
    assert hold.released_at is None
    assert "Release the hold?" in text(confirm)

    response = agent_client.post(url, {"next": reverse("staff_arrears:holds")})

    assert response["Location"] == reverse("staff_arrears:holds")
    hold.refresh_from_db()
    assert hold.released_at is not None


def test_a_dispute_hold_is_not_released_on_the_arrears_pages(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    invoice = account.invoices.get()
    hold, _created = hold_put(invoice=invoice, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1")

    today_is(10)
    agent_client.post(reverse("staff_arrears:hold_release", args=[hold.pk]))

    hold.refresh_from_db()
    assert hold.released_at is None


# Disconnections


@pytest.fixture
def proposed_order():
    account = energy_household()
    run(7, 21, 35, 63)
    return DisconnectionOrder.objects.get(account=account, status=DisconnectionOrder.Status.PROPOSED)


def test_agents_see_the_disconnection_list_but_cannot_decide(agent_client, proposed_order, today_is):
    today_is(63)
    listing = agent_client.get(reverse("staff_arrears:disconnections"))
    page = agent_client.get(reverse("staff_arrears:disconnection", args=[proposed_order.pk]))
    decision = agent_client.post(
        reverse("staff_arrears:disconnection", args=[proposed_order.pk]), {"action": "approve"}
    )

    assert proposed_order.account.number in text(listing)
    assert 'data-testid="decide-' not in text(listing)
    assert (page.status_code, decision.status_code) == (403, 403)
    proposed_order.refresh_from_db()
    assert proposed_order.status == DisconnectionOrder.Status.PROPOSED


def test_a_supervisor_approves_a_disconnection_and_the_customer_is_told(
    supervisor, supervisor_client, proposed_order, django_capture_on_commit_callbacks, today_is
):
    url = reverse("staff_arrears:disconnection", args=[proposed_order.pk])
    today_is(63)
    listing = supervisor_client.get(reverse("staff_arrears:disconnections"))
    assert f'data-testid="decide-{proposed_order.pk}"' in text(listing)
    assert "238" in text(supervisor_client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(url, {"action": "approve", "note": ""})

    assert response["Location"] == reverse("staff_arrears:disconnections")
    proposed_order.refresh_from_db()
    assert proposed_order.status == DisconnectionOrder.Status.APPROVED
    assert proposed_order.decided_by == supervisor
    assert proposed_order.announced_on == day(63)
    assert proposed_order.planned_on >= working_days_add(day(63), 8)
    assert proposed_order.planned_on >= proposed_order.earliest_on
    announcements = OutboxMessage.objects.filter(template="disconnection_announced")
    assert sorted(announcements.values_list("channel", flat=True)) == ["EMAIL", "LETTER"]
    decided = supervisor_client.get(reverse("staff_arrears:disconnections"))
    assert decided.context["waiting"] == [] and list(decided.context["decided"]) == [proposed_order]


def test_the_field_report_records_the_disconnection_and_the_reconnection_charges_the_fee_by_an_order(
    supervisor_client, proposed_order, today_is
):
    from billing.models import Invoice
    from orders.models import Order

    url = reverse("staff_arrears:disconnection", args=[proposed_order.pk])
    today_is(63)
    supervisor_client.post(url, {"action": "approve", "note": ""})
    proposed_order.refresh_from_db()
    planned = proposed_order.planned_on

    # A reconnection cannot come before the disconnection; a future date is refused.
    today_is((planned - DUE).days)
    refused = supervisor_client.post(url, {"on": (planned + dt.timedelta(days=1)).isoformat()})
    assert "between the announcement" in text(refused)
    assert supervisor_client.post(url, {"on": planned.isoformat()}).status_code == 302
    proposed_order.refresh_from_db()
    assert (proposed_order.status, proposed_order.disconnected_on) == ("DISCONNECTED", planned)
    assert not Order.objects.exists()

    today_is((planned - DUE).days + 3)
    early = supervisor_client.post(url, {"on": (planned - dt.timedelta(days=1)).isoformat()})
    assert "between the disconnection" in text(early)
    done = supervisor_client.post(url, {"on": (planned + dt.timedelta(days=3)).isoformat()}, follow=True)

    proposed_order.refresh_from_db()
    assert proposed_order.status == "RECONNECTED"
    fee = proposed_order.reconnection_order
    assert (fee.product.code, fee.status, fee.channel, fee.account) == (
        "RECONNECTION",
        Order.Status.CONFIRMED,
        Order.Channel.AGENT,
        proposed_order.account,
    )
    invoice = Invoice.objects.get(pk=fee.invoice_id)
    assert (invoice.kind, invoice.status) == (Invoice.Kind.ORDER, Invoice.Status.ISSUED)
    assert invoice.number in text(done)
    # Recording again changes nothing and charges nothing twice.
    again = supervisor_client.post(url, {"on": (planned + dt.timedelta(days=3)).isoformat()})
    assert again.status_code == 200
    assert Order.objects.filter(product__code="RECONNECTION").count() == 1


def test_stopping_a_disconnection_needs_a_reason(supervisor_client, proposed_order, today_is):
    url = reverse("staff_arrears:disconnection", args=[proposed_order.pk])
    today_is(63)
    refused = supervisor_client.post(url, {"action": "stop", "note": ""})
    proposed_order.refresh_from_db()
    assert proposed_order.status == DisconnectionOrder.Status.PROPOSED
    assert "Say why the disconnection is stopped." in text(refused)

    supervisor_client.post(url, {"action": "stop", "note": "Hardship: child in the household"})

    proposed_order.refresh_from_db()
    assert proposed_order.status == DisconnectionOrder.Status.STOPPED
    assert proposed_order.note == "Hardship: child in the household"
    assert not OutboxMessage.objects.filter(template="disconnection_announced").exists()


# Agency hand-off


@pytest.fixture
def proposed_referral():
    account = overdue_account(due_date=DUE, number="500000001")
    run(7, 21, 35, 63)
    return AgencyReferral.objects.get(case__account=account)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8")), delimiter=";"))


def test_a_supervisor_hands_a_case_over_exports_it_once_and_recalls_it(supervisor_client, proposed_referral, today_is):
    referral = proposed_referral
    today_is(64)
    listing = supervisor_client.get(reverse("staff_arrears:agency"))
    assert "500000001" in text(listing) and 'data-testid="agency-export"' not in text(listing)
    supervisor_client.post(reverse("staff_arrears:referral_decide", args=[referral.pk]), {"action": "approve"})
    referral.refresh_from_db()
    assert referral.status == AgencyReferral.Status.APPROVED
    assert referral.case.status == DunningCase.Status.AGENCY
    assert 'data-testid="agency-export"' in text(supervisor_client.get(reverse("staff_arrears:agency")))

    export = supervisor_client.post(reverse("staff_arrears:agency_export"))
    again = supervisor_client.post(reverse("staff_arrears:agency_export"))

    assert export["Content-Type"].startswith("text/csv")
    assert export["Content-Disposition"] == f'attachment; filename="collection-cases-{day(64).isoformat()}.csv"'
    header, *rows = csv_rows(export.content)
    assert header == list(AGENCY_COLUMNS)
    assert [row[header.index("account_number")] for row in rows] == ["500000001"]
    assert csv_rows(again.content) == [list(AGENCY_COLUMNS)]
    referral.refresh_from_db()
    assert referral.status == AgencyReferral.Status.EXPORTED

    url = reverse("staff_arrears:referral_recall", args=[referral.pk])
    today_is(70)
    supervisor_client.post(url, {"note": ""})
    referral.refresh_from_db()
    assert referral.status == AgencyReferral.Status.EXPORTED
    supervisor_client.post(url, {"note": "Customer paid part and called"})

    referral.refresh_from_db()
    assert referral.status == AgencyReferral.Status.RECALLED
    assert referral.note == "Customer paid part and called"
    assert DunningCase.objects.get(pk=referral.case_id).status == DunningCase.Status.OPEN


def test_rejecting_a_hand_over_needs_a_reason(supervisor_client, proposed_referral, today_is):
    url = reverse("staff_arrears:referral_decide", args=[proposed_referral.pk])
    today_is(64)
    supervisor_client.post(url, {"action": "reject", "note": ""})
    proposed_referral.refresh_from_db()
    assert proposed_referral.status == AgencyReferral.Status.PROPOSED

    supervisor_client.post(url, {"action": "reject", "note": "Payment promised"})

    proposed_referral.refresh_from_db()
    assert proposed_referral.status == AgencyReferral.Status.REJECTED


def test_agents_see_the_hand_overs_but_cannot_decide_or_export(agent_client, proposed_referral, today_is):
    today_is(64)
    listing = agent_client.get(reverse("staff_arrears:agency"))
    decide = agent_client.post(
        reverse("staff_arrears:referral_decide", args=[proposed_referral.pk]), {"action": "approve"}
    )
    export = agent_client.post(reverse("staff_arrears:agency_export"))

    assert "500000001" in text(listing)
    assert reverse("staff_arrears:referral_decide", args=[proposed_referral.pk]) not in text(listing)
    assert (decide.status_code, export.status_code) == (403, 403)
    proposed_referral.refresh_from_db()
    assert proposed_referral.status == AgencyReferral.Status.PROPOSED


# A plan set up on the phone


def plan_form(**changes) -> dict:
    return {"instalments": "6", "down_payment": "0", "first_due": day(20).isoformat(), "action": "propose", **changes}


def test_an_agent_sets_up_a_plan_and_records_the_verbal_consent(agent, agent_client, today_is):
    account = overdue_account(due_date=DUE)
    run(7)
    today_is(10)
    page = agent_client.get(reverse("staff_arrears:plan_new", args=[account.pk]))
    assert page.context["limits"].debt == Decimal("238.00")
    preview = agent_client.post(reverse("staff_arrears:plan_new", args=[account.pk]), plan_form(action="preview"))
    assert sum(amount for _n, _due, amount in preview.context["preview"]) == Decimal("238.00")
    assert not PaymentPlan.objects.exists()

    proposed = agent_client.post(reverse("staff_arrears:plan_new", args=[account.pk]), plan_form())
    plan = PaymentPlan.objects.get(account=account)
    assert proposed["Location"] == reverse("staff_arrears:plan", args=[plan.pk])
    assert (plan.status, plan.proposed_by, plan.instalment_count) == ("PROPOSED", agent, 6)

    response = agent_client.post(
        reverse("staff_arrears:plan_consent", args=[plan.pk]), {"name": "Erika Mustermann", "consent": "on"}
    )

    assert response["Location"] == reverse("staff_arrears:plan", args=[plan.pk])
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.ACTIVE
    assert plan.consent == PaymentPlan.Consent.VERBAL
    assert plan.consent_recorded_by == agent
    assert plan.accepted_name == "Erika Mustermann"
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.PLAN


def test_a_plan_outside_the_rules_says_which_rule_and_saves_nothing(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    today_is(10)
    response = agent_client.post(reverse("staff_arrears:plan_new", args=[account.pk]), plan_form(instalments="2"))

    assert response.status_code == 200
    assert "between 6 and 18 monthly instalments" in text(response)
    assert not PaymentPlan.objects.exists()


def test_the_consent_needs_the_checkbox_and_the_plan_stays_proposed(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    today_is(10)
    agent_client.post(reverse("staff_arrears:plan_new", args=[account.pk]), plan_form())
    plan = PaymentPlan.objects.get(account=account)
    response = agent_client.post(reverse("staff_arrears:plan_consent", args=[plan.pk]), {"name": "Erika Mustermann"})

    assert "Tick the box only once the customer has agreed on the phone." in text(response)
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.PROPOSED


def test_the_acceptance_link_goes_to_the_customer_by_e_mail(agent_client, today_is):
    account = overdue_account(due_date=DUE)
    today_is(10)
    agent_client.post(reverse("staff_arrears:plan_new", args=[account.pk]), plan_form())
    plan = PaymentPlan.objects.get(account=account)
    agent_client.post(reverse("staff_arrears:plan_send_link", args=[plan.pk]))

    mail = OutboxMessage.objects.get(template="payment_plan_proposed")
    assert mail.to_address == account.customer.email
    assert plan.accept_token in mail.body


# The customer page


def test_the_customer_page_shows_case_notices_holds_and_plan_in_few_queries(
    agent_client, django_assert_max_num_queries, today_is
):
    account = overdue_account(due_date=DUE)
    run(7, 21)
    hold_put(account=account, reason=DunningHold.Reason.AGENT, source="agent:1:a", until=day(40), note="Calls back")
    url = reverse("staff:customer", args=[account.customer_id])
    today_is(22)
    agent_client.post(reverse("staff_arrears:plan_new", args=[account.pk]), plan_form(first_due=day(30)))
    with django_assert_max_num_queries(36):
        response = agent_client.get(url, {"tab": "arrears"})
    overview = agent_client.get(url)

    [panel] = response.context["panels"]
    assert panel.case.level == 2
    assert [notice.level for notice in panel.notices] == [2, 1]
    assert [hold.note for hold in panel.holds] == ["Calls back"]
    assert panel.plan.status == PaymentPlan.Status.PROPOSED
    assert len(panel.progress.instalments) == 6
    body = text(response)
    assert 'data-testid="arrears-notices"' in body and "Calls back" in body
    assert reverse("staff_arrears:plan", args=[panel.plan.pk]) in body
    assert reverse("staff_arrears:hold_new", args=[account.pk]) in body
    assert "Reminder level 2" in text(overview)
