"""Staff pages of insights: dashboards of the service and of relationships."""

from rapport.insights.views import customers, relationships, service

app_name = "insights"

urlpatterns = [*service.urlpatterns, *customers.urlpatterns, *relationships.urlpatterns]
