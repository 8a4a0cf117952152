"""The form staff use to open a conversation by hand, e.g. to log a phone call."""

from __future__ import annotations

from django import forms

from rapport.desk.models import Channel, MessageKind, Priority


class NewConversationForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    subject = forms.CharField(max_length=300, required=False)
    first_message = forms.ChoiceField(
        label="What happened",
        choices=[
            (MessageKind.INBOUND, "The customer told us (log their words)"),
            (MessageKind.OUTBOUND, "We contacted the customer"),
            (MessageKind.NOTE, "Internal note only"),
        ],
        initial=MessageKind.INBOUND,
    )
    body = forms.CharField(label="Message", max_length=200_000, widget=forms.Textarea(attrs={"rows": 6}))
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    tags = forms.CharField(max_length=500, required=False, help_text="Comma-separated")

    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data.get("tags", "").split(",") if tag.strip()]
