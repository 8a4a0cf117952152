"""Delete the published demo logins, so a database can go to production."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rapport.accounts.models import User
from rapport.accounts.safety import DEMO_EMAILS


class Command(BaseCommand):
    help = (
        "Delete the demo staff logins (admin@demo.test, lead@demo.test, agent@demo.test, analyst@demo.test)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        demo_users = User.objects.filter(email__in=DEMO_EMAILS)
        deleted = demo_users.count()
        demo_users.delete()
        self.stdout.write(f"Removed {deleted} demo login(s)." if deleted else "No demo logins found.")
