"""Start-up guard: production must never run with the published demo logins."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

DEMO_DOMAIN = "demo.test"
DEMO_EMAILS = tuple(f"{role}@{DEMO_DOMAIN}" for role in ("admin", "lead", "agent", "analyst"))
DEMO_PASSWORD = "demo"  # noqa: S105 - published on purpose; production refuses these logins


def demo_users_present() -> bool:
    from rapport.accounts.models import User

    try:
        return User.objects.filter(email__in=DEMO_EMAILS).exists()
    except DatabaseError:
        # Not migrated yet: there are no users at all.
        return False


def refuse_demo_users_in_production() -> None:
    if getattr(settings, "PRODUCTION", False) and demo_users_present():
        raise ImproperlyConfigured(
            "Refusing to start in production: the demo logins (admin@demo.test ...) exist. "
            "Delete them with `manage.py remove_demo_users` first."
        )
