"""Forms for the desk pages: inbox filters, bulk actions, presence and saved views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from rapport.desk.models import Channel, Priority, Status
from rapport.desk.selectors.inbox import MAX_QUERY, VIEWS, Cursor, InboxFilters
from rapport.desk.services.bulk import MAX_BULK

# A person sets these by hand from the inbox; snoozing needs a time, and new is where work starts.
BULK_STATUSES = [(s.value, s.label) for s in (Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED)]
SLA_CHOICES = [("ok", "On track"), ("near", "Near breach"), ("breached", "Breached"), ("paused", "Paused")]


class InboxFilterForm(forms.Form):
    """The inbox's query string: a view, filters, a search and a page cursor. Bad values are dropped."""

    view = forms.ChoiceField(choices=[(v, v) for v in VIEWS], required=False)
    status = forms.MultipleChoiceField(choices=Status.choices, required=False)
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False)
    tag = forms.CharField(max_length=50, required=False)
    channel = forms.ChoiceField(choices=[("", "any"), *Channel.choices], required=False)
    # "", "none" (nobody) or a member of staff's id.
    assignee = forms.CharField(max_length=20, required=False)
    team = forms.IntegerField(min_value=1, required=False)
    sla = forms.ChoiceField(choices=[("", "any"), *SLA_CHOICES], required=False)
    created_from = forms.DateField(required=False)
    created_to = forms.DateField(required=False)
    q = forms.CharField(max_length=MAX_QUERY, required=False, strip=True)
    saved = forms.IntegerField(min_value=1, required=False)
    before = forms.CharField(max_length=64, required=False)
    before_id = forms.IntegerField(min_value=1, required=False)

    def clean_assignee(self) -> str:
        value: str = self.cleaned_data.get("assignee") or ""
        if value in ("", "none") or value.isdigit():
            return value
        raise forms.ValidationError("Choose a member of staff, or nobody.")

    def _value(self, name: str, default: Any) -> Any:
        # A field that did not validate is left out, so one bad value does not blank the page.
        cleaned = getattr(self, "cleaned_data", {})
        value = cleaned.get(name, default)
        return default if value in (None, "") else value

    def to_filters(self) -> InboxFilters:
        self.is_valid()
        assignee = self._value("assignee", "")
        return InboxFilters(
            view=self._value("view", "open"),
            status=tuple(self._value("status", ())),
            priority=tuple(self._value("priority", ())),
            tag=self._value("tag", "").strip().lower(),
            channel=self._value("channel", ""),
            assignee_id=int(assignee) if assignee.isdigit() else None,
            unassigned=assignee == "none",
            team_id=self._value("team", None),
            sla=self._value("sla", ""),
            created_from=self._value("created_from", None),
            created_to=self._value("created_to", None),
            query=self._value("q", ""),
        )

    def saved_view_id(self) -> int | None:
        self.is_valid()
        value: int | None = self._value("saved", None)
        return value

    def cursor(self) -> Cursor | None:
        self.is_valid()
        before, before_id = self._value("before", ""), self._value("before_id", None)
        return Cursor.parse(before, str(before_id)) if before and before_id else None


def filter_params(filters: InboxFilters) -> QueryDict:
    """The query string that InboxFilterForm reads back as these filters."""
    params = QueryDict(mutable=True)
    params["view"] = filters.view
    params.setlist("status", list(filters.status))
    params.setlist("priority", list(filters.priority))
    values = {
        "tag": filters.tag,
        "channel": filters.channel,
        "assignee": "none" if filters.unassigned else filters.assignee_id,
        "team": filters.team_id,
        "sla": filters.sla,
        "created_from": filters.created_from.isoformat() if filters.created_from else None,
        "created_to": filters.created_to.isoformat() if filters.created_to else None,
        "q": filters.query,
    }
    for key, value in values.items():
        if value not in (None, ""):
            params[key] = str(value)
    return params


class IntegerListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        try:
            return [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError("Select conversations from the list.") from None


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("take", "Assign to me"),
        ("assign", "Assign"),
        ("unassign", "Unassign"),
        ("tag", "Add tag"),
        ("status", "Set status"),
    ]

    ids = IntegerListField(required=False)
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.IntegerField(min_value=1, required=False)
    tag = forms.CharField(max_length=50, required=False, strip=True)
    status = forms.ChoiceField(choices=[("", "—"), *BULK_STATUSES], required=False)
    # The inbox's query string, so the list comes back as the agent left it.
    filters = forms.CharField(max_length=4000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if not data.get("ids"):
            raise forms.ValidationError("Select at least one conversation.")
        if len(data["ids"]) > MAX_BULK:
            raise forms.ValidationError(f"Select at most {MAX_BULK} conversations.")
        needed = {"assign": "assignee", "tag": "tag", "status": "status"}.get(action or "")
        if needed and not data.get(needed):
            self.add_error(needed, "Choose a value for this action.")
        return data

    def service_arguments(self, *, me: int) -> dict[str, Any]:
        """Keyword arguments for services.bulk.bulk_update."""
        data = self.cleaned_data
        action = data["action"]
        arguments: dict[str, Any] = {"conversation_ids": data["ids"]}
        if action == "take":
            arguments["assignee_id"] = me
        elif action == "assign":
            arguments["assignee_id"] = data["assignee"]
        elif action == "unassign":
            arguments["unassign"] = True
        elif action == "tag":
            arguments["add_tags"] = [data["tag"]]
        elif action == "status":
            arguments["status"] = data["status"]
        return arguments


class PresenceForm(forms.Form):
    available = forms.TypedChoiceField(choices=[("1", "Available"), ("0", "Away")], coerce=lambda v: v == "1")


class SaveViewForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True)
    shared = forms.BooleanField(required=False, label="Share with everyone")
    filters = forms.CharField(max_length=4000, required=False)
