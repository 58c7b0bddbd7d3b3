from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import apikeys, departments
from core.models import (
    ApiKey,
    DepartmentDelivery,
    DepartmentDeliveryAttempt,
    DepartmentSubscription,
    NumberSequence,
    OutboxMessage,
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "to_address", "subject", "template", "language", "status", "sent_at")
    list_filter = ("channel", "status", "template", "language")
    search_fields = ("to_address", "subject", "body")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ("name", "next_value")
    readonly_fields = ("name",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("name", "prefix", "hashed_key", "scopes", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        # Keys are created with `manage.py create_api_key`, which shows the key once.
        return False

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset) -> None:
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            apikeys.api_key_revoke(key=key)
            count += 1
        self.message_user(request, ngettext("%d key revoked.", "%d keys revoked.", count) % count, messages.SUCCESS)


class DepartmentSubscriptionForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("kinds of change"), choices=departments.CHANGE_KINDS, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = DepartmentSubscription
        fields = ("name", "kinds", "recipient_type", "target", "language", "is_active")

    def clean(self):
        data = super().clean()
        target = (data.get("target") or "").strip()
        kind = data.get("recipient_type")
        if kind == DepartmentSubscription.RecipientType.EMAIL:
            try:
                EmailValidator()(target)
            except ValidationError:
                self.add_error("target", _("Enter the team's e-mail address."))
        elif kind == DepartmentSubscription.RecipientType.WEBHOOK:
            try:
                URLValidator(schemes=["https", "http"])(target)
            except ValidationError:
                self.add_error("target", _("Enter the webhook's URL (https://…)."))
        elif kind == DepartmentSubscription.RecipientType.QUEUE and not target:
            self.add_error("target", _("Enter the code of the queue."))
        data["target"] = target
        return data


@admin.register(DepartmentSubscription)
class DepartmentSubscriptionAdmin(admin.ModelAdmin):
    form = DepartmentSubscriptionForm
    list_display = ("name", "recipient_type", "target", "kinds", "is_active", "created_at")
    list_filter = ("recipient_type", "is_active")
    search_fields = ("name", "target")
    readonly_fields = ("secret", "created_at")


class DepartmentDeliveryAttemptInline(admin.TabularInline):
    model = DepartmentDeliveryAttempt
    fields = ("attempted_at", "succeeded", "response_code", "error", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("attempted_at", "id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DepartmentDelivery)
class DepartmentDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "account_number",
        "subscription",
        "status",
        "attempts",
        "response_code",
        "delivered_at",
    )
    list_filter = ("status", "kind", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("account_number", "event_id", "last_error")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in DepartmentDelivery._meta.fields]
    inlines = [DepartmentDeliveryAttemptInline]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send the selected notices again"), permissions=["change"])
    def send_again(self, request, queryset) -> None:
        count = sum(departments.delivery_send_again(delivery=delivery) for delivery in queryset)
        self.message_user(
            request,
            ngettext("%d notice queued again.", "%d notices queued again.", count) % count,
            messages.SUCCESS,
        )
