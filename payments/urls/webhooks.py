"""Payment providers' webhooks (included under /webhooks/): POST /webhooks/stripe."""

from django.urls import path

from payments import views

app_name = "webhooks"

urlpatterns = [
    path("stripe", views.webhook, {"provider": "stripe"}, name="stripe"),
]
