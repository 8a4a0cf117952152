"""Forms of the conversation page: the composer, the header controls and the details card."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from rapport.core.errors import RapportError
from rapport.desk.models import Conversation, CustomField, CustomFieldKind, MessageKind, Priority, Status
from rapport.desk.services.conversations import MAX_SUBJECT, AttachmentInput

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


# Which field of the details form a refusal from update_details belongs next to.
DETAIL_ERROR_FIELDS = {
    "subject_too_long": "subject",
    "invalid_email": "participants",
    "too_many_participants": "participants",
    "order_not_found": "orders",
}
PARTICIPANT_SEPARATORS = re.compile(r"[,;\r\n]+")


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def _stored_text(value: Any) -> str:
    return "" if value is None else str(value)


class OrderIdsField(forms.Field):
    """The ticked orders' ids; whether they are this customer's is the service's rule, not the form's."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        try:
            return [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError("Choose orders from the list.") from None


class DetailsForm(forms.Form):
    """Subject, people in copy, linked orders and the admin's custom fields of one conversation.

    The form only parses what was posted; the rules (a valid address, the customer's own orders, a
    number where a number is asked for) are update_details's, and its refusals land on these fields.
    """

    subject = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"maxlength": MAX_SUBJECT, "autocomplete": "off"})
    )
    participants = forms.CharField(
        label="People in copy",
        required=False,
        max_length=20_000,
        help_text="One email address per line, or separated by commas.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    orders = OrderIdsField(label="Linked orders", required=False)
    # Set when the order checkboxes were on the form: then none ticked means "unlink them all".
    orders_listed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        conversation: Conversation,
        custom_fields: Sequence[CustomField],
        linked_order_ids: Sequence[int],
        **kwargs: Any,
    ) -> None:
        initial: dict[str, Any] = {
            "subject": conversation.subject,
            "participants": "\n".join(conversation.participants),
            "orders": list(linked_order_ids),
            "orders_listed": True,
        }
        current = {
            self.field_name(field): _stored_text(conversation.custom_fields.get(field.key))
            for field in custom_fields
        }
        initial.update(current)
        kwargs.setdefault("auto_id", "details-%s")
        super().__init__(data, initial=initial, **kwargs)
        self.conversation = conversation
        self.custom_fields = list(custom_fields)
        for field in self.custom_fields:
            self.fields[self.field_name(field)] = self._form_field(field, current[self.field_name(field)])

    @staticmethod
    def field_name(field: CustomField) -> str:
        return f"cf_{field.key}"

    @staticmethod
    def _form_field(field: CustomField, current: str) -> forms.Field:
        # Plain text fields of every kind: the service checks the value and says what is wrong.
        widget: forms.Widget
        if field.kind == CustomFieldKind.NUMBER:
            widget = forms.NumberInput(attrs={"step": "any"})
        elif field.kind == CustomFieldKind.DATE:
            widget = forms.DateInput(attrs={"type": "date"})
        elif field.kind == CustomFieldKind.CHOICE:
            options = [("", "—"), *((str(choice), str(choice)) for choice in field.choices)]
            if current and current not in field.choices:
                # A choice the admin has since removed stays selectable, so saving keeps it.
                options.append((current, f"{current} (no longer offered)"))
            widget = forms.Select(choices=options)
        else:
            widget = forms.TextInput(attrs={"maxlength": 1000})
        return forms.CharField(label=field.label, required=False, max_length=20_000, widget=widget)

    def custom_field_rows(self) -> list[tuple[CustomField, forms.BoundField]]:
        return [(field, self[self.field_name(field)]) for field in self.custom_fields]

    def selected_order_ids(self) -> set[int]:
        """The ticked orders: as posted (valid or not), else the linked ones."""
        if not self.is_bound:
            return set(self.initial["orders"])
        posted = self.fields["orders"].widget.value_from_datadict(
            self.data, self.files, self.add_prefix("orders")
        )
        return {int(v) for v in posted or [] if str(v).isdigit()}

    def participant_list(self) -> list[str]:
        raw: str = self.cleaned_data.get("participants", "")
        return [part.strip() for part in PARTICIPANT_SEPARATORS.split(raw) if part.strip()]

    def changed_custom_fields(self) -> dict[str, str]:
        """Only the fields posted with a new value: saving the form untouched records no change."""
        changed: dict[str, str] = {}
        for field in self.custom_fields:
            name = self.field_name(field)
            if self.add_prefix(name) not in self.data:
                continue
            value = self.cleaned_data.get(name, "").strip()
            if value != _stored_text(self.conversation.custom_fields.get(field.key)):
                changed[field.key] = value
        return changed

    def service_arguments(self, *, with_orders: bool) -> dict[str, Any]:
        """The keyword arguments for update_details; a part absent from the post is left unchanged."""
        data = self.cleaned_data
        arguments: dict[str, Any] = {"custom_fields": self.changed_custom_fields()}
        if self.add_prefix("subject") in self.data:
            arguments["subject"] = data["subject"]
        if self.add_prefix("participants") in self.data:
            arguments["participants"] = self.participant_list()
        if with_orders and data["orders_listed"]:
            arguments["order_ids"] = data["orders"]
        return arguments

    def add_service_error(self, error: RapportError) -> None:
        """A refusal from update_details, shown next to the field it is about."""
        if error.code == "invalid_custom_fields":
            by_key = {field.key: field for field in self.custom_fields}
            for key, problem in error.errors.items():
                field = by_key.get(key)
                if field is None:
                    # Switched off by an admin since the page was drawn.
                    self.add_error(None, _sentence(f"{key}: {problem}"))
                else:
                    self.add_error(self.field_name(field), _sentence(problem))
            return
        self.add_error(DETAIL_ERROR_FIELDS.get(error.code), _sentence(error.detail))
