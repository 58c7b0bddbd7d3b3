from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import apikeys
from core.models import ApiKey, NumberSequence, OutboxMessage


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
