"""Settings for the whole desk: auto-close, near-breach line, attachment size."""

from __future__ import annotations

from django.db import transaction

from rapport.accounts.audit import snapshot
from rapport.accounts.permissions import Actor, Perm
from rapport.desk.models import (
    DeskSettings,
)
from rapport.desk.services.config._common import (
    ATTACHMENT_BYTES,
    AUTO_CLOSE_DAYS,
    NEAR_BREACH_PERCENT,
    SETTINGS_FIELDS,
    audit_save,
    invalid,
)


@transaction.atomic
def save_desk_settings(
    *, actor: Actor, auto_close_after_days: int, near_breach_percent: int, max_attachment_bytes: int
) -> DeskSettings:
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    low, high = AUTO_CLOSE_DAYS
    if not low <= auto_close_after_days <= high:
        errors["auto_close_after_days"] = f"between {low} and {high} days"
    low, high = NEAR_BREACH_PERCENT
    if not low <= near_breach_percent <= high:
        errors["near_breach_percent"] = f"between {low} % and {high} % of the target"
    low, high = ATTACHMENT_BYTES
    if not low <= max_attachment_bytes <= high:
        errors["max_attachment_bytes"] = "between 1 KB and 50 MB"
    if errors:
        raise invalid(errors, "invalid_desk_settings")
    settings = DeskSettings.objects.select_for_update().get_or_create(pk=1)[0]
    before = snapshot(settings, SETTINGS_FIELDS)
    settings.auto_close_after_days = auto_close_after_days
    settings.near_breach_percent = near_breach_percent
    settings.max_attachment_bytes = max_attachment_bytes
    settings.save()
    audit_save(actor, "desk.settings", settings, before, SETTINGS_FIELDS)
    return settings
