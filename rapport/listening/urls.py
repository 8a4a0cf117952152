"""Staff pages of listening; the customer's survey pages are in public_urls.py (no sign-in)."""

from rapport.listening.views import dashboard, signals, surveys

app_name = "listening"

urlpatterns = [*signals.urlpatterns, *surveys.urlpatterns, *dashboard.urlpatterns]
