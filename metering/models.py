"""Read intake's own rows: bulk imports uploaded in the back-office."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadImportJob(models.Model):
    """A CSV file of meter reads uploaded in the back-office and imported by a
    Celery task from a stored copy; the task records its progress here."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("waiting")
        READING = "READING", _("reading the file")
        CHECKING = "CHECKING", _("checking the reads")
        SAVING = "SAVING", _("saving the reads")
        FINISHED = "FINISHED", _("finished")
        FAILED = "FAILED", _("failed")

    DONE_STATES = (Status.FINISHED, Status.FAILED)

    file = models.FileField(_("file"), upload_to="read-imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    read_rows = models.PositiveIntegerField(_("rows read"), default=0)
    checked_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    suspect = models.PositiveIntegerField(_("suspect"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    duplicate = models.PositiveIntegerField(_("duplicate"), default=0)
    report = models.FileField(_("report of rejected rows"), upload_to="read-imports/reports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="read_import_jobs",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("read import")
        verbose_name_plural = _("read imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE_STATES

    @property
    def percent(self) -> int:
        """How far the import is: reading and checking each make half of it."""
        if self.status in (self.Status.SAVING, self.Status.FINISHED):
            return 100
        if not self.total_rows:
            return 0
        return min(100, (self.read_rows + self.checked_rows) * 100 // (2 * self.total_rows))
