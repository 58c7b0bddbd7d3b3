"""Admin: the catalogue (products with their appointment slots) is edited
here; orders and their lines are read-only (they change through the services)."""

from django.contrib import admin

from orders.models import AppointmentSlot, Order, OrderLine, Product


class AppointmentSlotInline(admin.TabularInline):
    model = AppointmentSlot
    extra = 0
    fields = ("starts_at", "ends_at", "capacity", "active")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_de",
        "utility",
        "net_price",
        "vat_category",
        "ordered_by",
        "needs_appointment",
        "quote_only",
        "rule",
        "active",
    )
    list_filter = ("active", "utility", "ordered_by", "vat_category", "needs_appointment", "quote_only")
    search_fields = ("code", "name_de", "name_en")
    ordering = ("position", "code")
    inlines = [AppointmentSlotInline]
    fieldsets = (
        (
            None,
            {"fields": (("code", "active", "position"), ("name_de", "name_en"), ("description_de", "description_en"))},
        ),
        (None, {"fields": (("utility", "net_price", "unit", "vat_category"),)}),
        (
            None,
            {
                "fields": (
                    ("ordered_by", "quote_only", "rule"),
                    ("needs_appointment", "lead_time_days"),
                    ("cancellable", "cancel_until_hours", "late_cancellation_fee"),
                )
            },
        ),
    )


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ("position", "description", "quantity", "unit", "unit_price", "vat_rate", "net_amount")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "product", "status", "channel", "gross_total", "invoice", "created_at")
    list_filter = ("status", "channel", "product")
    search_fields = ("account__number", "invoice__number", "idempotency_key")
    list_select_related = ("account", "product", "invoice")
    inlines = [OrderLineInline]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
