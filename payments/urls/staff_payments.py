"""Back-office payment pages (included under /staff/payments/)."""

from django.urls import path

from payments.staff import payments as staff_views

app_name = "staff_payments"

urlpatterns = [
    path("customers/<int:customer_id>/", staff_views.customer_payments, name="customer"),
    path("accounts/<int:account_id>/record/", staff_views.payment_record, name="record"),
    path("accounts/<int:account_id>/refund/", staff_views.refund, name="refund"),
]
