"""Forms of the webhook pages: they parse what admins type; services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.webhooks.catalogue import event_types
from rapport.webhooks.models import Endpoint
from rapport.webhooks.services.endpoints import EndpointInput


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=2000,
        label="URL",
        help_text="Where the store receives events, e.g. https://shop.example.com/hooks/rapport. "
        "Redirects are not followed; addresses inside your network need an admin allow-list entry.",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="What receives these events, e.g. Shopify refunds app."
    )
    event_types = forms.MultipleChoiceField(
        required=False,
        label="Events to send",
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: nothing is sent (a test event still is).",
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="A paused endpoint keeps its deliveries pending and gets them when it is active again.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_types"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(item.name, f"{item.name} — {item.description}") for item in event_types()]

    @classmethod
    def initial_for(cls, endpoint: Endpoint) -> dict[str, Any]:
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "is_active": endpoint.is_active,
        }

    def to_input(self) -> EndpointInput:
        data = self.cleaned_data
        return EndpointInput(
            url=data["url"],
            description=data["description"],
            event_types=list(data["event_types"]),
            is_active=data["is_active"],
        )
