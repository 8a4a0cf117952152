"""Demo channels: the mailboxes support@demo.test and returns@demo.test, so mail sent to the local
SMTP listener (127.0.0.1:2525) shows up in the demo inbox."""

from __future__ import annotations

from rapport.accounts.models import Team
from rapport.channels.models import Mailbox

DEMO_MAILBOXES = [("support@demo.test", "Support"), ("returns@demo.test", "Returns")]


def configure_channels() -> list[Mailbox]:
    team = Team.objects.order_by("pk").first()
    return [
        Mailbox.objects.get_or_create(address=address, defaults={"name": name, "team": team})[0]
        for address, name in DEMO_MAILBOXES
    ]
