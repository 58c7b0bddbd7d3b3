"""Back-office bank pages (included under /staff/payments/bank/)."""

from django.urls import path

from payments.staff import bank as bank_views
from payments.staff import settlement as settlement_views

app_name = "bank"

urlpatterns = [
    path("", bank_views.queue, name="queue"),
    path("lines/<int:transaction_id>/", bank_views.line, name="line"),
    path("statements/", bank_views.statements, name="statements"),
    path("sepa/", bank_views.batches, name="sepa_batches"),
    path("sepa/<int:batch_id>/", bank_views.batch, name="sepa_batch"),
    path("sepa/<int:batch_id>/download/", bank_views.batch_download, name="sepa_download"),
    path("sepa/<int:batch_id>/confirm/", bank_views.batch_confirm, name="sepa_confirm"),
    path("settlements/", settlement_views.settlements, name="settlements"),
    path("refunds/<int:batch_id>/download/", settlement_views.refund_file_download, name="refund_download"),
    path("refunds/<int:batch_id>/sent/", settlement_views.refund_file_sent, name="refund_sent"),
]
