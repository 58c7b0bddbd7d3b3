"""An agent uploads a CSV file of meter reads and follows the import."""

import re

import pytest
from playwright.sync_api import expect

from metering.models import ReadImportJob
from meters.models import Read
from tests.accounts.factories import staff_user
from tests.metering.factories import OBIS, plausible, serial
from tests.meters.factories import at
from tests.supply.factories import supplied

pytestmark = pytest.mark.e2e


@pytest.fixture
def agent(settings, tmp_path, sign_in):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = staff_user()
    sign_in(user)
    return user


def test_an_agent_uploads_reads_and_sees_the_result(page, english, agent, tmp_path):
    supplied(1, language="de")
    csv = tmp_path / "delivery.csv"
    csv.write_text(
        "meter_serial;obis;read_at;value;source\n"
        f"{serial(1)};{OBIS};2026-02-01;{plausible(at(2026, 2, 1))};smart\n"
        f"9NOPE;{OBIS};2026-02-01;1;smart\n",
        encoding="utf-8",
    )

    page.goto("/staff/")
    page.get_by_role("link", name="Import reads").click()
    page.get_by_label("CSV file of meter reads").set_input_files(str(csv))
    page.get_by_role("button", name="Upload and import").click()

    expect(page).to_have_url(re.compile(r"/staff/reads/import/\d+/$"))
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("data-status", "FINISHED")
    expect(page.get_by_test_id("accepted")).to_have_text("1")
    expect(page.get_by_test_id("rejected")).to_have_text("1")
    with page.expect_download() as download:
        page.get_by_test_id("report-link").click()
    assert "9NOPE" in download.value.path().read_text(encoding="utf-8")
    assert Read.objects.filter(source=Read.Source.SMART).count() == 1


def test_the_page_follows_a_running_import_until_it_is_done(page, english, agent):
    job = ReadImportJob.objects.create(
        file_name="big.csv", file="read-imports/big.csv", status=ReadImportJob.Status.CHECKING, total_rows=10
    )
    page.goto(f"/staff/reads/import/{job.pk}/")
    expect(page.get_by_test_id("import-progress")).to_have_attribute("data-status", "CHECKING")
    polls = []
    page.on("response", lambda response: polls.append(response.status) if "/reads/import/" in response.url else None)

    ReadImportJob.objects.filter(pk=job.pk).update(status=ReadImportJob.Status.CHECKING, checked_rows=5, read_rows=10)
    expect(page.locator("progress")).to_have_attribute("value", "75")
    ReadImportJob.objects.filter(pk=job.pk).update(status=ReadImportJob.Status.FINISHED, accepted=10)

    expect(page.get_by_test_id("import-progress")).to_have_attribute("data-status", "FINISHED")
    expect(page.get_by_test_id("accepted")).to_have_text("10")
    page.wait_for_timeout(2500)
    assert polls[-1] == 286
    assert polls.count(286) == 1
