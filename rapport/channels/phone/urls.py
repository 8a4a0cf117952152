"""The phone channel's endpoints; rapport/channels/urls.py includes them under the "channels" namespace."""

from django.urls import path

from rapport.channels.phone import webhook

urlpatterns = [
    path("webhooks/phone/", webhook.phone_webhook, name="phone_webhook"),
    path("webhooks/phone/twilio/", webhook.twilio_voice_status, name="twilio_voice_status"),
]
