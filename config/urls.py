"""URL map of the whole project: each app brings its own urls module."""

from django.urls import include, path
from django.views.generic import RedirectView

from rapport.api.urls import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False)),
    path("accounts/", include("rapport.accounts.urls")),
    path("customers/", include("rapport.customers.urls")),
    path("commerce/", include("rapport.commerce.urls")),
    path("desk/", include("rapport.desk.urls")),
    path("channels/", include("rapport.channels.urls")),
    path("recovery/", include("rapport.recovery.urls")),
    path("webhooks/", include("rapport.webhooks.urls")),
    path("listening/", include("rapport.listening.urls")),
    path("survey/", include("rapport.listening.public_urls")),
    path("insights/", include("rapport.insights.urls")),
    path("api/v1/", api.urls),
]
