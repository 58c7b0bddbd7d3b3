"""The customer's supply set-up pages (included under /supply/)."""

from django.urls import path

from supply import moving, views

app_name = "supply"

urlpatterns = [
    path("new/", views.supply_setup, name="setup"),
    path("new/estimate/", views.supply_estimate, name="estimate"),
    path("new/check/", views.supply_check, name="check"),
    path("requested/", views.supply_requested, name="requested"),
    path("move/", moving.move, name="move"),
    path("move/check/", moving.move_check_page, name="move_check"),
]
