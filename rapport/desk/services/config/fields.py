"""Custom fields admins define for conversations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from django.db import transaction
from django.db.models import Max

from rapport.accounts.audit import record_audit, snapshot
from rapport.accounts.permissions import Actor, Perm
from rapport.desk.models import (
    Conversation,
    CustomField,
    CustomFieldKind,
)
from rapport.desk.services.config._common import (
    FIELD_FIELDS,
    MAX_CHOICE_LENGTH,
    MAX_CHOICES,
    MAX_NAME,
    audit_save,
    invalid,
)


def custom_field_in_use(field: CustomField) -> bool:
    return Conversation.objects.filter(custom_fields__has_key=field.key).exists()


def _clean_choices(kind: str, choices: Sequence[str], errors: dict[str, str]) -> list[str]:
    if kind != CustomFieldKind.CHOICE:
        # Only choice fields have choices; leftovers from a kind picked earlier in the form go.
        return []
    cleaned: list[str] = []
    for raw in choices:
        choice = raw.strip()
        if len(choice) > MAX_CHOICE_LENGTH:
            errors["choices"] = f"each choice has at most {MAX_CHOICE_LENGTH} characters"
        elif choice and choice not in cleaned:
            cleaned.append(choice)
    if not cleaned:
        errors["choices"] = "a choice field needs at least one choice"
    elif len(cleaned) > MAX_CHOICES:
        errors["choices"] = f"at most {MAX_CHOICES} choices"
    return cleaned


@transaction.atomic
def save_custom_field(
    *,
    actor: Actor,
    field: CustomField | None = None,
    key: str,
    label: str,
    kind: str,
    choices: Sequence[str] = (),
    position: int | None = None,
    is_active: bool = True,
) -> CustomField:
    """Define a field conversations can carry. Its key is fixed once created: stored values are
    filed under it. Its kind is fixed once a conversation has a value for it."""
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    key = key.strip()
    if field is not None:
        field = CustomField.objects.select_for_update().get(pk=field.pk)
        if key != field.key:
            errors["key"] = f"the key of a field cannot change (it stays “{field.key}”)"
        elif kind != field.kind and custom_field_in_use(field):
            errors["kind"] = "conversations already hold values of this field; its kind cannot change"
    elif not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", key):
        errors["key"] = "lower-case letters, digits and underscores, starting with a letter (at most 50)"
    elif CustomField.objects.filter(key=key).exists():
        errors["key"] = f"a field with key “{key}” exists"
    label = label.strip()
    if not label:
        errors["label"] = "a field needs a label"
    elif len(label) > MAX_NAME:
        errors["label"] = f"at most {MAX_NAME} characters"
    if kind not in CustomFieldKind.values:
        errors["kind"] = f"unknown kind “{kind}”"
    cleaned_choices = _clean_choices(kind, choices, errors)
    if position is not None and not 0 <= position <= 10_000:
        errors["position"] = "between 0 and 10000"
    if errors:
        raise invalid(errors, "invalid_custom_field")
    target = field or CustomField(key=key)
    before = snapshot(target, FIELD_FIELDS) if field is not None else None
    if position is None and field is None:
        position = (CustomField.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    target.label, target.kind, target.choices, target.is_active = label, kind, cleaned_choices, is_active
    if position is not None:
        target.position = position
    target.save()
    audit_save(actor, "desk.custom_field", target, before, FIELD_FIELDS)
    return target


@transaction.atomic
def delete_custom_field(*, actor: Actor, field: CustomField) -> Literal["deleted", "deactivated"]:
    """Delete a field no conversation holds a value for; a field in use is deactivated instead,
    so its values stay readable on the conversations that have them."""
    actor.require(Perm.DESK_CONFIGURE)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    if custom_field_in_use(field):
        if field.is_active:
            field.is_active = False
            field.save(update_fields=["is_active"])
            record_audit(
                actor=actor,
                action="desk.custom_field.deactivate",
                target=field,
                before={"is_active": True},
                after={"is_active": False},
            )
        return "deactivated"
    record_audit(
        actor=actor, action="desk.custom_field.delete", target=field, before=snapshot(field, FIELD_FIELDS)
    )
    field.delete()
    return "deleted"
