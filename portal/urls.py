from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as account_views
from portal import staff, views
from portal.api import api

# The admin signs in through allauth, so two-factor applies there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = settings.COMPANY_NAME
admin.site.site_title = settings.COMPANY_NAME

staff_patterns = [
    path("", staff.search, name="search"),
    path("customers/<int:customer_id>/", staff.customer_detail, name="customer"),
    path("onboarding/", staff.StaffOnboardingWizard.as_view(), name="onboarding"),
    path("onboarding/<slug:step>/", staff.StaffOnboardingWizard.as_view(), name="onboarding_step"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("onboarding/", account_views.CustomerOnboardingWizard.as_view(), name="onboarding"),
    path("onboarding/done/", account_views.onboarding_done, name="onboarding_done"),
    path("onboarding/iban-check/", account_views.iban_check, name="iban_check"),
    path("onboarding/<slug:step>/", account_views.CustomerOnboardingWizard.as_view(), name="onboarding_step"),
    path("staff/", include((staff_patterns, "staff"))),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
