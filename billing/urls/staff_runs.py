"""The back-office's bill run pages (included under /staff/bill-runs/)."""

from django.urls import path

from billing.staff import runs as run_views

app_name = "bill_runs"

urlpatterns = [
    path("", run_views.run_list, name="list"),
    path("start/", run_views.run_start, name="start"),
    path("<int:run_id>/", run_views.run_detail, name="run"),
    path("<int:run_id>/stop/", run_views.run_stop, name="stop"),
    path("<int:run_id>/resume/", run_views.run_resume, name="resume"),
    path("<int:run_id>/<slug:kind>/", run_views.run_item_list, name="items"),
]
