"""The agents' bills pages (included under /staff/bills/)."""

from django.urls import path

from billing.staff import bills as bill_staff_views
from billing.staff import final_bills as final_bill_views

app_name = "staff_bills"

urlpatterns = [
    path("held/", bill_staff_views.held, name="held"),
    path("held/<int:invoice_id>/", bill_staff_views.held_decide, name="held_decide"),
    path("final/", final_bill_views.final_bills, name="final_bills"),
    path("<int:invoice_id>/", bill_staff_views.bill, name="bill"),
    path("<int:invoice_id>/pdf/", bill_staff_views.bill_pdf, name="pdf"),
    path("<int:invoice_id>/cancel/", bill_staff_views.cancel, name="cancel"),
    path("accounts/<int:account_id>/preferences/", bill_staff_views.account_preferences, name="preferences"),
    path("accounts/<int:account_id>/statement/csv/", bill_staff_views.statement_download, name="statement_csv"),
    path("export/", bill_staff_views.export, name="export"),
]
