"""The social channel's endpoint and pages; rapport/channels/urls.py includes them under "channels"."""

from django.urls import path

from rapport.channels import views_social
from rapport.channels.social import webhook

urlpatterns = [
    path("webhooks/social/", webhook.social_webhook, name="social_webhook"),
    path("mentions/", views_social.mentions, name="mentions"),
    path(
        "mentions/<int:mention_id>/conversation/",
        views_social.mention_to_conversation,
        name="mention_to_conversation",
    ),
]
