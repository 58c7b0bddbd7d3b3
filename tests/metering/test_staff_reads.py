import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metering.models import ReadImportJob
from meters.models import Read
from tests.accounts.factories import UserFactory, staff_user, with_two_factor
from tests.metering.factories import NOW, OBIS, plausible, serial
from tests.meters.factories import at
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

HEADER = "meter_serial,obis,read_at,value,source\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent():
    return staff_user()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    client.cookies["portal_language"] = "en"
    return client


def upload(content: str, name: str = "reads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")


def good_and_bad() -> str:
    return (
        HEADER
        + f"{serial(1)},{OBIS},2026-02-01,{plausible(at(2026, 2, 1))},smart\n"
        + f"9NOPE,{OBIS},2026-02-01,1,smart\n"
    )


def post_upload(client, content: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("staff:read_import"), {"file": upload(content)})


# --- who may -----------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("staff:read_import"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_staff_without_the_metering_permission_are_refused(client):
    user = UserFactory(email="it@example.com", is_staff=True)
    with_two_factor(user)
    client.force_login(user)
    job = ReadImportJob.objects.create(file_name="x.csv", file="read-imports/x.csv")

    assert client.get(reverse("staff:read_import")).status_code == 403
    assert client.post(reverse("staff:read_import"), {"file": upload(HEADER)}).status_code == 403
    assert client.get(reverse("staff:read_import_job", args=[job.pk])).status_code == 403
    assert client.get(reverse("staff:read_import_report", args=[job.pk])).status_code == 403
    assert ReadImportJob.objects.count() == 1


def test_customers_may_not_upload_reads(client):
    supply = supplied(1, language="de")
    client.force_login(supply.account.customer.user)

    assert client.get(reverse("staff:read_import")).status_code == 403


# --- uploading -----------------------------------------------------------------------------------------------


def test_an_upload_is_imported_in_the_background_and_its_page_shows_the_result(
    agent_client, agent, django_capture_on_commit_callbacks
):
    supplied(1, language="de")

    response = post_upload(agent_client, good_and_bad(), django_capture_on_commit_callbacks)

    job = ReadImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:read_import_job", args=[job.pk])
    assert (job.status, job.created_by, job.file_name) == (ReadImportJob.Status.FINISHED, agent, "reads.csv")
    assert (job.total_rows, job.accepted, job.rejected) == (2, 1, 1)
    assert Read.objects.filter(source=Read.Source.SMART).count() == 1
    page = agent_client.get(response["Location"]).content.decode()
    assert 'data-status="FINISHED"' in page
    assert 'data-testid="accepted">1<' in page
    assert 'data-testid="rejected">1<' in page
    assert 'data-testid="suspect">0<' in page
    assert reverse("staff:read_import_report", args=[job.pk]) in page
    assert "hx-trigger" not in page


def test_the_report_of_rejected_rows_can_be_downloaded(agent_client, django_capture_on_commit_callbacks):
    supplied(1, language="de")
    post_upload(agent_client, good_and_bad(), django_capture_on_commit_callbacks)
    job = ReadImportJob.objects.get()

    response = agent_client.get(reverse("staff:read_import_report", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reads.rejected.csv"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "line,reason,meter_serial,obis,read_at,value,source"
    assert lines[1].startswith("3,")
    assert "9NOPE" in lines[1]


def test_a_job_without_a_report_has_none_to_download(agent_client):
    job = ReadImportJob.objects.create(file_name="x.csv", file="read-imports/x.csv")

    assert agent_client.get(reverse("staff:read_import_report", args=[job.pk])).status_code == 404
    assert agent_client.get(reverse("staff:read_import_report", args=[job.pk + 1])).status_code == 404


def test_an_upload_without_a_file_asks_for_one(agent_client):
    response = agent_client.post(reverse("staff:read_import"), {})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ReadImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("meter_serial,obis,read_at,value\n1,2,3,4\n", "lacks required columns: source"),
        ("", "The submitted file is empty."),
        ("\x00\x01 binary", "is not UTF-8 text"),
    ],
    ids=["missing-column", "empty", "binary"],
)
def test_a_file_that_cannot_be_imported_is_refused_at_once(
    agent_client, content, message, django_capture_on_commit_callbacks
):
    response = post_upload(agent_client, content, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReadImportJob.objects.exists()
    assert not Read.objects.exists()


def test_semicolons_and_a_byte_order_mark_are_fine(agent_client, django_capture_on_commit_callbacks):
    supplied(1, language="de")
    value = str(plausible(at(2026, 2, 1))).replace(".", ",")
    content = "\ufeff" + HEADER.replace(",", ";") + f"{serial(1)};{OBIS};2026-02-01;{value};smart\n"

    response = post_upload(agent_client, content, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert ReadImportJob.objects.get().accepted == 1


# --- following the progress ---------------------------------------------------------------------------------


def test_a_running_import_is_polled_every_second(agent_client):
    job = ReadImportJob.objects.create(
        file_name="big.csv", file="read-imports/big.csv", status=ReadImportJob.Status.CHECKING, total_rows=1000
    )
    ReadImportJob.objects.filter(pk=job.pk).update(read_rows=1000, checked_rows=500, accepted=480, rejected=20)

    response = agent_client.get(reverse("staff:read_import_job", args=[job.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert '<progress class="w-100 mb-3" max="100" value="75"' in html
    assert 'data-testid="accepted">480<' in html
    assert "<html" not in html


def test_suspect_rows_link_to_the_review_queue(agent_client):
    job = ReadImportJob.objects.create(
        file_name="big.csv", file="read-imports/big.csv", status=ReadImportJob.Status.FINISHED, suspect=3
    )

    html = agent_client.get(reverse("staff:read_import_job", args=[job.pk])).content.decode()

    assert f'data-testid="suspect">3 · <a href="{reverse("staff:read_review")}">' in html


@pytest.mark.parametrize("status", [ReadImportJob.Status.FINISHED, ReadImportJob.Status.FAILED])
def test_a_finished_import_stops_the_polling(agent_client, status):
    job = ReadImportJob.objects.create(file_name="big.csv", file="read-imports/big.csv", status=status)

    response = agent_client.get(reverse("staff:read_import_job", args=[job.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 286
    assert "hx-trigger" not in response.content.decode()


def test_a_failed_import_says_why(agent_client):
    job = ReadImportJob.objects.create(
        file_name="big.csv", file="read-imports/big.csv", status=ReadImportJob.Status.FAILED, error="Disk full."
    )

    html = agent_client.get(reverse("staff:read_import_job", args=[job.pk])).content.decode()

    assert "nothing was stored" in html
    assert "Disk full." in html


def test_an_unknown_import_is_404(agent_client):
    assert agent_client.get(reverse("staff:read_import_job", args=[999])).status_code == 404


def test_the_list_of_imports_takes_a_fixed_number_of_queries(agent_client, django_assert_max_num_queries):
    for index in range(25):
        ReadImportJob.objects.create(file_name=f"{index}.csv", file=f"read-imports/{index}.csv", created_by=None)
    ReadImportJob.objects.update(created_by=staff_user(email="other@example.com"))

    with django_assert_max_num_queries(12):
        response = agent_client.get(reverse("staff:read_import"))

    assert response.status_code == 200
    assert response.content.decode().count("other@example.com") == 20
