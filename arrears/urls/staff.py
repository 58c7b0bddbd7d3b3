"""The back-office pages of arrears (included under /staff/arrears/)."""

from django.urls import path

from arrears.staff import accounts, worklists

app_name = "staff_arrears"

urlpatterns = [
    path("", worklists.worklist, name="worklist"),
    path("aging/", worklists.aging_report, name="aging"),
    path("disconnections/", worklists.disconnections, name="disconnections"),
    path("disconnections/<int:order_id>/", worklists.disconnection, name="disconnection"),
    path("agency/", worklists.agency, name="agency"),
    path("agency/export/", worklists.agency_download, name="agency_export"),
    path("agency/<int:referral_id>/decide/", worklists.referral_decision, name="referral_decide"),
    path("agency/<int:referral_id>/recall/", worklists.referral_recall_view, name="referral_recall"),
    path("holds/", accounts.holds, name="holds"),
    path("holds/<int:hold_id>/release/", accounts.hold_release, name="hold_release"),
    path("accounts/<int:account_id>/hold/new/", accounts.hold_new, name="hold_new"),
    path("accounts/<int:account_id>/plan/new/", accounts.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", accounts.plan_page, name="plan"),
    path("plans/<int:plan_id>/send/", accounts.plan_send_link, name="plan_send_link"),
    path("plans/<int:plan_id>/consent/", accounts.plan_consent, name="plan_consent"),
    path("plans/<int:plan_id>/agreement.pdf", accounts.plan_agreement, name="plan_agreement"),
    path("notices/<int:notice_id>.pdf", accounts.notice_letter, name="notice_letter"),
]
