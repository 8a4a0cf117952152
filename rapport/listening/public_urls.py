"""The customer's survey pages, reached from the invitation's links: no sign-in, the token is the key."""

from django.urls import path

from rapport.listening import public_views

app_name = "survey"

urlpatterns = [
    path("<str:token>/", public_views.answer, name="answer"),
]
