"""System checks for staff accounts."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

from rapport.accounts.safety import demo_users_present


def check_no_demo_users_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django.conf import settings

    if getattr(settings, "PRODUCTION", False) and demo_users_present():
        return [
            Error(
                "The demo logins exist in a production database.",
                hint="Run `manage.py remove_demo_users`.",
                id="rapport.E001",
            )
        ]
    return []
