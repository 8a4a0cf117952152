from django.urls import path

from rapport.commerce import views

app_name = "commerce"

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:job_id>/", views.import_detail, name="import_detail"),
]
