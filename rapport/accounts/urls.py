from django.contrib.auth import views as auth_views
from django.urls import path

from rapport.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("audit/", views.audit_log, name="audit_log"),
    path("staff/", views.staff, name="staff"),
    path("staff/<int:user_id>/", views.edit_staff, name="edit_staff"),
]
