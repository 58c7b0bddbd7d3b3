"""Admin: the causes and the fee and compensation rules (edited here);
interruptions, their timeline, the customers affected, notices, bookings and
reports read-only (they change through the back-office, the API and the
services)."""

from django.contrib import admin

from outages.models import (
    AffectedSupply,
    Cause,
    Charge,
    ChargeRule,
    Interruption,
    NoSupplyReport,
    Notice,
    StatusUpdate,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Cause)
class CauseAdmin(admin.ModelAdmin):
    list_display = ("code", "name_de", "name_en", "is_active", "position")
    list_editable = ("is_active", "position")
    search_fields = ("code", "name_de", "name_en")

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.interruptions.exists()


@admin.register(ChargeRule)
class ChargeRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "name_de", "utility", "cause", "applies_to", "min_duration_hours", "amount", "is_active")
    list_filter = ("kind", "utility", "applies_to", "is_active")

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.charges.exists()


class StatusUpdateInline(ReadOnlyInline):
    model = StatusUpdate
    fields = ("at", "status", "note", "expected_end_at", "ended_at", "by")


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ("customer", "event", "sent_at", "message")


@admin.register(Interruption)
class InterruptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "utility", "planned", "cause", "status", "started_at", "ended_at", "customers_affected")
    list_filter = ("utility", "planned", "status", "source", "cause")
    search_fields = ("reference", "postcodes", "account__number")
    date_hierarchy = "started_at"
    inlines = [StatusUpdateInline, NoticeInline]


@admin.register(AffectedSupply)
class AffectedSupplyAdmin(ReadOnlyAdmin):
    list_display = ("interruption", "supply_point", "account")
    search_fields = ("account__number", "supply_point__identifier")
    list_select_related = ("supply_point", "account", "interruption")


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("interruption", "rule", "account", "sequence", "amount", "booked_at")
    list_select_related = ("rule", "account", "interruption")


@admin.register(NoSupplyReport)
class NoSupplyReportAdmin(ReadOnlyAdmin):
    list_display = ("account", "supply_point", "interruption", "ticket_reference", "created_at")
    list_select_related = ("account", "supply_point", "interruption")
