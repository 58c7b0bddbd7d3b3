"""The customer's meter reads pages (included under /reads/)."""

from django.urls import path

from metering import views as read_views

app_name = "reads"

urlpatterns = [
    path("", read_views.reads, name="reads"),
    path("registers/<int:register_id>/", read_views.read_send, name="send"),
    path("supplies/<int:agreement_id>/history/", read_views.read_history, name="history"),
]
