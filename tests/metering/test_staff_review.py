"""Agents work the review queue of suspect reads (accept, reject with a
reason, correct), see every decision on the read, and the customer page's
Reads tab."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import OutboxMessage
from metering.queries.review import review_queue
from metering.services.intake import expected_range, read_submit
from meters.models import Read, ReadReview
from tests.accounts.factories import AccountFactory, staff_user
from tests.meters.factories import PNG, at, daily_reads, register_of
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 30, 12)
QUEUE = reverse("staff:read_review")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agent():
    return staff_user()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    client.cookies["portal_language"] = "en"
    return client


def suspect_read(n=1, *, value="9000", photo=None, language="en", told=None) -> Read:
    """A customer's confirmed suspect read on an electricity supply since 1
    January (1000 at the start); `told` receives the range the customer was shown."""
    agreement = supplied(n=n, account=AccountFactory(customer__language=language))
    if told is not None:
        told.append(expected_range(register=register_of(agreement), on=at(2026, 6, 29)))
    result = read_submit(
        register=register_of(agreement),
        taken_at=at(2026, 6, 29),
        value=Decimal(value),
        source=Read.Source.CUSTOMER,
        confirm_suspect=True,
        customer=agreement.account.customer,
        photo=photo,
        now=NOW,
    )
    assert result.read.quality == Read.Quality.SUSPECT
    return result.read


def row_of(response, read) -> str:
    return re.search(rf'data-testid="review-{read.pk}">(.*?)</tr>', response.content.decode(), re.S).group(1)


# --- who may ------------------------------------------------------------------------------------------------------


def test_visitors_are_sent_to_sign_in(client):
    read = suspect_read()

    for url in (QUEUE, reverse("staff:read", args=[read.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert client.post(reverse("staff:read_accept", args=[read.pk])).status_code == 302
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.SUSPECT


def test_customers_may_not_see_or_decide(client):
    read = suspect_read()
    client.force_login(read.register.meter.supply_point.agreements.get().account.customer.user)

    assert client.get(QUEUE).status_code == 403
    assert client.get(reverse("staff:read_photo", args=[read.pk])).status_code == 403
    for name in ("staff:read_accept", "staff:read_reject", "staff:read_correct"):
        assert client.post(reverse(name, args=[read.pk]), {f"read{read.pk}-reason": "x"}).status_code == 403
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.SUSPECT
    assert not ReadReview.objects.exists()


def test_staff_without_the_permission_may_not_decide(client):
    read = suspect_read()
    client.force_login(staff_user(email="clerk@example.com", group=None))

    assert client.get(QUEUE).status_code == 403
    assert client.post(reverse("staff:read_accept", args=[read.pk])).status_code == 403


def test_supervisors_work_the_queue_too(client):
    read = suspect_read()
    client.force_login(staff_user(email="boss@example.com", group="Supervisors"))

    assert client.post(reverse("staff:read_accept", args=[read.pk])).status_code == 302
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.VALID


# --- the queue ----------------------------------------------------------------------------------------------------


def test_the_queue_shows_each_suspect_read_with_what_it_was_compared_with(agent_client):
    photo = SimpleUploadedFile("meter.png", PNG, content_type="image/png")
    told = []
    read = suspect_read(photo=photo, told=told)
    customer = read.register.meter.supply_point.agreements.get().account.customer

    response = agent_client.get(QUEUE)

    assert response.status_code == 200
    row = row_of(response, read)
    assert customer.display_name in row
    assert read.register.meter.serial in row and "1-0:1.8.0" in row
    assert "1,000" in row and "01/01/2026" in row  # the previous reading
    assert "9,000" in row and "customer" in row
    low, high = told[0]
    assert review_queue()[0].expected == (low, high)
    assert f"{low.normalize():,f} – {high.normalize():,f}" in row
    assert reverse("staff:read_photo", args=[read.pk]) in row
    assert read.reason in row.replace("&#x27;", "'")
    assert response.context["count"] == 1


def test_the_queue_lists_the_oldest_first():
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        older = suspect_read(n=1)
    newer = suspect_read(n=2)

    assert [row.read.pk for row in review_queue()] == [older.pk, newer.pk]


def test_the_expected_range_comes_from_the_history_as_for_the_customer():
    agreement = supplied(n=7)
    register = register_of(agreement)
    daily_reads(register, first=dt.date(2026, 1, 1), days=150, start=Decimal("1000"), per_day=Decimal("10"))
    expected = expected_range(register=register, on=at(2026, 6, 29))
    read_submit(
        register=register,
        taken_at=at(2026, 6, 29),
        value=Decimal("9000"),
        source=Read.Source.CUSTOMER,
        confirm_suspect=True,
        now=NOW,
    )

    (row,) = review_queue()

    assert row.expected == expected
    assert row.previous_value == Decimal("2500")


def test_the_queue_has_no_n_plus_one(agent_client, django_assert_max_num_queries):
    for n in range(1, 21):
        suspect_read(n=n)
    agent_client.get(QUEUE)

    with django_assert_max_num_queries(16):
        response = agent_client.get(QUEUE)

    assert len(response.context["rows"]) == 20
    assert all(row.customer is not None and row.expected is not None for row in response.context["rows"])


def test_the_navigation_counts_the_reads_to_review(agent_client):
    suspect_read(n=1)
    suspect_read(n=2)

    page = agent_client.get(reverse("staff:search")).content.decode()

    assert re.search(r'data-testid="reads-to-review-count">2<', page)


# --- decisions ------------------------------------------------------------------------------------------------------


def test_accepting_makes_the_read_count_and_keeps_the_decision(agent_client, agent):
    read = suspect_read()

    response = agent_client.post(reverse("staff:read_accept", args=[read.pk]), **HTMX)

    assert response.status_code == 200
    assert "Accepted: reading 9,000" in response.content.decode()
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.VALID
    review = ReadReview.objects.get(read=read)
    assert (review.decision, review.decided_by, review.value_before) == ("ACCEPTED", agent, Decimal("9000"))


def test_without_javascript_a_decision_returns_to_the_queue_with_a_message(agent_client):
    read = suspect_read()

    response = agent_client.post(reverse("staff:read_accept", args=[read.pk]), follow=True)

    assert response.redirect_chain[-1][0] == QUEUE
    assert "Accepted: reading 9,000" in response.content.decode()
    assert 'data-testid="review-empty"' in response.content.decode()


def test_rejecting_needs_a_reason_and_tells_the_customer(agent_client):
    read = suspect_read()
    url = reverse("staff:read_reject", args=[read.pk])

    missing = agent_client.post(url, {f"read{read.pk}-reason": "  "}, **HTMX)

    assert "Please give the customer a reason." in missing.content.decode()
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.SUSPECT
    assert not OutboxMessage.objects.filter(template="read_rejected").exists()

    done = agent_client.post(url, {f"read{read.pk}-reason": "The photo shows 2900."}, **HTMX)

    assert "Rejected: reading 9,000" in done.content.decode()
    stored = Read.objects.get(pk=read.pk)
    assert (stored.quality, stored.reason) == (Read.Quality.REJECTED, "The photo shows 2900.")
    assert ReadReview.objects.get(read=read).reason == "The photo shows 2900."
    message = OutboxMessage.objects.get(template="read_rejected")
    assert message.to_address == read.register.meter.supply_point.agreements.get().account.customer.email


def test_a_missing_reason_without_javascript_shows_the_queue_with_the_error(agent_client):
    read = suspect_read()

    response = agent_client.post(reverse("staff:read_reject", args=[read.pk]), {f"read{read.pk}-reason": ""})

    assert response.status_code == 200
    assert "Please give the customer a reason." in row_of(response, read)


def test_correcting_stores_the_agents_value_and_keeps_the_suspect_read(agent_client, agent):
    read = suspect_read()

    response = agent_client.post(
        reverse("staff:read_correct", args=[read.pk]), {f"read{read.pk}-value": "2900"}, **HTMX
    )

    assert "Corrected: reading 9,000" in response.content.decode()
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.REJECTED
    review = ReadReview.objects.get(read=read)
    assert (review.decision, review.corrected_read.value, review.corrected_read.source) == (
        "CORRECTED",
        Decimal("2900"),
        Read.Source.AGENT,
    )


def test_a_correction_that_cannot_be_right_is_refused_beside_the_field(agent_client):
    read = suspect_read()
    url = reverse("staff:read_correct", args=[read.pk])

    lower = agent_client.post(url, {f"read{read.pk}-value": "999"}, **HTMX)
    words = agent_client.post(url, {f"read{read.pk}-value": "lots"}, **HTMX)

    assert "lower than the previous reading" in lower.content.decode()
    assert "as a number" in words.content.decode()
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.SUSPECT
    assert not ReadReview.objects.exists()


def test_a_read_decided_meanwhile_is_not_decided_twice(agent_client):
    read = suspect_read()
    agent_client.post(reverse("staff:read_accept", args=[read.pk]), **HTMX)

    again = agent_client.post(reverse("staff:read_reject", args=[read.pk]), {f"read{read.pk}-reason": "wrong"}, **HTMX)

    assert "not waiting for a review" in again.content.decode()
    assert ReadReview.objects.filter(read=read).count() == 1
    assert Read.objects.get(pk=read.pk).quality == Read.Quality.VALID


def test_an_unknown_read_is_not_found(agent_client):
    assert agent_client.post(reverse("staff:read_accept", args=[999999])).status_code == 404
    assert agent_client.get(reverse("staff:read", args=[999999])).status_code == 404


# --- the read's page and photo ------------------------------------------------------------------------------------


def test_the_reads_page_shows_every_decision(agent_client, agent):
    read = suspect_read()
    agent_client.post(reverse("staff:read_correct", args=[read.pk]), {f"read{read.pk}-value": "2900"})

    page = agent_client.get(reverse("staff:read", args=[read.pk])).content.decode()

    decisions = re.search(r'data-testid="read-reviews">(.*?)</ol>', page, re.S).group(1)
    assert "corrected" in decisions and agent.email in decisions and "9,000" in decisions and "2,900" in decisions


def test_the_photo_is_served_to_agents_only(agent_client, client):
    read = suspect_read(photo=SimpleUploadedFile("meter.png", PNG, content_type="image/png"))

    response = agent_client.get(reverse("staff:read_photo", args=[read.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    without = suspect_read(n=2)
    assert agent_client.get(reverse("staff:read_photo", args=[without.pk])).status_code == 404


# --- the customer page's Reads tab ------------------------------------------------------------------------------


def test_the_customer_page_shows_the_reads_with_chart_and_decisions(agent_client):
    read = suspect_read()
    agent_client.post(reverse("staff:read_accept", args=[read.pk]))
    customer = read.register.meter.supply_point.agreements.get().account.customer

    response = agent_client.get(reverse("staff:customer", args=[customer.pk]), {"tab": "reads"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="consumption-chart"' in page
    rows = re.findall(r'data-testid="read-row">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    assert "customer" in rows[0] and "accepted" in rows[0] and "agent@example.com" in rows[0]


def test_the_reads_tab_of_an_unknown_customer_is_not_found(agent_client):
    assert agent_client.get(reverse("staff:customer", args=[999999]), {"tab": "reads"}).status_code == 404


def test_the_reads_tab_has_no_n_plus_one(agent_client, django_assert_max_num_queries):
    agreement = supplied(start_date=dt.date(2021, 7, 1), as_of=dt.date(2021, 7, 1))
    daily_reads(register_of(agreement), first=dt.date(2021, 7, 1), days=1825, start=Decimal("1000"), per_day=1)
    url = reverse("staff:customer", args=[agreement.account.customer_id])
    agent_client.get(url, {"tab": "reads"})

    with django_assert_max_num_queries(40):
        response = agent_client.get(url, {"tab": "reads"})

    assert response.content.decode().count('data-testid="read-row"') == 24
    assert reverse("staff:read_history", args=[agreement.pk]) in response.content.decode()
    history = agent_client.get(reverse("staff:read_history", args=[agreement.pk]))
    assert history.status_code == 200
    assert history.content.decode().count('data-testid="read-row"') == 100
