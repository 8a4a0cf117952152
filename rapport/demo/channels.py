"""Demo channels: the mailboxes support@demo.test and returns@demo.test, so mail sent to the local
SMTP listener (127.0.0.1:2525) shows up in the demo inbox, and a web widget that a page served from
http://localhost:8080 or http://127.0.0.1:8080 may embed (README, "Web widget")."""

from __future__ import annotations

from django.db.models import F

from rapport.accounts.models import Team
from rapport.channels.models import Mailbox, OutboundEmail, SendStatus, Widget
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


def last_outbound_id() -> int:
    return OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def settle_demo_replies(*, after_id: int) -> int:
    """The demo's replies are history: mark them sent, so that nothing mails the made-up customers.

    Only rows made by this seeding (after_id: the newest one before it) are touched; replies that
    real people queued stay as they are.
    """
    return OutboundEmail.objects.filter(pk__gt=after_id, status=SendStatus.QUEUED).update(
        status=SendStatus.SENT, sent_at=F("queued_at")
    )
