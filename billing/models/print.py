"""Print batches: the letters queued up to a day, in one PDF for the print shop."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import OutboxMessage


class PrintBatch(models.Model):
    """Every letter in the outbox not yet printed and queued before the end
    of `batch_date`: each a cover page with the address, then its PDFs."""

    batch_date = models.DateField(_("letters up to"), unique=True)
    file = models.FileField(_("PDF"), upload_to="print/%Y/%m/")
    letter_count = models.PositiveIntegerField(_("letters"))
    page_count = models.PositiveIntegerField(_("pages"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")

    def __str__(self) -> str:
        return f"{self.batch_date}: {self.letter_count}"


class PrintBatchLetter(models.Model):
    """A letter in a print batch; a letter is printed in one batch only."""

    batch = models.ForeignKey(PrintBatch, on_delete=models.CASCADE, related_name="letters", verbose_name=_("batch"))
    message = models.OneToOneField(
        OutboxMessage, on_delete=models.PROTECT, related_name="print_batch_letter", verbose_name=_("letter")
    )
    position = models.PositiveIntegerField(_("position"))
    first_page = models.PositiveIntegerField(_("first page"))

    class Meta:
        verbose_name = _("letter in a print batch")
        verbose_name_plural = _("letters in print batches")
        constraints = [models.UniqueConstraint(fields=["batch", "position"], name="one_letter_per_batch_position")]

    def __str__(self) -> str:
        return f"{self.batch.batch_date} #{self.position}"
