"""Admin: dunning procedures with their levels, the base-rate table (edited
here); cases, notices, holds, plans, disconnections and hand-overs read-only
(they change through the back-office and the services)."""

from django.contrib import admin

from arrears.models import (
    AgencyReferral,
    BaseRate,
    DisconnectionOrder,
    DunningCase,
    DunningHold,
    DunningLevel,
    DunningNotice,
    DunningProcedure,
    PaymentPlan,
    PlanInstalment,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DunningLevelInline(admin.StackedInline):
    model = DunningLevel
    extra = 0
    fieldsets = (
        (None, {"fields": (("number", "days_after_due"), ("name_de", "name_en"), ("fee", "charges_flat_fee"))}),
        (
            None,
            {
                "fields": (
                    ("by_email", "by_letter", "by_sms"),
                    ("charges_interest", "disconnection_threat", "agency_handover"),
                )
            },
        ),
        (None, {"fields": ("text_de", "text_en")}),
    )


@admin.register(DunningProcedure)
class DunningProcedureAdmin(admin.ModelAdmin):
    list_display = ("name", "customer_type", "utility", "minimum_amount", "flat_fee", "interest_points", "active")
    list_filter = ("customer_type", "utility", "active")
    inlines = [DunningLevelInline]
    fieldsets = (
        (None, {"fields": ("name", ("customer_type", "utility"), "active")}),
        (None, {"fields": (("minimum_amount", "days_between_notices", "payment_days"), "debit_attempts")}),
        (None, {"fields": (("interest_points", "interest_after_days"), "flat_fee")}),
        (
            None,
            {
                "fields": (
                    ("plan_months_min", "plan_months_max"),
                    ("plan_high_threshold", "plan_high_months_min", "plan_high_months_max"),
                    ("plan_grace_days", "plan_first_due_days"),
                )
            },
        ),
        (
            None,
            {
                "fields": (
                    "disconnection_minimum",
                    ("disconnection_weeks_after_threat", "disconnection_notice_working_days"),
                )
            },
        ),
    )


@admin.register(BaseRate)
class BaseRateAdmin(admin.ModelAdmin):
    list_display = ("valid_from", "rate")
    date_hierarchy = "valid_from"


@admin.register(DunningCase)
class DunningCaseAdmin(ReadOnlyAdmin):
    list_display = ("account", "status", "level", "opened_on", "closed_on", "skip_reason")
    list_filter = ("status", "level")
    search_fields = ("account__number",)
    list_select_related = ("account",)


@admin.register(DunningNotice)
class DunningNoticeAdmin(ReadOnlyAdmin):
    list_display = ("case", "level", "sent_on", "overdue_amount", "fee", "deadline", "disconnection_threat")
    list_filter = ("level", "disconnection_threat")
    search_fields = ("case__account__number",)
    list_select_related = ("case__account",)


@admin.register(DunningHold)
class DunningHoldAdmin(ReadOnlyAdmin):
    list_display = ("account", "invoice", "entry", "reason", "source", "until", "created_at", "released_at")
    list_filter = ("reason",)
    search_fields = ("account__number", "invoice__number", "source")
    list_select_related = ("account", "invoice", "entry")


class PlanInstalmentInline(admin.TabularInline):
    model = PlanInstalment
    extra = 0
    can_delete = False
    readonly_fields = ("number", "due_date", "amount", "reminded_on", "collected_on")


@admin.register(PaymentPlan)
class PaymentPlanAdmin(ReadOnlyAdmin):
    list_display = ("account", "status", "total", "instalment_count", "first_due", "consent", "accepted_at")
    list_filter = ("status", "consent")
    search_fields = ("account__number",)
    list_select_related = ("account",)
    exclude = ("accept_token", "entries")
    inlines = [PlanInstalmentInline]


@admin.register(DisconnectionOrder)
class DisconnectionOrderAdmin(ReadOnlyAdmin):
    list_display = ("account", "utility", "status", "arrears", "earliest_on", "planned_on", "decided_by")
    list_filter = ("status", "utility")
    search_fields = ("account__number",)
    list_select_related = ("account", "decided_by")


@admin.register(AgencyReferral)
class AgencyReferralAdmin(ReadOnlyAdmin):
    list_display = ("case", "status", "amount", "decided_by", "exported_at", "recalled_at")
    list_filter = ("status",)
    list_select_related = ("case__account", "decided_by")
