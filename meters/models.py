"""Premises, supply points, meters, registers and reads."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Utility(models.TextChoices):
    ELECTRICITY = "ELECTRICITY", _("Electricity")
    GAS = "GAS", _("Gas")
    WATER = "WATER", _("Water")
    INTERNET = "INTERNET", _("Internet")


METERED_UTILITIES = (Utility.ELECTRICITY, Utility.GAS, Utility.WATER)
MARKET_LOCATION_UTILITIES = (Utility.ELECTRICITY, Utility.GAS)


class Unit(models.TextChoices):
    KWH = "KWH", _("kWh")
    M3 = "M3", _("m³")


# The register a meter gets when nobody names one.
DEFAULT_OBIS = {
    Utility.ELECTRICITY: "1-0:1.8.0",
    Utility.GAS: "7-0:3.0.0",
    Utility.WATER: "8-0:1.0.0",
}
DEFAULT_UNIT = {Utility.ELECTRICITY: Unit.KWH, Utility.GAS: Unit.M3, Utility.WATER: Unit.M3}


class Premise(models.Model):
    """An address we supply."""

    street = models.CharField(_("street"), max_length=200)
    house_number = models.CharField(_("house number"), max_length=20)
    address_extra = models.CharField(_("address line 2"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, db_index=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("premise")
        verbose_name_plural = _("premises")

    def __str__(self) -> str:
        return f"{self.street} {self.house_number}, {self.postcode} {self.city}"


class SupplyPoint(models.Model):
    """Where one utility is delivered: a market location (electricity, gas),
    a water connection or an internet line."""

    premise = models.ForeignKey(
        Premise, on_delete=models.PROTECT, related_name="supply_points", verbose_name=_("premise")
    )
    utility = models.CharField(_("utility"), max_length=12, choices=Utility.choices)
    identifier = models.CharField(
        _("supply point id"), max_length=40, help_text=_("Market location id (electricity, gas) or line id (internet).")
    )
    network_area = models.CharField(_("network area"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("supply point")
        verbose_name_plural = _("supply points")
        constraints = [models.UniqueConstraint(fields=["utility", "identifier"], name="unique_supply_point_id")]

    def __str__(self) -> str:
        return f"{self.get_utility_display()} {self.identifier}"

    @property
    def is_metered(self) -> bool:
        return self.utility in METERED_UTILITIES


class Meter(models.Model):
    class Kind(models.TextChoices):
        CONVENTIONAL = "CONVENTIONAL", _("conventional")
        SMART = "SMART", _("smart")

    supply_point = models.ForeignKey(
        SupplyPoint, on_delete=models.PROTECT, related_name="meters", verbose_name=_("supply point")
    )
    serial = models.CharField(_("meter number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CONVENTIONAL)
    installed_on = models.DateField(_("installed on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")

    def __str__(self) -> str:
        return self.serial


class Register(models.Model):
    """One counter of a meter, named by its OBIS code (e.g. 1-0:1.8.1 = HT)."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="registers", verbose_name=_("meter"))
    obis = models.CharField(_("OBIS code"), max_length=20)
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices)
    digits = models.PositiveSmallIntegerField(_("digits before the decimal point"), default=6)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        constraints = [models.UniqueConstraint(fields=["meter", "obis"], name="unique_register_per_meter")]

    def __str__(self) -> str:
        return f"{self.meter.serial} {self.obis}"


class Read(models.Model):
    """A register value at a moment, with where it came from."""

    class Source(models.TextChoices):
        SMART = "SMART", _("smart meter")
        OPERATOR = "OPERATOR", _("metering operator")
        CUSTOMER = "CUSTOMER", _("customer")
        AGENT = "AGENT", _("agent")
        ESTIMATED = "ESTIMATED", _("estimated")

    class Estimation(models.TextChoices):
        HISTORY = "HISTORY", _("average daily use of the history")
        PROFILE = "PROFILE", _("standard load profile")

    class Quality(models.TextChoices):
        VALID = "VALID", _("valid")
        SUSPECT = "SUSPECT", _("suspect")
        REJECTED = "REJECTED", _("rejected")

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="reads", verbose_name=_("register"))
    taken_at = models.DateTimeField(_("taken at"))
    value = models.DecimalField(_("value"), max_digits=15, decimal_places=3)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    quality = models.CharField(_("quality"), max_length=10, choices=Quality.choices, default=Quality.VALID)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The register passed its highest value and started again from zero since the previous read.
    rollover = models.BooleanField(_("register rolled over"), default=False)
    # How an ESTIMATED read was computed; empty for actual reads.
    estimation = models.CharField(_("estimated from"), max_length=20, choices=Estimation.choices, blank=True)
    photo = models.FileField(_("photo of the meter"), upload_to="reads/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("read")
        verbose_name_plural = _("reads")
        constraints = [
            models.UniqueConstraint(
                fields=["register", "taken_at", "source"], name="one_read_per_register_moment_source"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="read_value_not_negative"),
            models.CheckConstraint(
                condition=(Q(source="ESTIMATED") & ~Q(estimation="")) | (~Q(source="ESTIMATED") & Q(estimation="")),
                name="estimated_reads_say_how",
            ),
        ]
        indexes = [models.Index(fields=["register", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.register} {self.taken_at:%Y-%m-%d %H:%M} = {self.value}"


class GasConversionFactor(models.Model):
    """State number (Zustandszahl) and calorific value (Brennwert) from a date,
    for one supply point or for a whole network area."""

    supply_point = models.ForeignKey(
        SupplyPoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="gas_factors",
        verbose_name=_("supply point"),
    )
    network_area = models.CharField(_("network area"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"))
    state_number = models.DecimalField(_("state number (Zustandszahl)"), max_digits=6, decimal_places=4)
    calorific_value = models.DecimalField(_("calorific value (kWh/m³)"), max_digits=6, decimal_places=3)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("gas conversion factor")
        verbose_name_plural = _("gas conversion factors")
        constraints = [
            models.CheckConstraint(
                condition=(Q(supply_point__isnull=False) & Q(network_area=""))
                | (Q(supply_point__isnull=True) & ~Q(network_area="")),
                name="gas_factor_for_supply_point_or_area",
            ),
            models.UniqueConstraint(
                fields=["supply_point", "valid_from"],
                condition=Q(supply_point__isnull=False),
                name="one_gas_factor_per_supply_point_and_date",
            ),
            models.UniqueConstraint(
                fields=["network_area", "valid_from"],
                condition=Q(supply_point__isnull=True),
                name="one_gas_factor_per_area_and_date",
            ),
            models.CheckConstraint(
                condition=Q(state_number__gt=0) & Q(calorific_value__gt=0), name="gas_factors_positive"
            ),
        ]

    def __str__(self) -> str:
        target = self.supply_point or self.network_area
        return f"{target} {self.valid_from}: Z={self.state_number}, Hs={self.calorific_value}"


class PlausibilityBand(models.Model):
    """How far a read's consumption may fall below / rise above the expected
    consumption before it is suspect, per utility (default -25 % / +50 %)."""

    utility = models.CharField(_("utility"), max_length=12, choices=Utility.choices, unique=True)
    lower_percent = models.DecimalField(_("allowed shortfall (%)"), max_digits=5, decimal_places=2, default=25)
    upper_percent = models.DecimalField(_("allowed excess (%)"), max_digits=6, decimal_places=2, default=50)

    class Meta:
        verbose_name = _("plausibility band")
        verbose_name_plural = _("plausibility bands")
        constraints = [
            models.CheckConstraint(
                condition=Q(lower_percent__gte=0) & Q(lower_percent__lte=100), name="band_lower_between_0_and_100"
            ),
            models.CheckConstraint(condition=Q(upper_percent__gte=0), name="band_upper_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_utility_display()}: -{self.lower_percent} % / +{self.upper_percent} %"


class ReadReview(models.Model):
    """An agent's decision on a suspect read; every decision is kept."""

    class Decision(models.TextChoices):
        ACCEPTED = "ACCEPTED", _("accepted")
        REJECTED = "REJECTED", _("rejected")
        CORRECTED = "CORRECTED", _("corrected")

    read = models.ForeignKey(Read, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("read"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The read's value when the decision was taken (a correction of an agent's own read changes it in place).
    value_before = models.DecimalField(_("value before"), max_digits=15, decimal_places=3)
    corrected_read = models.ForeignKey(
        Read,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrects",
        verbose_name=_("corrected read"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="read_reviews",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("read review")
        verbose_name_plural = _("read reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="CORRECTED", corrected_read__isnull=False)
                | (~Q(decision="CORRECTED") & Q(corrected_read__isnull=True)),
                name="a_correction_names_its_read",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.read} {self.get_decision_display()}"
