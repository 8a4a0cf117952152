"""The admin's widget form: parses only; save_widget decides what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.accounts.models import Team
from rapport.channels.models import Widget
from rapport.desk.models import BusinessCalendar


class WidgetForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Shown at the top of the widget, e.g. “Shop help”.")
    allowed_origins = forms.CharField(
        required=False,
        label="Sites that may show it",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "https://www.example.com\nhttps://shop.example.com"}
        ),
        help_text=(
            "One origin a line: scheme, host and port if not the usual one. Nowhere else may use the widget."
        ),
    )
    phone_number = forms.CharField(
        required=False, max_length=40, help_text="Shown in plain sight; blank: no number is shown."
    )
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label="Around the clock",
        label="Opening hours",
        help_text="Shown in the widget, with “open now”; call-back times are offered within them.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="No team (routing decides)",
        help_text="Chats, messages and call-backs from this widget go to this team.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    new_secret = forms.BooleanField(
        required=False,
        label="Make a new identity secret",
        help_text="Tokens signed with the old secret stop working at once.",
    )

    @classmethod
    def initial_for(cls, widget: Widget) -> dict[str, Any]:
        return {
            "name": widget.name,
            "allowed_origins": "\n".join(widget.allowed_origins),
            "phone_number": widget.phone_number,
            "calendar": widget.calendar_id,
            "team": widget.team_id,
            "is_active": widget.is_active,
        }

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "allowed_origins": data["allowed_origins"].splitlines(),
            "phone_number": data["phone_number"],
            "calendar": data["calendar"],
            "team": data["team"],
            "is_active": data["is_active"],
        }
