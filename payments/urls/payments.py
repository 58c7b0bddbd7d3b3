"""The customer's payment pages (included under /payments/)."""

from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.history, name="history"),
    path("export.csv", views.history_export, {"kind": "csv"}, name="history_csv"),
    path("statement.pdf", views.history_export, {"kind": "pdf"}, name="history_pdf"),
    path("pay/", views.pay, name="pay"),
    path("closing-letters/<int:settlement_id>.pdf", views.closing_letter, name="closing_letter"),
    path("checkout/<int:checkout_id>/done/", views.checkout_done, name="checkout_done"),
    path("checkout/<int:checkout_id>/cancelled/", views.checkout_cancelled, name="checkout_cancelled"),
    path("sandbox/<int:checkout_id>/", views.sandbox, name="sandbox"),
]
