"""Staff pages of insights: dashboards of the service and of relationships."""

from rapport.insights.views import service

app_name = "insights"

urlpatterns = [*service.urlpatterns]
