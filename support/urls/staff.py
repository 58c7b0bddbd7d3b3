"""Back-office tickets (included under /staff/tickets/)."""

from django.urls import path

from support import staff as staff_views

app_name = "support_staff"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("escalations/", staff_views.escalations, name="escalations"),
    path("reports/", staff_views.reports, name="reports"),
    path("reports.csv", staff_views.reports_csv, name="reports_csv"),
    path("phone/<int:customer_id>/", staff_views.phone_ticket, name="phone_ticket"),
    path("<str:reference>/", staff_views.ticket_detail, name="ticket"),
    path("<str:reference>/reply/", staff_views.reply, name="reply"),
    path("<str:reference>/canned/", staff_views.canned, name="canned"),
    path("<str:reference>/note/", staff_views.note, name="note"),
    path("<str:reference>/assign/", staff_views.assign, name="assign"),
    path("<str:reference>/route/", staff_views.route, name="route"),
    path("<str:reference>/status/", staff_views.status, name="status"),
    path("<str:reference>/resolve/", staff_views.resolve, name="resolve"),
    path("<str:reference>/merge/", staff_views.merge, name="merge"),
    path("<str:reference>/files/<int:attachment_id>/", staff_views.attachment, name="attachment"),
]
