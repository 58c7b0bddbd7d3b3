from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Account, BillingPreferences, Customer, SepaMandate


class AccountInline(admin.TabularInline):
    model = Account
    extra = 0
    fields = ("number", "status", "street", "house_number", "postcode", "city", "payment_method")
    readonly_fields = ("number",)
    show_change_link = True


class SepaMandateInline(admin.TabularInline):
    model = SepaMandate
    extra = 0
    fields = ("reference", "account_holder", "iban", "bic", "signed_date", "status")
    readonly_fields = ("reference",)
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ("display_name", "customer_type", "email", "phone", "language", "external_ref", "created_at")
    list_filter = ("customer_type", "language", "created_at")
    search_fields = (
        "first_name",
        "last_name",
        "company_name",
        "email",
        "external_ref",
        "accounts__number",
        "accounts__postcode",
    )
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    inlines = [AccountInline]
    history_list_display = ("email", "phone", "language")


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin):
    list_display = ("number", "customer", "status", "postcode", "city", "payment_method", "created_at")
    list_filter = ("status", "payment_method", "country")
    search_fields = ("number", "customer__last_name", "customer__company_name", "customer__email", "postcode", "city")
    list_select_related = ("customer",)
    readonly_fields = ("number", "created_at")
    raw_id_fields = ("customer",)
    inlines = [SepaMandateInline]
    history_list_display = ("status", "payment_method", "postcode")


@admin.register(SepaMandate)
class SepaMandateAdmin(SimpleHistoryAdmin):
    list_display = ("reference", "account", "account_holder", "bank_name", "signed_date", "status")
    list_filter = ("status", "signed_date")
    search_fields = ("reference", "account__number", "account_holder", "iban")
    list_select_related = ("account",)
    readonly_fields = ("reference", "creditor_id", "created_at")
    raw_id_fields = ("account",)
    history_list_display = ("status", "iban")


@admin.register(BillingPreferences)
class BillingPreferencesAdmin(SimpleHistoryAdmin):
    list_display = ("account", "frequency", "budget_billing")
    list_filter = ("frequency", "budget_billing")
    search_fields = ("account__number", "account__customer__last_name", "account__customer__company_name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    history_list_display = ("frequency", "budget_billing")
