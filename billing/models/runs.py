"""Bill runs: which accounts a run bills, and how far it has come."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class BillRun(models.Model):
    """Bills every account whose billing period ended on or before `as_of`.

    The run's items are its work list; chunk tasks take items and record each
    one's outcome, so counts and progress are read from the items and a
    stopped or crashed run resumes where it stood."""

    class Status(models.TextChoices):
        PLANNING = "PLANNING", _("finding accounts")
        RUNNING = "RUNNING", _("running")
        STOPPED = "STOPPED", _("stopped")
        FINISHED = "FINISHED", _("finished")
        FAILED = "FAILED", _("failed")

    DONE_STATES = (Status.FINISHED, Status.FAILED)

    as_of = models.DateField(_("as of"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNING)
    total = models.PositiveIntegerField(_("accounts"), default=0)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bill run")
        verbose_name_plural = _("bill runs")

    def __str__(self) -> str:
        return f"{self.as_of} ({self.get_status_display()})"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE_STATES


class BillRunItem(models.Model):
    """One account in a run and what became of it."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("waiting")
        BILLED = "BILLED", _("billed")
        HELD = "HELD", _("held for review")
        SKIPPED = "SKIPPED", _("nothing to bill")
        FAILED = "FAILED", _("failed")

    DONE_STATES = (Status.BILLED, Status.HELD, Status.SKIPPED, Status.FAILED)

    run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="items", verbose_name=_("bill run"))
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", verbose_name=_("account"))
    chunk = models.PositiveIntegerField(_("chunk"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    # The computed gross amount (also for dry runs, which save no invoice).
    gross_total = models.DecimalField(_("gross total"), max_digits=12, decimal_places=2, null=True, blank=True)
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("invoice")
    )
    reason = models.TextField(_("reason"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bill run item")
        verbose_name_plural = _("bill run items")
        constraints = [models.UniqueConstraint(fields=["run", "account"], name="one_item_per_run_and_account")]
        indexes = [models.Index(fields=["run", "chunk", "status"]), models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.account_id}: {self.get_status_display()}"
