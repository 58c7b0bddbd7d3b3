"""The back-office pages of arrears (included under /staff/arrears/)."""

from django.urls import path

from arrears import staff

app_name = "staff_arrears"

urlpatterns = [
    path("", staff.worklist, name="worklist"),
]
