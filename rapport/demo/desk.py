"""Demo desk: office hours, SLA policies, macros and a few hundred conversations in every state.

Conversations are opened and answered through the desk's own services, so routing, SLA clocks and
events are exactly what the product makes; some are then moved back in time to show SLA states.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import F

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor
from rapport.commerce.models import Order
from rapport.customers.models import Customer, Tag
from rapport.desk.models import (
    BusinessCalendar,
    Conversation,
    ConversationEvent,
    CustomField,
    DeskSettings,
    Macro,
    Message,
    SlaPolicy,
    TeamDesk,
)
from rapport.desk.services import conversations as desk
from rapport.desk.services import sla

WEEKDAYS_9_TO_6 = [[[540, 1080]]] * 5 + [[], []]

ISSUES: list[tuple[str, str, list[str], str]] = [
    (
        "Where is my order {order}?",
        "Hi, I ordered {order} over a week ago and the tracking hasn't moved. Can you check?",
        ["delivery"],
        "normal",
    ),
    (
        "Parcel stolen from my doorstep",
        "The tracking for {order} says delivered but there was nothing at my door. "
        "A neighbour saw someone take a box.",
        ["delivery", "lost-or-stolen"],
        "high",
    ),
    (
        "Wrong size in {order}",
        "The jacket in {order} is a size too small. Can I exchange it for a large?",
        ["exchange"],
        "normal",
    ),
    (
        "Damaged item",
        "The mug in {order} arrived broken into three pieces. Photos attached.",
        ["damaged"],
        "high",
    ),
    (
        "Refund not received",
        "I returned {order} two weeks ago and still have not seen my refund.",
        ["refund"],
        "high",
    ),
    (
        "Change delivery address",
        "Could you send {order} to my office instead? It hasn't shipped yet.",
        ["delivery"],
        "normal",
    ),
    ("Charged twice", "My card was charged twice for {order}. Please fix this today.", ["billing"], "urgent"),
    (
        "Question about a product",
        "Is the walking boot in {order} waterproof enough for the Highlands in winter?",
        ["product-question"],
        "low",
    ),
    (
        "This will be my last order",
        "Third late delivery in a row with {order}. This will be my last order with you.",
        ["delivery", "complaint"],
        "urgent",
    ),
    (
        "Gift wrapping",
        "Can you add gift wrapping and a note to {order}? It's for my mother's birthday.",
        ["gift"],
        "low",
    ),
]

REPLIES = [
    "Thanks for writing, {name}. I've checked {order} with the carrier and will update you by tomorrow.",
    "I'm sorry about this, {name}. I've sent a replacement at no charge; you'll get tracking by email.",
    "Could you send a photo of the label on the parcel? Then I can raise it with the carrier.",
    "Your refund for {order} was issued today; banks take 3-5 working days to show it.",
]

MACROS = [
    (
        "Ask for a photo",
        "Hi {{ customer.first_name }}, could you send us a photo of the item and the label? "
        "Thanks, {{ agent.first_name }}",
        {"status": "pending", "add_tags": ["awaiting-photo"]},
    ),
    (
        "Replacement sent",
        "Hi {{ customer.first_name }}, we've sent a replacement for order {{ order.number }} "
        "with no shipping charge. Sorry for the trouble. {{ agent.first_name }}",
        {"status": "resolved", "add_tags": ["replacement"]},
    ),
    (
        "Tracking update",
        "Hi {{ customer.first_name }}, order {{ order.number }} is {{ order.shipment_status }}. "
        "We'll keep an eye on it. {{ agent.first_name }}",
        {},
    ),
    ("Take and prioritise", "", {"assign": "me", "priority": "high"}),
]


def configure_desk(users: dict[str, User]) -> dict[str, object]:
    office = BusinessCalendar.objects.get_or_create(
        name="Office hours (London)",
        defaults={
            "time_zone": "Europe/London",
            "weekly_hours": WEEKDAYS_9_TO_6,
            "holidays": ["2026-12-25", "2026-12-26"],
        },
    )[0]
    vip = Tag.objects.get_or_create(name="vip")[0]
    policies = [
        ("Urgent, around the clock", 0, "urgent", None, None, 30, 4 * 60),
        ("VIP customers", 1, "", vip, office, 60, 8 * 60),
        ("Standard", 2, "", None, office, 4 * 60, 16 * 60),
    ]
    for name, position, priority, tag, calendar, first, resolution in policies:
        SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "position": position,
                "priority": priority,
                "customer_tag": tag,
                "calendar": calendar,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
            },
        )
    for team in Team.objects.all():
        TeamDesk.objects.get_or_create(team=team, defaults={"calendar": office, "default_capacity": 25})
    DeskSettings.objects.get_or_create(pk=1)
    CustomField.objects.get_or_create(
        key="contact-reason",
        defaults={
            "label": "Contact reason",
            "kind": "choice",
            "choices": ["delivery", "returns", "billing", "product"],
        },
    )
    author = users.get(Role.LEAD)
    for name, body, actions in MACROS:
        Macro.objects.get_or_create(
            name=name, defaults={"body": body, "actions": actions, "created_by": author}
        )
    return {"calendar": office}


def seed_conversations(
    *, users: dict[str, User], count: int, now: datetime, seed: int, progress: Callable[[int], object]
) -> int:
    """Open `count` conversations on customers with orders; answer, park and resolve some of them."""
    rng = random.Random(f"{seed}-desk")
    staff = [users[role] for role in (Role.AGENT, Role.LEAD) if role in users]
    if not staff or count == 0:
        return 0
    actors = [Actor(user=user, via="system") for user in staff]
    customers = list(
        Customer.objects.filter(orders__isnull=False, merged_into__isnull=True)
        .distinct()
        .order_by("pk")[: count * 3]
    )
    if not customers:
        return 0
    # The demo's service team takes the conversations no associate takes (round robin, by load).
    care = next((user.team for user in staff if user.team is not None), None)
    made = 0
    for customer in rng.sample(customers, min(count, len(customers))):
        order = Order.objects.filter(customer=customer).order_by("-placed_at").first()
        number = order.number if order else "your order"
        subject, body, tags, priority = rng.choice(ISSUES)
        actor = rng.choice(actors)
        conversation = desk.open_conversation(
            actor=actor,
            customer=customer,
            channel=rng.choice(["email", "email", "email", "chat", "phone", "web"]),
            subject=subject.format(order=number),
            body_text=body.format(order=number),
            priority=priority,
            tags=tags,
            order_ids=[order.pk] if order else [],
            team=care,
            sender=_address_of(customer),
        )
        fate = rng.random()
        name = (customer.name or "there").split()[0]
        if fate < 0.35:
            pass  # still waiting for a first answer
        elif fate < 0.55:
            desk.reply(
                actor=actor,
                conversation=conversation,
                body_text=rng.choice(REPLIES).format(name=name, order=number),
                then_status="pending",
            )
        elif fate < 0.65:
            desk.reply(
                actor=actor,
                conversation=conversation,
                body_text=rng.choice(REPLIES).format(name=name, order=number),
            )
            desk.receive_message(conversation=conversation, body_text="Thanks, but it still hasn't arrived.")
        elif fate < 0.72:
            desk.change_status(
                actor=actor,
                conversation=conversation,
                status="snoozed",
                snoozed_until=now + timedelta(hours=rng.randint(2, 48)),
            )
        else:
            desk.reply(
                actor=actor,
                conversation=conversation,
                body_text=rng.choice(REPLIES).format(name=name, order=number),
                then_status="resolved",
            )
        if fate < 0.35 and rng.random() < 0.6:
            _move_back(conversation, hours=rng.uniform(1, 30))
        made += 1
        progress(1)
    return made


def _address_of(customer: Customer) -> str:
    email = customer.identities.filter(kind="email").order_by("-is_primary", "id").first()
    return email.value if email else ""


def _move_back(conversation: Conversation, *, hours: float) -> None:
    """Make a waiting conversation older, so the demo inbox shows SLAs near or past their targets."""
    shift = timedelta(hours=hours)
    Message.objects.filter(conversation=conversation).update(created_at=F("created_at") - shift)
    ConversationEvent.objects.filter(conversation=conversation).update(created_at=F("created_at") - shift)
    conversation.customer.events.filter(
        subject_type="desk.conversation", subject_id=str(conversation.pk)
    ).update(occurred_at=F("occurred_at") - shift)
    conversation.created_at -= shift
    conversation.last_message_at -= shift
    if conversation.last_inbound_at:
        conversation.last_inbound_at -= shift
    sla.start_clock(conversation=conversation, at=conversation.created_at)
    conversation.save()
