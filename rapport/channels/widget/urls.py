"""The widget's URLs; rapport/channels/urls.py includes them under the "channels" namespace."""

from django.urls import path

from rapport.channels.widget import views, views_admin

urlpatterns = [
    path("widgets/", views_admin.widget_list, name="widget_list"),
    path("widgets/new/", views_admin.widget_new, name="widget_new"),
    path("widgets/<int:widget_id>/", views_admin.widget_edit, name="widget_edit"),
    path("widget/<slug:key>.js", views.widget_script, name="widget_script"),
    path("widget/<slug:key>/config/", views.widget_config, name="widget_config"),
    path("widget/<slug:key>/session/", views.widget_session, name="widget_session"),
    path("widget/<slug:key>/contact/", views.widget_contact, name="widget_contact"),
    path("widget/<slug:key>/chat/start/", views.widget_chat_start, name="widget_chat_start"),
    path("widget/<slug:key>/chat/send/", views.widget_chat_send, name="widget_chat_send"),
    path("widget/<slug:key>/chat/poll/", views.widget_chat_poll, name="widget_chat_poll"),
    path("widget/<slug:key>/chat/typing/", views.widget_chat_typing, name="widget_chat_typing"),
    path("widget/<slug:key>/callback/", views.widget_callback, name="widget_callback"),
]
