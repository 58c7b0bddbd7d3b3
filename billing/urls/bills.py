"""The customer's bills pages (included under /bills/)."""

from django.urls import path

from billing.views import bills as bill_views

app_name = "bills"

urlpatterns = [
    path("", bill_views.bills, name="list"),
    path("<int:invoice_id>/", bill_views.bill, name="bill"),
    path("<int:invoice_id>/pdf/", bill_views.bill_pdf, name="pdf"),
    path("statement/", bill_views.statement, name="statement"),
    path("statement/csv/", bill_views.statement_download, name="statement_csv"),
    path("preferences/", bill_views.preferences, name="preferences"),
]
