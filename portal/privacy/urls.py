from django.urls import path

from portal.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.my_data, name="my_data"),
    path("data.json", views.my_data_json, name="json"),
    path("data.pdf", views.my_data_pdf, name="pdf"),
]
