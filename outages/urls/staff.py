"""The back-office interruption pages (included under /staff/outages/)."""

from django.urls import path

from outages import staff

app_name = "staff_outages"

urlpatterns = [
    path("", staff.interruption_list, name="list"),
    path("new/", staff.interruption_new, name="new"),
    path("reliability/", staff.reliability_page, name="reliability"),
    path("reliability/export.csv", staff.reliability_csv, name="reliability_csv"),
    path("<int:interruption_id>/", staff.interruption_detail, name="interruption"),
    path("<int:interruption_id>/update/", staff.interruption_update_view, name="update"),
    path("<int:interruption_id>/close/", staff.interruption_close_view, name="close"),
]
