"""The audit log: every service that changes data calls record_audit in the same transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from rapport.accounts.models import AuditEntry
from rapport.accounts.permissions import Actor
from rapport.core.unit_of_work import append_row


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of the named fields, ready to store as before/after."""
    return {name: _jsonable(getattr(instance, name)) for name in fields}


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value changed, so an entry says what actually happened."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record_audit(
    *,
    actor: Actor | None,
    action: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    target_label: str = "",
) -> AuditEntry:
    return append_row(
        AuditEntry(
            actor=actor.user if actor else None,
            actor_label=actor.label if actor else "system",
            via=actor.via if actor else "system",
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            target_label=(target_label or str(target))[:200],
            before=_jsonable(before) if before is not None else None,
            after=_jsonable(after) if after is not None else None,
        )
    )
