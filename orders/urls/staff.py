"""The back-office order pages (included under /staff/orders/)."""

from django.urls import path

from orders import staff

app_name = "staff_orders"

urlpatterns = [
    path("", staff.order_queue, name="queue"),
    path("<int:order_id>/", staff.order_detail, name="order"),
    path("<int:order_id>/schedule/", staff.order_schedule_view, name="schedule"),
    path("<int:order_id>/complete/", staff.order_complete_view, name="complete"),
    path("<int:order_id>/cancel/", staff.order_cancel_view, name="cancel"),
    path("customers/<int:customer_id>/new/", staff.catalogue_page, name="catalogue"),
    path("customers/<int:customer_id>/new/<str:code>/", staff.order_new, name="new"),
]
