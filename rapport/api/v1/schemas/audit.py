"""Schemas of the audit router: entries of the audit log and their filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from rapport.accounts.models import AuditEntry
from rapport.api.v1.schemas.common import Instant, Text


class AuditFilters(Schema):
    action: Text = Field("", max_length=64, description="e.g. customer.merge")
    actor_email: Text = Field("", max_length=254)
    target_type: Text = Field("", max_length=64, description="e.g. customers.customer")
    target_id: Text = Field("", max_length=64)
    since: Instant | None = Field(None, description="At or after this instant")
    until: Instant | None = Field(None, description="Before this instant")


class AuditEntryOut(Schema):
    id: int
    actor_id: int | None
    actor_email: str = Field(description='Who acted, or "system"')
    via: str = Field(description="web, token or system")
    action: str
    target_type: str
    target_id: str
    target_label: str
    before: Any
    after: Any
    created_at: datetime

    @staticmethod
    def resolve_actor_email(obj: AuditEntry) -> str:
        return obj.actor_label


class AuditPage(Schema):
    count: int
    items: list[AuditEntryOut]
