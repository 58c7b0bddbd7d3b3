from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language

from accounts import profile as account_profile
from accounts import staff as account_staff
from accounts import views as account_views
from metering import ending
from metering.staff import imports as staff_reads
from metering.staff import review as staff_review
from outages import views as outage_views
from portal import staff, views
from portal.api import api
from supply import moving as supply_moving
from supply import staff as staff_supply

# The admin signs in through allauth, so two-factor applies there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = settings.COMPANY_NAME
admin.site.site_title = settings.COMPANY_NAME

staff_patterns = [
    path("", staff.search, name="search"),
    path("customers/<int:customer_id>/", staff.customer_detail, name="customer"),
    path("customers/<int:customer_id>/supply/new/", staff_supply.supply_setup, name="supply_setup"),
    path("customers/<int:customer_id>/supply/new/check/", staff_supply.supply_check, name="supply_check"),
    path("customers/<int:customer_id>/supply/new/estimate/", staff_supply.supply_estimate, name="supply_estimate"),
    path("customers/<int:customer_id>/supply/move/", supply_moving.staff_move, name="supply_move"),
    path("customers/<int:customer_id>/supply/move/check/", supply_moving.staff_move_check, name="supply_move_check"),
    path("customers/<int:customer_id>/supply/end/", ending.staff_end_supply, name="end_supply"),
    path("customers/<int:customer_id>/supply/end/check/", ending.staff_end_supply_check, name="end_supply_check"),
    path("customers/<int:customer_id>/edit/", account_staff.customer_edit, name="customer_edit"),
    path("accounts/<int:account_id>/representatives/new/", account_staff.representative_new, name="representative_new"),
    path("representatives/<int:representative_id>/end/", account_staff.representative_stop, name="representative_end"),
    path("changes/pending/", account_staff.pending_list, name="pending_changes"),
    path("changes/pending/<int:pending_id>/decide/", account_staff.pending_decide, name="pending_change_decide"),
    path("onboarding/", staff.StaffOnboardingWizard.as_view(), name="onboarding"),
    path("onboarding/<slug:step>/", staff.StaffOnboardingWizard.as_view(), name="onboarding_step"),
    path("setups/", staff_supply.setup_queue, name="setups"),
    path("setups/<int:agreement_id>/confirm/", staff_supply.setup_confirm, name="setup_confirm"),
    path("setups/<int:agreement_id>/correct/", staff_supply.setup_correct, name="setup_correct"),
    path("setups/<int:agreement_id>/reject/", staff_supply.setup_reject, name="setup_reject"),
    path("reads/review/", staff_review.queue, name="read_review"),
    path("reads/<int:read_id>/", staff_review.read_page, name="read"),
    path("reads/<int:read_id>/accept/", staff_review.accept, name="read_accept"),
    path("reads/<int:read_id>/reject/", staff_review.reject, name="read_reject"),
    path("reads/<int:read_id>/correct/", staff_review.correct, name="read_correct"),
    path("reads/<int:read_id>/photo/", staff_review.read_photo, name="read_photo"),
    path("reads/supplies/<int:agreement_id>/", staff_review.read_history, name="read_history"),
    path("reads/import/", staff_reads.read_import, name="read_import"),
    path("reads/import/<int:job_id>/", staff_reads.read_import_job, name="read_import_job"),
    path("reads/import/<int:job_id>/report/", staff_reads.read_import_report, name="read_import_report"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("onboarding/", account_views.CustomerOnboardingWizard.as_view(), name="onboarding"),
    path("onboarding/done/", account_views.onboarding_done, name="onboarding_done"),
    path("onboarding/iban-check/", account_views.iban_check, name="iban_check"),
    path("onboarding/<slug:step>/", account_views.CustomerOnboardingWizard.as_view(), name="onboarding_step"),
    path("supply/end/", ending.end_supply, name="end_supply"),
    path("supply/end/check/", ending.end_supply_check, name="end_supply_check"),
    path("profile/", account_profile.profile, name="profile"),
    path("profile/email/", account_profile.email_change, name="profile_email"),
    path("profile/bank/", account_profile.bank_change, name="profile_bank"),
    path("supply/end/<int:agreement_id>/final-read/", ending.end_supply_final_read, name="end_supply_final_read"),
    path("supply/", include("supply.urls")),
    path("reads/", include("metering.urls")),
    path("payments/", include("payments.urls.payments")),
    path("staff/payments/", include("payments.urls.staff_payments")),
    path("staff/payments/bank/", include("payments.urls.staff_bank")),
    path("webhooks/", include("payments.urls.webhooks")),
    path("bills/instalment/", include("billing.urls.budget")),
    path("staff/bill-runs/", include("billing.urls.staff_runs")),
    path("bills/", include("billing.urls.bills")),
    path("staff/bills/", include("billing.urls.staff_bills")),
    path("arrears/", include("arrears.urls.arrears")),
    path("my-data/", include("portal.privacy.urls")),
    path("staff/arrears/", include("arrears.urls.staff")),
    path("orders/", include("orders.urls.orders")),
    path("staff/orders/", include("orders.urls.staff")),
    path("status/", outage_views.status_page, name="status"),
    path("outages/", include("outages.urls.outages")),
    path("staff/outages/", include("outages.urls.staff")),
    path("service/", include("support.urls.tickets")),
    path("help/", include("support.urls.help")),
    path("staff/tickets/", include("support.urls.staff")),
    path("staff/", include((staff_patterns, "staff"))),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    *(
        re_path(rf"^admin/(?P<app>{app})/(?P<model>{model})/(?P<rest>.*)$", views.admin_moved)
        for app, model in views.ADMIN_MOVED
    ),
    path("admin/", admin.site.urls),
]
