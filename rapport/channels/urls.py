from django.urls import include, path

from rapport.channels import views

app_name = "channels"

urlpatterns = [
    path("inbound/", views.inbound_log, name="inbound_log"),
    path("inbound/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path("inbound/<int:delivery_id>/raw/", views.delivery_raw, name="delivery_raw"),
    path("inbound/<int:delivery_id>/reprocess/", views.delivery_reprocess, name="delivery_reprocess"),
    path("mailboxes/", views.mailboxes, name="mailboxes"),
    path("mailboxes/new/", views.mailbox_new, name="mailbox_new"),
    path("mailboxes/<int:mailbox_id>/", views.mailbox_edit, name="mailbox"),
    path("outbound/<int:outbound_id>/retry/", views.outbound_retry, name="outbound_retry"),
    path("", include("rapport.channels.phone.urls")),
    path("", include("rapport.channels.social.urls")),
    path("", include("rapport.channels.widget.urls")),
]
