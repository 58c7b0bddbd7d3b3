"""The customer's order pages (included under /orders/)."""

from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.catalogue_page, name="catalogue"),
    path("new/<str:code>/", views.order_new, name="new"),
    path("<int:order_id>/", views.order_detail, name="order"),
    path("<int:order_id>/confirm/", views.order_confirm_view, name="confirm"),
    path("<int:order_id>/cancel/", views.order_cancel_view, name="cancel"),
]
