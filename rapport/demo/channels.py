"""Demo channels: the mailboxes support@demo.test and returns@demo.test, so mail sent to the local
SMTP listener (127.0.0.1:2525) shows up in the demo inbox, and a web widget that a page served from
http://localhost:8080 or http://127.0.0.1:8080 may embed (README, "Web widget")."""

from __future__ import annotations

from rapport.accounts.models import Team
from rapport.channels.models import Mailbox, Widget
from rapport.desk.models import BusinessCalendar

DEMO_MAILBOXES = [("support@demo.test", "Support"), ("returns@demo.test", "Returns")]
DEMO_WIDGET_KEY = "demo-shop-widget"
DEMO_WIDGET_ORIGINS = ["http://localhost:8080", "http://127.0.0.1:8080"]


def configure_channels() -> list[Mailbox]:
    team = Team.objects.order_by("pk").first()
    Widget.objects.get_or_create(
        key=DEMO_WIDGET_KEY,
        defaults={
            "name": "Demo shop",
            "allowed_origins": DEMO_WIDGET_ORIGINS,
            "phone_number": "+442079460018",
            "calendar": BusinessCalendar.objects.order_by("pk").first(),
            "team": team,
        },
    )
    return [
        Mailbox.objects.get_or_create(address=address, defaults={"name": name, "team": team})[0]
        for address, name in DEMO_MAILBOXES
    ]
