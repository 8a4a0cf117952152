"""The one listening settings row, read once per unit of work."""

from __future__ import annotations

from django.utils import timezone

from rapport.accounts.audit import record_audit, snapshot
from rapport.accounts.permissions import Actor, Perm
from rapport.core.memo import forget, remember
from rapport.listening.models import ListeningSettings

SETTINGS_FIELDS = [
    "sentiment_engine",
    "csat_enabled",
    "csat_delay_minutes",
    "ces_enabled",
    "nps_enabled",
    "nps_days_after_first_order",
    "nps_min_days_between",
    "invitation_valid_days",
    "email_alerts",
    "valuable_tier",
]


def listening_settings() -> ListeningSettings:
    return remember("listening.settings", lambda: ListeningSettings.objects.get_or_create(pk=1)[0])


def update_listening_settings(*, actor: Actor, **values: object) -> ListeningSettings:
    actor.require(Perm.LISTENING_CONFIGURE)
    current = ListeningSettings.objects.get_or_create(pk=1)[0]
    before = snapshot(current, SETTINGS_FIELDS)
    for name, value in values.items():
        if name not in SETTINGS_FIELDS:
            raise TypeError(f"unknown listening setting {name!r}")
        setattr(current, name, value)
    current.updated_at = timezone.now()
    current.save()
    forget("listening.settings")
    record_audit(
        actor=actor,
        action="listening.settings_changed",
        target=current,
        before=before,
        after=snapshot(current, SETTINGS_FIELDS),
    )
    return current
