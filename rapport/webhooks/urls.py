from django.urls import path

from rapport.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("new/", views.endpoint_new, name="endpoint_new"),
    path("<int:endpoint_id>/", views.endpoint_edit, name="endpoint"),
    path("<int:endpoint_id>/rotate-secret/", views.endpoint_rotate_secret, name="endpoint_rotate_secret"),
    path("<int:endpoint_id>/test/", views.endpoint_test, name="endpoint_test"),
    path("<int:endpoint_id>/deliveries/", views.delivery_log, name="delivery_log"),
    path("deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
