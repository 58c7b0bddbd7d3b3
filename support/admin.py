"""Admin for the help centre, queues, SLA rules, business hours, support
settings and canned replies. Tickets are worked in the back-office; the admin
shows them read-only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from support.models import (
    AssistantConversation,
    BusinessHours,
    CannedReply,
    FaqArticle,
    FaqCategory,
    Queue,
    SlaRule,
    SupportSettings,
    Ticket,
    TicketMessage,
)


@admin.register(FaqCategory)
class FaqCategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_de", "name_en", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(FaqArticle)
class FaqArticleAdmin(SimpleHistoryAdmin):
    list_display = ["slug", "title_de", "title_en", "category", "is_published", "updated_at"]
    list_filter = ["category", "is_published"]
    search_fields = ["slug", "title_de", "title_en", "keywords_de", "keywords_en"]
    prepopulated_fields = {"slug": ["title_en"]}


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["code", "name_de", "name_en", "topics", "position"]
    filter_horizontal = ["members"]


@admin.register(SlaRule)
class SlaRuleAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "first_response_business_hours", "resolution_business_hours", "is_active"]
    list_filter = ["is_active", "kind", "priority"]


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["weekday", "opens", "closes"]


@admin.register(SupportSettings)
class SupportSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "support_email", "holiday_state", "complaint_deadline_days"]

    def has_add_permission(self, request) -> bool:
        return not SupportSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "body_de", "body_en"]


class TicketMessageInline(admin.TabularInline):
    model = TicketMessage
    fields = ["created_at", "author_kind", "author", "body"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["reference", "subject", "kind", "status", "priority", "queue", "customer", "created_at"]
    list_filter = ["status", "kind", "channel", "queue", "priority"]
    search_fields = ["reference", "subject", "sender_email", "customer__last_name", "customer__company_name"]
    list_select_related = ["queue", "customer"]
    inlines = [TicketMessageInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AssistantConversation)
class AssistantConversationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "customer", "intent", "topic", "answered_with", "solved"]
    list_filter = ["answered_with", "solved", "topic"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "ticket"]
    filter_horizontal = ["faq_articles"]
    date_hierarchy = "created_at"
