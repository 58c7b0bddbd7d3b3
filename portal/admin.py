"""Admin actions that reach across apps: erasing a closed customer."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin import CustomerAdmin
from accounts.models import Customer
from core import clock
from portal.privacy.erasure import ErasureRefused, customer_erase, erasure_check


class PortalCustomerAdmin(CustomerAdmin):
    list_display = (*CustomerAdmin.list_display, "erased_at")
    list_filter = (*CustomerAdmin.list_filter, ("erased_at", admin.EmptyFieldListFilter))
    readonly_fields = (*CustomerAdmin.readonly_fields, "erased_at")
    actions = ["erase_personal_data"]

    @admin.action(
        description=gettext_lazy("Erase personal data of the selected closed customers"), permissions=["delete"]
    )
    def erase_personal_data(self, request, queryset):
        customers = list(queryset.prefetch_related("accounts").order_by("pk"))
        refused = []
        for customer in customers:
            try:
                erasure_check(customer=customer)
            except ErasureRefused as error:
                refused.append(str(error))
        if refused:
            for reason in refused:
                self.message_user(request, reason, messages.ERROR)
            self.message_user(request, _("Nothing was erased."), messages.WARNING)
            return None
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/portal/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Erase personal data?"),
                    "customers": customers,
                    "opts": self.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "action": "erase_personal_data",
                },
            )
        done = 0
        for customer in customers:
            try:
                customer_erase(customer=customer, by=request.user, as_of=clock.now())
            except ErasureRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            _("Personal data of %(count)d customers erased; invoices and bookings are kept for the retention period.")
            % {"count": done},
            messages.SUCCESS,
        )
        return None


admin.site.unregister(Customer)
admin.site.register(Customer, PortalCustomerAdmin)
