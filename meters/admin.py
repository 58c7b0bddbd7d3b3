"""Admin for premises, supply points, meters, registers, reads and gas conversion factors."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from meters.models import (
    GasConversionFactor,
    Meter,
    PlausibilityBand,
    Premise,
    Read,
    ReadReview,
    Register,
    SupplyPoint,
    Utility,
)
from meters.services import InvalidSupplyPointId, supply_point_id_check


class SupplyPointForm(forms.ModelForm):
    """The supply point id is checked like everywhere else (market location check digit)."""

    class Meta:
        model = SupplyPoint
        fields = ("premise", "utility", "identifier", "network_area")

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("utility") and cleaned.get("identifier"):
            try:
                cleaned["identifier"] = supply_point_id_check(
                    utility=cleaned["utility"], identifier=cleaned["identifier"]
                )
            except InvalidSupplyPointId as error:
                self.add_error("identifier", str(error))
        return cleaned


class GasConversionFactorForm(forms.ModelForm):
    """Factors belong to one gas supply point or to one network area."""

    class Meta:
        model = GasConversionFactor
        fields = ("supply_point", "network_area", "valid_from", "state_number", "calorific_value")

    def clean(self) -> dict:
        cleaned = super().clean()
        supply_point = cleaned.get("supply_point")
        area = (cleaned.get("network_area") or "").strip()
        cleaned["network_area"] = area
        if bool(supply_point) == bool(area):
            self.add_error("network_area", _("Give either a supply point or a network area, not both."))
        elif supply_point is not None and supply_point.utility != Utility.GAS:
            self.add_error("supply_point", _("Conversion factors are for gas supply points only."))
        return cleaned


class SupplyPointInline(admin.TabularInline):
    model = SupplyPoint
    extra = 0
    fields = ("utility", "identifier", "network_area")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class MeterInline(admin.TabularInline):
    model = Meter
    extra = 0
    fields = ("serial", "kind", "installed_on", "removed_on")
    show_change_link = True


class RegisterInline(admin.TabularInline):
    model = Register
    extra = 0
    fields = ("obis", "unit", "digits")


@admin.register(Premise)
class PremiseAdmin(admin.ModelAdmin):
    list_display = ("street", "house_number", "postcode", "city", "country", "created_at")
    list_filter = ("country",)
    search_fields = ("street", "postcode", "city", "supply_points__identifier")
    readonly_fields = ("created_at",)
    inlines = [SupplyPointInline]


@admin.register(SupplyPoint)
class SupplyPointAdmin(SimpleHistoryAdmin):
    form = SupplyPointForm
    list_display = ("identifier", "utility", "premise", "network_area", "created_at")
    list_filter = ("utility", "network_area")
    search_fields = ("identifier", "meters__serial", "premise__street", "premise__postcode", "premise__city")
    list_select_related = ("premise",)
    raw_id_fields = ("premise",)
    readonly_fields = ("created_at",)
    inlines = [MeterInline]
    history_list_display = ("identifier", "network_area")


@admin.register(Meter)
class MeterAdmin(SimpleHistoryAdmin):
    list_display = ("serial", "supply_point", "kind", "installed_on", "removed_on")
    list_filter = ("kind", "supply_point__utility")
    search_fields = ("serial", "supply_point__identifier")
    list_select_related = ("supply_point",)
    raw_id_fields = ("supply_point",)
    inlines = [RegisterInline]
    history_list_display = ("kind", "installed_on", "removed_on")


@admin.register(Read)
class ReadAdmin(admin.ModelAdmin):
    list_display = ("register", "taken_at", "value", "source", "quality", "reason", "created_at")
    list_filter = ("source", "quality", "register__meter__supply_point__utility")
    search_fields = ("register__meter__serial", "register__meter__supply_point__identifier")
    list_select_related = ("register__meter",)
    raw_id_fields = ("register",)
    readonly_fields = ("created_at",)
    date_hierarchy = "taken_at"


@admin.register(GasConversionFactor)
class GasConversionFactorAdmin(SimpleHistoryAdmin):
    form = GasConversionFactorForm
    list_display = ("valid_from", "supply_point", "network_area", "state_number", "calorific_value")
    list_filter = ("network_area", "valid_from")
    search_fields = ("network_area", "supply_point__identifier")
    list_select_related = ("supply_point",)
    raw_id_fields = ("supply_point",)
    date_hierarchy = "valid_from"
    history_list_display = ("state_number", "calorific_value")


@admin.register(PlausibilityBand)
class PlausibilityBandAdmin(admin.ModelAdmin):
    list_display = ("utility", "lower_percent", "upper_percent")


@admin.register(ReadReview)
class ReadReviewAdmin(admin.ModelAdmin):
    """Agents decide in the back-office; the admin shows every decision and changes none."""

    list_display = ("read", "decision", "reason", "value_before", "decided_by", "decided_at")
    list_filter = ("decision",)
    search_fields = ("read__register__meter__serial", "reason")
    list_select_related = ("read__register__meter", "decided_by")
    date_hierarchy = "decided_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
