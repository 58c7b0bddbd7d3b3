"""The customer's arrears pages (included under /arrears/)."""

from django.urls import path

from arrears.views import overview, plans

app_name = "arrears"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("pay/", overview.pay, name="pay"),
    path("notices/<int:notice_id>.pdf", overview.notice_pdf, name="notice_pdf"),
    path("plan/new/", plans.plan_new, name="plan_new"),
    path("plan/<int:plan_id>/", plans.plan_detail, name="plan"),
    path("plan/<int:plan_id>/agreement.pdf", plans.plan_pdf, name="plan_pdf"),
    path("plan/accept/<str:token>/", plans.plan_accept_link, name="plan_accept_link"),
]
