"""Admin for payment providers' settings, and read-only views of the money
records: payments, checkouts, refunds, webhook events, SEPA files and bank
statements change only through their services (the back-office pages)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from payments.models import (
    BankStatement,
    BankTransaction,
    CheckoutSession,
    Payment,
    ProviderEvent,
    ProviderSettings,
    Refund,
    SepaBatch,
    SepaCollection,
)
from payments.providers import provider_classes


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for looking up, never changed by hand: the services keep the ledger in step."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProviderSettingsForm(forms.ModelForm):
    """The settings are checked by the provider's own settings form."""

    provider = forms.ChoiceField(choices=())

    class Meta:
        model = ProviderSettings
        fields = ["provider", "enabled", "display_name", "settings"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [
            (identifier, provider_class.verbose_name) for identifier, provider_class in provider_classes().items()
        ]

    def clean(self):
        data = super().clean()
        provider_class = provider_classes().get(data.get("provider", ""))
        values = data.get("settings")
        if provider_class is None or values is None:
            return data
        if not isinstance(values, dict):
            self.add_error("settings", gettext("Write the settings as a JSON object."))
            return data
        as_text = {key: ", ".join(value) if isinstance(value, list) else value for key, value in values.items()}
        form = provider_class.settings_form(data=as_text)
        unknown = sorted(set(values) - set(form.fields))
        if unknown:
            self.add_error("settings", gettext("Unknown settings: %(names)s.") % {"names": ", ".join(unknown)})
        elif not form.is_valid():
            for field, errors in form.errors.items():
                self.add_error("settings", f"{field}: {' '.join(errors)}")
        else:
            data["settings"] = {key: value for key, value in form.cleaned_data.items() if value not in ("", [], None)}
        return data


@admin.register(ProviderSettings)
class ProviderSettingsAdmin(SimpleHistoryAdmin):
    form = ProviderSettingsForm
    list_display = ("provider", "display_name", "enabled", "updated_at")
    list_filter = ("enabled",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "received_on", "amount", "method", "status", "provider", "provider_ref")
    list_filter = ("status", "method", "source", "provider")
    search_fields = ("account__number", "provider_ref", "reference", "payer_name")
    list_select_related = ("account",)
    date_hierarchy = "received_on"


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "amount", "provider", "status", "created_at", "completed_at")
    list_filter = ("status", "provider")
    search_fields = ("account__number", "provider_session_id", "provider_payment_ref")
    list_select_related = ("account",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "amount", "method", "status", "provider_ref", "created_at")
    list_filter = ("status", "method")
    search_fields = ("account__number", "provider_ref")
    list_select_related = ("account",)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "type", "event_id", "processed_at", "result")
    list_filter = ("provider", "type")
    search_fields = ("event_id",)


@admin.register(SepaBatch)
class SepaBatchAdmin(ReadOnlyAdmin):
    list_display = ("collection_date", "message_id", "count", "total", "status", "created_at")
    list_filter = ("status",)


@admin.register(SepaCollection)
class SepaCollectionAdmin(ReadOnlyAdmin):
    list_display = ("account", "collection_date", "amount", "status", "end_to_end_id")
    list_filter = ("status",)
    search_fields = ("account__number", "end_to_end_id")
    list_select_related = ("account",)


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "statement_id", "account_iban", "original_name")


@admin.register(BankTransaction)
class BankTransactionAdmin(ReadOnlyAdmin):
    list_display = ("booking_date", "amount", "counterparty_name", "status", "matched_account")
    list_filter = ("status", "is_return")
    search_fields = ("remittance", "counterparty_name", "entry_ref", "end_to_end_id")
    list_select_related = ("matched_account",)
