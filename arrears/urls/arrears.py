"""The customer's arrears pages (included under /arrears/)."""

from django.urls import path

from arrears import views

app_name = "arrears"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("pay/", views.pay, name="pay"),
    path("notices/<int:notice_id>.pdf", views.notice_pdf, name="notice_pdf"),
    path("plan/new/", views.plan_new, name="plan_new"),
    path("plan/<int:plan_id>/", views.plan_detail, name="plan"),
    path("plan/<int:plan_id>/agreement.pdf", views.plan_pdf, name="plan_pdf"),
    path("plan/accept/<str:token>/", views.plan_accept_link, name="plan_accept_link"),
]
