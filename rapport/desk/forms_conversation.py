"""Forms of the conversation page: the composer, and the header's status, priority, assignee and tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from rapport.desk.models import MessageKind, Priority, Status
from rapport.desk.services.conversations import AttachmentInput

# The buttons next to Send: reply and set the status in the same step.
SEND_THEN = [("", "Send"), (Status.PENDING, "Send + pending"), (Status.RESOLVED, "Send + resolve")]


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by FileField's own rules."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [single(item, initial) for item in items if item]


class ComposerForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(MessageKind.OUTBOUND, "Reply"), (MessageKind.NOTE, "Internal note")],
        initial=MessageKind.OUTBOUND,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label="Message",
        required=False,
        max_length=200_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "id": "composer-body", "placeholder": "Write a reply…"}),
    )
    attachments = MultipleFileField(label="Attach files", required=False)
    then_status = forms.ChoiceField(choices=SEND_THEN, required=False)
    # The newest customer message on screen when the page was drawn: a reply over a newer one asks first.
    seen_inbound_at = forms.CharField(required=False, widget=forms.HiddenInput)
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, max_attachment_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_attachment_bytes = max_attachment_bytes

    def clean_attachments(self) -> list[UploadedFile]:
        uploads: list[UploadedFile] = self.cleaned_data["attachments"]
        # Refused before a byte is read into memory; the service checks again before writing.
        too_big = [upload for upload in uploads if (upload.size or 0) > self.max_attachment_bytes]
        if too_big:
            names = ", ".join(f"{upload.name} ({human_size(upload.size or 0)})" for upload in too_big)
            raise forms.ValidationError(
                f"Too large to attach: {names}. Files may be at most "
                f"{human_size(self.max_attachment_bytes)}. Nothing was sent."
            )
        return uploads

    def clean_seen_inbound_at(self) -> datetime | None:
        raw = self.cleaned_data["seen_inbound_at"].strip()
        if not raw:
            return None
        try:
            seen = datetime.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError("Reload the page and send again.") from None
        return seen if timezone.is_aware(seen) else timezone.make_aware(seen, timezone.get_current_timezone())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == MessageKind.NOTE and cleaned.get("then_status"):
            self.add_error("then_status", "A note does not change the status; use the status control above.")
        return cleaned

    def attachment_inputs(self) -> list[AttachmentInput]:
        return [
            AttachmentInput(
                filename=upload.name or "attachment",
                content_type=upload.content_type or "application/octet-stream",
                data=upload.read(),
            )
            for upload in self.cleaned_data.get("attachments", [])
        ]

    def status_after(self) -> str | None:
        return self.cleaned_data.get("then_status") or None

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    snoozed_until = forms.DateTimeField(
        required=False,
        label="Snooze until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)


class AssignForm(forms.Form):
    """A lead's pick of anyone; an agent's "take it" or "let it go" send "me" or nothing."""

    assignee = forms.RegexField(regex=r"^(|none|me|[0-9]{1,12})$", required=False, max_length=20)

    def assignee_choice(self) -> str | int | None:
        """None to leave it unassigned, "me", or a user id."""
        raw: str = self.cleaned_data.get("assignee", "")
        if raw in ("", "none"):
            return None
        return raw if raw == "me" else int(raw)


class ConversationTagForm(forms.Form):
    name = forms.CharField(label="Tag", max_length=50)


class MergeIntoForm(forms.Form):
    target = forms.IntegerField(min_value=1, label="Merge into conversation")
