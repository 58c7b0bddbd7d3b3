"""Back-office: upload a CSV file of meter reads and follow its import."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.staff import staff_required
from metering.models import ReadImportJob
from metering.services.imports import ReadFileError, csv_header_check, read_import_job_create

PERMISSION = "meters.add_read"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
RECENT_JOBS = 20
# htmx stops polling on this status.
STOP_POLLING = 286


class ReadUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file of meter reads"),
        help_text=gettext_lazy(
            "Columns meter_serial, obis, read_at, value, source; delimiter comma or semicolon; UTF-8."
        ),
        widget=forms.FileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s; please split it.") % {"size": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        try:
            csv_header_check(stream=upload, name=Path(upload.name).name)
        except ReadFileError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


@staff_required(PERMISSION)
def read_import(request: HttpRequest) -> HttpResponse:
    """The upload form and the latest imports."""
    form = ReadUploadForm(request.POST, request.FILES) if request.method == "POST" else ReadUploadForm()
    if form.is_bound and form.is_valid():
        job = read_import_job_create(upload=form.cleaned_data["file"], created_by=request.user)
        return redirect("staff:read_import_job", job_id=job.pk)
    jobs = ReadImportJob.objects.select_related("created_by").order_by("-created_at", "-id")[:RECENT_JOBS]
    return render(request, "metering/staff/read_import.html", {"form": form, "jobs": jobs})


@staff_required(PERMISSION)
def read_import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """One import's progress; htmx polls the progress part until the import is done."""
    job = get_object_or_404(ReadImportJob.objects.select_related("created_by"), pk=job_id)
    if request.htmx:
        response = render(request, "metering/staff/read_import_job.html#progress", {"job": job})
        if job.is_done:
            response.status_code = STOP_POLLING
        return response
    return render(request, "metering/staff/read_import_job.html", {"job": job})


@staff_required(PERMISSION)
def read_import_report(request: HttpRequest, job_id: int) -> FileResponse:
    """The rejected rows of a finished import as CSV."""
    job = get_object_or_404(ReadImportJob, pk=job_id)
    if not job.report:
        raise Http404(_("This import has no report (yet)."))
    return FileResponse(
        job.report.open("rb"),
        as_attachment=True,
        filename=f"{Path(job.file_name).stem}.rejected.csv",
        content_type="text/csv",
    )
