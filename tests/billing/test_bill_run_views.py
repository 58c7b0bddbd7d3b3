"""The back-office's bill run pages: who may, live progress, drilling into
held and failed accounts, starting with confirmation, stop and resume."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import BillingSettings, BillRun, BillRunItem, Invoice
from billing.services import invoicing
from billing.services.runs import bill_run_chunk, bill_run_start, bill_run_stop
from tests.accounts.factories import CustomerFactory, UserFactory, staff_user, with_two_factor
from tests.billing.test_bill_runs import AS_OF, run_to_the_end, yearly_supply

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


def signed_in(client, user):
    client.force_login(user)
    client.cookies["portal_language"] = "en"
    return client


@pytest.fixture
def agent_client(client):
    return signed_in(client, staff_user())


@pytest.fixture
def supervisor_client(client):
    return signed_in(client, staff_user(email="supervisor@example.com", group="Supervisors"))


@pytest.fixture
def accounts():
    BillingSettings.current()
    BillingSettings.objects.update(review_estimate_max_days=300)
    return {"billed": [yearly_supply(1), yearly_supply(2)], "held": yearly_supply(3, end_read=None)}


def htmx(client, url):
    return client.get(url, headers={"HX-Request": "true"})


# --- who may -----------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("bill_runs:list"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_customers_and_staff_without_the_permission_are_refused(client, accounts):
    run = bill_run_start(as_of=AS_OF)
    customer = CustomerFactory(user=UserFactory(email="kunde@example.com"))
    signed_in(client, customer.user)

    for url in (
        reverse("bill_runs:list"),
        reverse("bill_runs:run", args=[run.pk]),
        reverse("bill_runs:items", args=[run.pk, "held"]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("bill_runs:stop", args=[run.pk])).status_code == 403
    assert BillRun.objects.get().status == "RUNNING"


def test_agents_follow_runs_but_may_not_start_stop_or_resume_them(agent_client, accounts):
    run = bill_run_start(as_of=AS_OF)

    page = agent_client.get(reverse("bill_runs:list"))
    detail = agent_client.get(reverse("bill_runs:run", args=[run.pk]))

    assert page.status_code == detail.status_code == 200
    assert b'data-testid="start-form"' not in page.content
    assert b'data-testid="stop"' not in detail.content
    assert agent_client.post(reverse("bill_runs:start"), {"as_of": "2027-01-05", "confirmed": "on"}).status_code == 403
    assert agent_client.post(reverse("bill_runs:stop", args=[run.pk])).status_code == 403
    assert agent_client.post(reverse("bill_runs:resume", args=[run.pk])).status_code == 403
    assert BillRun.objects.get().status == "RUNNING"


def test_the_staff_navigation_links_the_bill_runs_for_those_who_may_see_them(agent_client):
    page = agent_client.get(reverse("staff:search"))

    assert f'href="{reverse("bill_runs:list")}"'.encode() in page.content


# --- the list and the live progress ---------------------------------------------------------------------------


def queries_for(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_list_shows_each_runs_counts_and_progress_in_a_fixed_number_of_queries(agent_client, accounts):
    finished = run_to_the_end(bill_run_start(as_of=AS_OF, dry_run=True))
    one_run, _html = queries_for(agent_client, reverse("bill_runs:list"))
    for _other in range(3):
        run_to_the_end(bill_run_start(as_of=AS_OF, dry_run=True))
    BillingSettings.objects.update(chunk_size=2)
    running = bill_run_start(as_of=AS_OF)
    bill_run_chunk(run_id=running.pk, chunk=0)
    bill_run_stop(run_id=running.pk)

    five_runs, html = queries_for(agent_client, reverse("bill_runs:list"))

    assert five_runs == one_run

    row = re.search(rf'data-testid="run-{finished.pk}".*?</tr>', html, re.S).group(0)
    assert 'value="100"' in row and "3/3" in row and "dry run" in row
    assert f'href="{reverse("bill_runs:items", args=[finished.pk, "held"])}"' in row
    stopped = re.search(rf'data-testid="run-{running.pk}".*?</tr>', html, re.S).group(0)
    assert 'data-status="STOPPED"' in stopped


def test_the_list_polls_while_a_run_is_going_and_stops_polling_with_286_when_none_is(agent_client, accounts):
    run = bill_run_start(as_of=AS_OF)

    page = agent_client.get(reverse("bill_runs:list"))
    assert b'hx-trigger="every 2s"' in page.content
    polled = htmx(agent_client, reverse("bill_runs:list"))
    assert polled.status_code == 200 and b"<html" not in polled.content

    run_to_the_end(run)
    done = htmx(agent_client, reverse("bill_runs:list"))
    assert done.status_code == 286
    assert b"hx-trigger" not in done.content


def test_the_run_page_polls_its_progress_until_the_run_is_done(agent_client, accounts):
    BillingSettings.objects.update(chunk_size=2)
    run = bill_run_start(as_of=AS_OF)
    bill_run_chunk(run_id=run.pk, chunk=0)
    url = reverse("bill_runs:run", args=[run.pk])

    polled = htmx(agent_client, url)

    assert polled.status_code == 200
    html = polled.content.decode()
    assert 'hx-trigger="every 2s"' in html and 'value="66"' in html and "2 of 3 accounts done" in html

    bill_run_chunk(run_id=run.pk, chunk=1)
    done = htmx(agent_client, url)
    assert done.status_code == 286
    html = done.content.decode()
    assert 'data-status="FINISHED"' in html and 'value="100"' in html and "hx-trigger" not in html
    assert re.search(r'data-testid="billed">2<', html) and re.search(r'data-testid="held"><a [^>]+>1</a>', html)


def test_an_unknown_run_or_list_is_not_found(agent_client, accounts):
    run = bill_run_start(as_of=AS_OF)

    assert agent_client.get(reverse("bill_runs:run", args=[run.pk + 1])).status_code == 404
    assert agent_client.get(reverse("bill_runs:items", args=[run.pk, "everything"])).status_code == 404


# --- drilling into held and failed accounts --------------------------------------------------------------------


def test_held_and_failed_accounts_are_listed_with_reasons_and_links_to_the_customer(
    agent_client, accounts, monkeypatch
):
    broken = accounts["billed"][1]
    real_bills_make = invoicing.bills_make

    def breaks_on_one(*, account_ids, **kwargs):
        if broken.pk in account_ids:
            raise ValueError("no price for the register")
        return real_bills_make(account_ids=account_ids, **kwargs)

    monkeypatch.setattr(invoicing, "bills_make", breaks_on_one)
    run = run_to_the_end(bill_run_start(as_of=AS_OF))

    _queries, held_html = queries_for(agent_client, reverse("bill_runs:items", args=[run.pk, "held"]))
    _queries, failed_html = queries_for(agent_client, reverse("bill_runs:items", args=[run.pk, "failed"]))
    customer = accounts["held"].customer
    assert f'href="{reverse("staff:customer", args=[customer.pk])}">{customer.display_name}</a>' in held_html
    assert accounts["held"].number in held_html and "estimated" in held_html
    assert "held, no number yet" in held_html
    assert f'href="{reverse("staff:customer", args=[broken.customer_id])}"' in failed_html
    assert "Unexpected error: ValueError: no price for the register" in failed_html
    assert accounts["held"].number not in failed_html


def test_the_item_lists_are_paged_in_a_fixed_number_of_queries(agent_client, accounts, monkeypatch):
    run = run_to_the_end(bill_run_start(as_of=AS_OF, dry_run=True))
    url = reverse("bill_runs:items", args=[run.pk, "billed"])
    monkeypatch.setattr("billing.staff.runs.ITEMS_PER_PAGE", 1)

    one_row, _html = queries_for(agent_client, url)
    monkeypatch.setattr("billing.staff.runs.ITEMS_PER_PAGE", 50)
    all_rows, html = queries_for(agent_client, url)

    assert one_row == all_rows
    assert html.count("<tr>") == 1 + 2
    monkeypatch.setattr("billing.staff.runs.ITEMS_PER_PAGE", 1)
    _queries, paged = queries_for(agent_client, url + "?page=2")
    assert "Page 2 of 2" in paged and 'href="?page=1"' in paged


# --- starting, stopping and resuming ---------------------------------------------------------------------------


def test_a_supervisor_confirms_before_a_run_starts(supervisor_client, accounts, django_capture_on_commit_callbacks):
    url = reverse("bill_runs:start")

    confirm = supervisor_client.post(url, {"as_of": "2027-01-05"})

    assert confirm.status_code == 200 and not BillRun.objects.exists()
    html = confirm.content.decode()
    assert "The run looks at 3 accounts with supply" in html and "Start the bill run" in html
    assert 'name="confirmed" value="True"' in html

    with django_capture_on_commit_callbacks(execute=True):
        started = supervisor_client.post(url, {"as_of": "2027-01-05", "confirmed": "True"})

    run = BillRun.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse("bill_runs:run", args=[run.pk])
    assert (run.as_of, run.dry_run, run.status, run.started_by.email) == (
        AS_OF,
        False,
        "FINISHED",
        "supervisor@example.com",
    )
    assert Invoice.objects.count() == 3
    page = supervisor_client.get(started["Location"]).content.decode()
    assert re.search(rf"Bill run {run.pk} for \S+ started with 3 accounts\.", page)


def test_a_dry_run_is_started_as_such(supervisor_client, accounts, django_capture_on_commit_callbacks):
    confirm = supervisor_client.post(reverse("bill_runs:start"), {"as_of": "2027-01-05", "dry_run": "on"})
    assert "no invoice is saved or sent" in confirm.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(
            reverse("bill_runs:start"), {"as_of": "2027-01-05", "dry_run": "on", "confirmed": "True"}
        )

    assert BillRun.objects.get().dry_run is True
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"as_of": ""}, "This field is required."),
        ({"as_of": "05.01.2027x"}, "Enter a valid date."),
        ({"as_of": "2027-01-07", "confirmed": "True"}, "is in the future"),
    ],
    ids=["empty", "not-a-date", "future"],
)
def test_a_bad_date_is_refused_with_a_message_and_starts_nothing(supervisor_client, accounts, data, message):
    response = supervisor_client.post(reverse("bill_runs:start"), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BillRun.objects.exists()


def test_a_second_run_is_refused_while_one_is_running(supervisor_client, accounts):
    running = bill_run_start(as_of=AS_OF)

    response = supervisor_client.post(reverse("bill_runs:start"), {"as_of": "2027-01-05", "confirmed": "True"})

    assert response.status_code == 409
    assert f"already running (run {running.pk})" in response.content.decode()
    assert BillRun.objects.count() == 1


def test_a_supervisor_stops_and_resumes_a_run(supervisor_client, accounts, django_capture_on_commit_callbacks):
    run = bill_run_start(as_of=AS_OF)
    detail = reverse("bill_runs:run", args=[run.pk])
    assert b'data-testid="stop"' in supervisor_client.get(detail).content

    stopped = supervisor_client.post(reverse("bill_runs:stop", args=[run.pk]), follow=True)

    assert BillRun.objects.get().status == "STOPPED"
    html = stopped.content.decode()
    assert "The run stops once the accounts being billed right now are done." in html
    assert "3 accounts are not billed yet" in html and 'data-testid="resume"' in html

    with django_capture_on_commit_callbacks(execute=True):
        resumed = supervisor_client.post(reverse("bill_runs:resume", args=[run.pk]), follow=True)

    assert "The run goes on with the accounts not billed yet." in resumed.content.decode()
    assert BillRun.objects.get().status == "FINISHED"
    assert BillRunItem.objects.filter(run=run, status="PENDING").count() == 0
    again = supervisor_client.post(reverse("bill_runs:stop", args=[run.pk]), follow=True)
    assert "only a running run can be stopped" in again.content.decode()


def test_stop_and_resume_take_posts_only(supervisor_client, accounts):
    run = bill_run_start(as_of=AS_OF)

    assert supervisor_client.get(reverse("bill_runs:stop", args=[run.pk])).status_code == 405
    assert supervisor_client.get(reverse("bill_runs:start")).status_code == 405
    assert BillRun.objects.get().status == "RUNNING"


# --- admin -----------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    with_two_factor(user)
    return signed_in(client, user)


def test_the_admin_shows_runs_and_items_read_only(admin_client, accounts):
    run = run_to_the_end(bill_run_start(as_of=AS_OF))
    item = BillRunItem.objects.filter(run=run).first()

    assert admin_client.get(reverse("admin:billing_billrun_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:billing_billrun_change", args=[run.pk]))
    assert page.status_code == 200 and reverse("bill_runs:run", args=[run.pk]) in page.content.decode()
    assert (
        admin_client.get(reverse("admin:billing_billrunitem_changelist"), {"q": item.account.number}).status_code == 200
    )
    assert admin_client.get(reverse("admin:billing_billrun_add")).status_code == 403
    assert admin_client.post(reverse("admin:billing_billrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:billing_billrunitem_change", args=[item.pk]), {"status": "FAILED"}).status_code
        == 403
    )
    assert BillRun.objects.filter(pk=run.pk, status="FINISHED").exists()
    assert BillRunItem.objects.get(pk=item.pk).status == item.status


def test_the_billing_settings_are_one_row_that_is_edited_never_added_or_deleted(admin_client):
    listed = admin_client.get(reverse("admin:billing_billingsettings_changelist"))

    settings = BillingSettings.objects.get()
    change = reverse("admin:billing_billingsettings_change", args=[settings.pk])
    assert listed.status_code == 200 and change in listed.content.decode()
    page = admin_client.get(change)
    assert page.status_code == 200 and 'name="chunk_size"' in page.content.decode()
    assert admin_client.get(reverse("admin:billing_billingsettings_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:billing_billingsettings_delete", args=[settings.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert BillingSettings.objects.count() == 1
