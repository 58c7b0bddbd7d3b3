"""The monthly instalment pages (included under /bills/instalment/)."""

from django.urls import path

from billing.views import budget as budget_views

app_name = "instalment"

urlpatterns = [
    path("", budget_views.instalment, name="page"),
    path("accounts/<int:account_id>/", budget_views.instalment_change, name="change"),
    path("staff/accounts/<int:account_id>/", budget_views.staff_instalment_change, name="staff_change"),
]
