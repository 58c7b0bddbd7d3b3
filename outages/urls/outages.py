"""The customer's "no supply" report (included under /outages/)."""

from django.urls import path

from outages import views

app_name = "outages"

urlpatterns = [
    path("report/", views.report_new, name="report_new"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
]
