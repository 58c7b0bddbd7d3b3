"""The customer's tickets (included under /service/)."""

from django.urls import path

from support.views import tickets as ticket_views

app_name = "support"

urlpatterns = [
    path("tickets/", ticket_views.ticket_list, name="ticket_list"),
    path("tickets/new/", ticket_views.ticket_new, name="ticket_new"),
    path("tickets/<str:reference>/", ticket_views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:reference>/rate/", ticket_views.ticket_rate_view, name="ticket_rate"),
    path(
        "tickets/<str:reference>/files/<int:attachment_id>/",
        ticket_views.attachment_download,
        name="ticket_attachment",
    ),
]
