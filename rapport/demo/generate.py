"""Demo data: a believable store with staff, customers, orders and their timelines, repeatable per seed.

The generator writes rows directly, in batches, for speed: it makes initial data, not changes by
anyone. Every row is what the services would have written for the same history (the same fields,
totals, timeline kinds and summaries), except that the audit log gets one "demo.seed" entry instead
of one entry per generated row.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Protocol

from django.db import connection, transaction
from django.utils import timezone

from rapport.accounts.models import AuditEntry, Role, Team, User
from rapport.accounts.safety import DEMO_EMAILS, DEMO_PASSWORD
from rapport.accounts.services import create_staff_user
from rapport.commerce.models import (
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Shipment,
    ShipmentStatus,
    WishlistItem,
)
from rapport.customers.models import (
    Customer,
    Identity,
    IdentityKind,
    Note,
    Preference,
    PreferenceKind,
    Tag,
    TimelineEvent,
)
from rapport.demo.behaviour import simulate_purchases
from rapport.demo.catalogue import CATEGORIES, ProductSpec, make_catalogue
from rapport.demo.channels import configure_channels, last_outbound_id, settle_demo_replies
from rapport.demo.desk import configure_desk, seed_conversations
from rapport.demo.listening import seed_listening
from rapport.demo.recovery import configure_recovery, seed_recovery
from rapport.demo.world import (
    CULTURE_WEIGHTS,
    CULTURES,
    EMAIL_DOMAINS,
    SOCIAL_PLATFORMS,
    WORK_DOMAINS,
    Culture,
    PhoneMaker,
    ascii_fold,
    tracking_number,
)
from rapport.demo.writing import Loader, Table, db_datetime, plain_indexes_deferred, reset_sequences
from rapport.insights.services.health import refresh_health
from rapport.insights.services.recommendations import refresh_recommendations
from rapport.insights.services.value import refresh_customer_values

SPAN_DAYS = 730
CURRENCY = "EUR"
FREE_SHIPPING_FROM = Decimal("50.00")
SHIPPING = Decimal("4.95")
CENT = Decimal("0.01")

# The demo logins: (full name, team) per role; emails and password come from accounts.safety.
STAFF = {
    Role.ADMIN: ("Marta Oliveira", "Store Operations"),
    Role.LEAD: ("James Whitaker", "Customer Care"),
    Role.AGENT: ("Aisha Bello", "Customer Care"),
    Role.ANALYST: ("Kenji Mori", "Store Operations"),
}

# Lines per order (1 to 4) and units per line (1 to 3), as cumulative shares.
LINES_CUMULATIVE = (0.52, 0.80, 0.93)
QUANTITY_CUMULATIVE = (0.85, 0.96)
# Orders by hour of day (UTC): quiet nights, a lunch bump, busy evenings.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 9, 10, 9, 8, 8, 8, 9, 11, 13, 14, 12, 8, 4)
_HOUR_CUMULATIVE = [0.0, *accumulate(w / sum(HOUR_WEIGHTS) for w in HOUR_WEIGHTS)]

NOTE_TEMPLATES = (
    "Called about a late parcel; apologised and refunded the shipping.",
    "Prefers to be contacted by email, not phone.",
    "Asked for gift wrapping on future orders.",
    "Wholesale enquiry: wants a quote for 50 units; sent the price list.",
    "Complained about a damaged item; replacement sent the same day.",
    "Very happy with the support team; offered to write a review.",
    "Moving house next month; remember to confirm the new address.",
    "Allergic to lavender: avoid scented samples in parcels.",
    "Long-time customer, please keep in the loop about new arrivals.",
    "Returned an item twice for size; suggested the size guide.",
)


class Phase(Protocol):
    """A progress display for one phase (tqdm fits)."""

    def update(self, n: float | None = 1) -> bool | None: ...

    def close(self) -> None: ...


PhaseFactory = Callable[[str, int], Phase]


class _Silent:
    def update(self, n: float | None = 1) -> bool | None:
        return None

    def close(self) -> None:
        return None


def _silent(name: str, total: int) -> Phase:
    return _Silent()


@dataclass
class DemoResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def database_has_store_data() -> bool:
    return Customer.objects.exists() or Product.objects.exists() or Order.objects.exists()


def start_of_today() -> datetime:
    # Anchoring to the day makes a seed give the same data all day long, shifted by whole days after.
    return timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def ensure_staff() -> dict[str, User]:
    """The four demo logins and their two teams, created once."""
    teams = {name: Team.objects.get_or_create(name=name)[0] for _, name in STAFF.values()}
    users: dict[str, User] = {}
    for email in DEMO_EMAILS:
        role = email.split("@", 1)[0]
        full_name, team = STAFF[Role(role)]
        user = User.objects.filter(email=email).first()
        if user is None:
            user = create_staff_user(
                actor=None,
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                full_name=full_name,
                team=teams[team],
            )
        users[role] = user
    return users


def _time_of_day(fraction: float) -> float:
    """Map a uniform fraction of a day to one following HOUR_WEIGHTS, keeping the order of moments."""
    hour = min(bisect.bisect_right(_HOUR_CUMULATIVE, fraction) - 1, 23)
    low, high = _HOUR_CUMULATIVE[hour], _HOUR_CUMULATIVE[hour + 1]
    return (hour + (fraction - low) / (high - low)) / 24


@dataclass
class _Customers:
    """What the order phase needs to know of each generated customer, in compact arrays."""

    first_id: int
    culture: bytearray
    favourite: list[bytearray]
    wholesale: bytearray
    names: list[str]
    created_day: array[float]


class _Generator:
    def __init__(self, *, seed: int, now: datetime, phase: PhaseFactory) -> None:
        self.seed = seed
        self.now = now
        self.start = now - timedelta(days=SPAN_DAYS)
        self.phase = phase
        self.result = DemoResult()
        self.db_time = db_datetime()
        self.events = Table(
            TimelineEvent,
            [
                "id",
                "customer",
                "kind",
                "occurred_at",
                "actor",
                "summary",
                "subject_type",
                "subject_id",
                "data",
            ],
        )

    def rng(self, topic: str) -> random.Random:
        # One stream per topic, so a change in one part (say, more products) leaves the others alone.
        return random.Random(f"{self.seed}:{topic}")

    def at(self, day: float) -> datetime:
        return self.start + timedelta(days=day)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.result.seconds[name] = round(time.perf_counter() - began, 2)

    def event(
        self,
        *,
        customer_id: int,
        kind: str,
        occurred_at: datetime | str,
        summary: str,
        actor_id: int | None = None,
        subject: tuple[str, int] | None = None,
        data: dict[str, str] | None = None,
    ) -> None:
        self.events.add(
            (
                self.events.take_id(),
                customer_id,
                kind,
                occurred_at,
                actor_id,
                summary[:300],
                subject[0] if subject else "",
                str(subject[1]) if subject else "",
                data or {},
            )
        )

    # Products ---------------------------------------------------------------------------------

    def products(self, count: int) -> list[tuple[int, ProductSpec]]:
        specs = make_catalogue(count, self.rng("catalogue"))
        table = Table(
            Product,
            [
                "id",
                "external_id",
                "sku",
                "name",
                "category",
                "brand",
                "price",
                "currency",
                "is_active",
                "created_at",
                "updated_at",
            ],
        )
        listed = self.start - timedelta(days=30)
        loader = Loader(table)
        written = []
        bar = self.phase("products", len(specs))
        for spec in specs:
            pk = table.take_id()
            table.add(
                (
                    pk,
                    spec.external_id,
                    spec.sku,
                    spec.name,
                    spec.category,
                    spec.brand,
                    spec.price,
                    CURRENCY,
                    spec.is_active,
                    listed,
                    listed,
                )
            )
            written.append((pk, spec))
            bar.update(1)
            loader.tick()
        loader.flush()
        bar.close()
        self.result.counts["products"] = table.written
        return written

    # Customers --------------------------------------------------------------------------------

    def customers(
        self, count: int, counts: array[int], first_day: array[float], staff: dict[str, User]
    ) -> _Customers:
        rng = self.rng("customers")
        phones = PhoneMaker()
        emails: set[str] = set()
        handles: set[str] = set()
        cumulative = list(accumulate(CULTURE_WEIGHTS))
        duplicates = max(2, count // 100) if count >= 50 else 0
        originals = rng.sample(range(count - duplicates), duplicates) if duplicates else []
        duplicate_of = {count - duplicates + n: original for n, original in enumerate(originals)}
        with_phone = set(originals)
        ranked = sorted(counts)
        vip_from = max(3, ranked[int(0.98 * (count - 1))]) if count else 0
        tags = {
            name: Tag.objects.get_or_create(name=name)[0].pk
            for name in ("vip", "wholesale", "newsletter", "possible-duplicate")
        }
        associates = [staff[role].pk for role in (Role.LEAD, Role.AGENT, Role.AGENT) if role in staff]

        customers = Table(
            Customer,
            [
                "id", "external_id", "name", "language", "time_zone", "country", "associate",
                "marketing_consent", "marketing_consent_at", "survey_consent", "survey_consent_at",
                "created_at", "updated_at",
            ],
        )  # fmt: skip
        identities = Table(Identity, ["id", "customer", "kind", "value", "is_primary", "created_at"])
        tagged = Table(Customer.tags.through, ["id", "customer", "tag"])
        preferences = Table(Preference, ["id", "customer", "kind", "value", "likes", "created_at"])
        plan = _Customers(
            first_id=customers.next_id,
            culture=bytearray(count),
            favourite=[bytearray(count), bytearray(count)],
            wholesale=bytearray(count),
            names=[""] * count,
            created_day=array("d", [0.0]) * count,
        )
        loader = Loader(customers, identities, tagged, preferences, self.events)
        bar = self.phase("customers", count)
        for index in range(count):
            pk = customers.take_id()
            original = duplicate_of.get(index)
            if original is None:
                culture_index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
                culture = CULTURES[culture_index]
                first, last = rng.choice(culture.first_names), rng.choice(culture.last_names)
                name = f"{first} {last}"
            else:
                culture_index = plan.culture[original]
                culture = CULTURES[culture_index]
                name = plan.names[original]
                first, last = name.split(" ", 1)
            plan.culture[index] = culture_index
            plan.names[index] = name
            favourites = rng.sample(range(len(CATEGORIES)), 2)
            plan.favourite[0][index], plan.favourite[1][index] = favourites
            wholesale = rng.random() < 0.015
            plan.wholesale[index] = wholesale
            if math.isnan(first_day[index]):
                created_day = rng.random() * SPAN_DAYS
            else:
                created_day = max(first_day[index] - rng.random() * 2, -30.0)
            plan.created_day[index] = created_day
            created = self.at(created_day)

            addresses = [self._email(rng, emails, first, last, work=original is not None)]
            if original is None and rng.random() < 0.12:
                addresses.append(self._email(rng, emails, first, last, work=True))
            for position, address in enumerate(addresses):
                identities.add(
                    (identities.take_id(), pk, IdentityKind.EMAIL, address, position == 0, created)
                )
            if original is None and (index in with_phone or rng.random() < 0.65):
                phone = phones.make(culture.country, rng)
                if phone:
                    identities.add((identities.take_id(), pk, IdentityKind.PHONE, phone, True, created))
            if original is None and rng.random() < 0.2:
                platforms = rng.sample(SOCIAL_PLATFORMS, 2 if rng.random() < 0.25 else 1)
                for position, platform in enumerate(dict.fromkeys(platforms)):
                    handle = self._handle(rng, handles, platform, first, last)
                    identities.add(
                        (identities.take_id(), pk, IdentityKind.SOCIAL, handle, position == 0, created)
                    )

            marketing = rng.random() < 0.45
            names = []
            if marketing:
                names.append("newsletter")
            if counts[index] >= vip_from:
                names.append("vip")
            if wholesale:
                names.append("wholesale")
            if original is not None or index in with_phone:
                names.append("possible-duplicate")
            for tag in names:
                tagged.add((tagged.take_id(), pk, tags[tag]))
            associate = None
            if associates and (("vip" in names) or wholesale or rng.random() < 0.1):
                associate = rng.choice(associates)
            customers.add(
                (
                    pk, f"cust_{index + 1:07d}", name, culture.language, rng.choice(culture.time_zones),
                    culture.country, associate, marketing, created if marketing else None,
                    rng.random() < 0.9, created, created, created,
                )
            )  # fmt: skip
            self._preferences(rng, preferences, pk, favourites, created)
            self.event(
                customer_id=pk, kind="customer.created", occurred_at=created, summary="Customer created"
            )
            bar.update(1)
            loader.tick()
        loader.flush()
        bar.close()
        self.result.counts.update(
            customers=customers.written,
            identities=identities.written,
            tag_links=tagged.written,
            preferences=preferences.written,
            possible_duplicates=len(duplicate_of),
        )
        return plan

    @staticmethod
    def _email(rng: random.Random, used: set[str], first: str, last: str, *, work: bool) -> str:
        first_part, last_part = ascii_fold(first).replace(" ", ""), ascii_fold(last).replace(" ", "")
        patterns = (
            f"{first_part}.{last_part}",
            f"{first_part}{last_part}",
            f"{first_part[:1]}{last_part}",
            f"{first_part}_{last_part}",
            f"{last_part}.{first_part}",
        )
        domain = rng.choice(WORK_DOMAINS if work else EMAIL_DOMAINS)
        local = rng.choice(patterns)
        address = f"{local}@{domain}"
        while address in used:
            address = f"{local}{rng.randrange(1, 9999)}@{domain}"
        used.add(address)
        return address

    @staticmethod
    def _handle(rng: random.Random, used: set[str], platform: str, first: str, last: str) -> str:
        first_part, last_part = ascii_fold(first).replace(" ", ""), ascii_fold(last).replace(" ", "")
        base = rng.choice(
            (f"{first_part}{last_part}", f"{first_part}.{last_part}", f"{first_part}_{last_part[:1]}")
        )
        value = f"{platform}:{base}"
        while value in used:
            value = f"{platform}:{base}{rng.randrange(1, 999)}"
        used.add(value)
        return value

    def _preferences(
        self, rng: random.Random, table: Table, customer_id: int, favourites: list[int], created: datetime
    ) -> None:
        chosen: dict[tuple[str, str], bool] = {}
        if rng.random() < 0.35:
            for category in favourites[: rng.choice((1, 2))]:
                chosen[(PreferenceKind.CATEGORY, CATEGORIES[category].name)] = True
        if rng.random() < 0.15:
            chosen[(PreferenceKind.BRAND, rng.choice(CATEGORIES[favourites[0]].brands))] = True
        if rng.random() < 0.05:
            disliked = rng.choice([c for c in range(len(CATEGORIES)) if c not in favourites])
            chosen[(PreferenceKind.CATEGORY, CATEGORIES[disliked].name)] = False
        for (kind, value), likes in chosen.items():
            table.add((table.take_id(), customer_id, kind, value, likes, created))

    # Orders -----------------------------------------------------------------------------------

    def orders(
        self,
        purchases_day: array[float],
        purchases_customer: array[int],
        people: _Customers,
        products: list[tuple[int, ProductSpec]],
    ) -> None:
        rng = self.rng("orders")
        by_category: list[list[tuple[int, ProductSpec]]] = [[] for _ in CATEGORIES]
        category_index = {category.name: n for n, category in enumerate(CATEGORIES)}
        for product in products:
            by_category[category_index[product[1].category]].append(product)
        weights = [list(accumulate(spec.popularity for _, spec in group)) for group in by_category]
        stocked = [n for n, group in enumerate(by_category) if group]
        orders = Table(
            Order,
            [
                "id",
                "external_id",
                "number",
                "customer",
                "status",
                "placed_at",
                "currency",
                "shipping_total",
                "total",
                "created_at",
                "updated_at",
            ],
        )
        lines = Table(
            OrderLine, ["id", "order", "product", "sku", "name", "quantity", "unit_price", "line_total"]
        )
        shipments = Table(
            Shipment,
            [
                "id",
                "order",
                "carrier",
                "tracking_number",
                "status",
                "shipped_at",
                "delivered_at",
                "signed_for_name",
                "updated_at",
            ],
        )
        horizon = (self.now - self.start).total_seconds() / 86400
        loader = Loader(orders, lines, shipments, self.events)
        bar = self.phase("orders", len(purchases_day))
        for serial, (day, who) in enumerate(zip(purchases_day, purchases_customer, strict=True), start=1):
            customer_id = people.first_id + who
            culture = CULTURES[people.culture[who]]
            whole = math.floor(day)
            placed_at = self.at(min(whole + _time_of_day(day - whole), horizon - 1e-6))
            order_id = orders.take_id()
            number = f"R{100000 + serial}"
            count = 1 + bisect.bisect_right(LINES_CUMULATIVE, rng.random())
            picked: dict[int, ProductSpec] = {}
            for _ in range(count * 3):
                if len(picked) == count or not stocked:
                    break
                favourite = people.favourite[rng.random() < 0.5][who]
                category = (
                    favourite if rng.random() < 0.75 and by_category[favourite] else rng.choice(stocked)
                )
                group = weights[category]
                pk, spec = by_category[category][bisect.bisect_right(group, rng.random() * group[-1])]
                picked[pk] = spec
            subtotal = Decimal("0.00")
            for pk, spec in picked.items():
                if people.wholesale[who]:
                    quantity = rng.choice((2, 3, 4, 5, 6, 10, 12))
                else:
                    quantity = 1 + bisect.bisect_right(QUANTITY_CUMULATIVE, rng.random())
                price = spec.price
                if rng.random() < 0.08:
                    price = (price * (1 - Decimal(rng.choice((10, 15, 20, 25))) / 100)).quantize(CENT)
                line_total = price * quantity
                subtotal += line_total
                lines.add((lines.take_id(), order_id, pk, spec.sku, spec.name, quantity, price, line_total))
            shipping = Decimal("0.00") if subtotal >= FREE_SHIPPING_FROM else SHIPPING
            total = subtotal + shipping
            # Each moment is converted for the database once, however many rows it is in.
            placed = self.db_time(placed_at)
            status, updated_at = self._fulfil(
                rng, shipments, order_id, number, customer_id, culture, people.names[who], placed_at
            )
            updated = placed if updated_at is placed_at else self.db_time(updated_at)
            orders.add(
                (
                    order_id,
                    f"shop_{serial:07d}",
                    number,
                    customer_id,
                    status,
                    placed,
                    CURRENCY,
                    shipping,
                    total,
                    placed,
                    updated,
                )
            )
            self.event(
                customer_id=customer_id,
                kind="order.placed",
                occurred_at=placed,
                summary=f"Order {number} placed: {len(picked)} item(s), {total} {CURRENCY}",
                subject=("commerce.order", order_id),
                data={"total": str(total), "currency": CURRENCY},
            )
            if status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
                self.event(
                    customer_id=customer_id,
                    kind="order.status_changed",
                    occurred_at=updated,
                    summary=f"Order {number} is now {OrderStatus(status).label.lower()}",
                    subject=("commerce.order", order_id),
                )
            if serial % 1000 == 0:
                bar.update(1000)
            loader.tick()
        loader.flush()
        bar.update(len(purchases_day) % 1000)
        bar.close()
        self.result.counts.update(
            orders=orders.written, order_lines=lines.written, shipments=shipments.written
        )

    def _fulfil(
        self,
        rng: random.Random,
        shipments: Table,
        order_id: int,
        number: str,
        customer_id: int,
        culture: Culture,
        name: str,
        placed_at: datetime,
    ) -> tuple[str, datetime]:
        """Ship the order as far as time allows; returns the order's status and when it last changed."""
        if rng.random() < 0.02:
            cancelled = min(placed_at + timedelta(hours=rng.uniform(1, 30)), self.now - timedelta(minutes=1))
            return OrderStatus.CANCELLED, max(cancelled, placed_at)
        shipped_at = placed_at + timedelta(days=rng.uniform(0.2, 1.6))
        if shipped_at >= self.now:
            return OrderStatus.PAID, placed_at
        carrier = rng.choice(culture.carriers)
        tracking = tracking_number(carrier, culture.country, rng)
        arrives = shipped_at + timedelta(days=0.8 + rng.gammavariate(2.0, 0.9))
        outcome = rng.random()
        order_status = OrderStatus.FULFILLED
        delivered_at: datetime | None = None
        signed = ""
        if outcome < 0.015:
            status, changed = (
                ShipmentStatus.EXCEPTION,
                min(shipped_at + (arrives - shipped_at) * 0.7, self.now),
            )
        elif outcome < 0.045 and arrives + timedelta(days=21) < self.now:
            status, changed = ShipmentStatus.RETURNED, arrives + timedelta(days=rng.uniform(4, 20))
            order_status = OrderStatus.REFUNDED
        elif arrives > self.now:
            near = arrives - self.now < timedelta(hours=12)
            status = (
                ShipmentStatus.OUT_FOR_DELIVERY if near and rng.random() < 0.5 else ShipmentStatus.IN_TRANSIT
            )
            changed = shipped_at
        else:
            status, changed = ShipmentStatus.DELIVERED, arrives
            delivered_at = arrives
            if rng.random() < 0.3:
                signed = name if rng.random() < 0.7 else rng.choice(culture.first_names)
        shipment_id = shipments.take_id()
        stamp = self.db_time(changed)
        delivered = stamp if delivered_at is changed else self.db_time(delivered_at)
        shipments.add(
            (
                shipment_id,
                order_id,
                carrier,
                tracking,
                status,
                self.db_time(shipped_at),
                delivered,
                signed,
                stamp,
            )
        )
        signed_text = f", signed for by {signed}" if signed else ""
        self.event(
            customer_id=customer_id,
            kind=f"shipment.{status}",
            occurred_at=stamp,
            summary=(
                f"Order {number}: shipment {carrier} {tracking} "
                f"{ShipmentStatus(status).label.lower()}{signed_text}"
            ).replace("  ", " "),
            subject=("commerce.shipment", shipment_id),
        )
        return order_status, changed

    # Wishlists and notes ----------------------------------------------------------------------

    def extras(
        self, people: _Customers, products: list[tuple[int, ProductSpec]], staff: dict[str, User]
    ) -> None:
        rng = self.rng("extras")
        by_category: list[list[tuple[int, ProductSpec]]] = [[] for _ in CATEGORIES]
        category_index = {category.name: n for n, category in enumerate(CATEGORIES)}
        for product in products:
            by_category[category_index[product[1].category]].append(product)
        wishlist = Table(WishlistItem, ["id", "customer", "product", "added_at"])
        notes = Table(Note, ["id", "customer", "author", "body", "created_at"])
        authors: list[int | None] = [
            staff[role].pk for role in (Role.LEAD, Role.AGENT, Role.AGENT) if role in staff
        ]
        authors = authors or [None]
        count = len(people.names)
        loader = Loader(wishlist, notes, self.events)
        bar = self.phase("wishlists and notes", count)
        for index in range(count):
            customer_id = people.first_id + index
            created_day = people.created_day[index]
            if rng.random() < 0.25:
                pool = [
                    p
                    for c in (people.favourite[0][index], people.favourite[1][index])
                    for p in by_category[c]
                ]
                for pk, spec in rng.sample(pool, min(len(pool), rng.randint(1, 5))):
                    added_at = self.at(rng.uniform(max(created_day, 0.0), SPAN_DAYS - 0.01))
                    wishlist.add((wishlist.take_id(), customer_id, pk, added_at))
                    self.event(
                        customer_id=customer_id,
                        kind="wishlist.added",
                        occurred_at=added_at,
                        summary=f"Added {spec.name} to the wishlist",
                        subject=("commerce.product", pk),
                    )
            if rng.random() < 0.06:
                for _ in range(rng.choice((1, 1, 2))):
                    author = rng.choice(authors)
                    body = rng.choice(NOTE_TEMPLATES)
                    written_at = self.at(rng.uniform(max(created_day, 0.0), SPAN_DAYS - 0.01))
                    note_id = notes.take_id()
                    notes.add((note_id, customer_id, author, body, written_at))
                    self.event(
                        customer_id=customer_id,
                        kind="note.added",
                        occurred_at=written_at,
                        summary=body,
                        actor_id=author,
                        subject=("customers.note", note_id),
                    )
            bar.update(1)
            loader.tick()
        loader.flush()
        bar.close()
        self.result.counts.update(wishlist_items=wishlist.written, notes=notes.written)


def generate(
    *,
    customers: int = 2000,
    products: int = 300,
    orders: int = 20000,
    conversations: int = 300,
    seed: int = 42,
    staff: bool = True,
    now: datetime | None = None,
    phase: PhaseFactory | None = None,
) -> DemoResult:
    """Fill an empty store, all in one transaction. The same seed (and day) gives the same data."""
    if min(customers, products, orders) < 0 or (orders and not (customers and products)):
        raise ValueError("orders need at least one customer and one product; counts cannot be negative")
    with transaction.atomic():
        generator = _Generator(seed=seed, now=now or start_of_today(), phase=phase or _silent)
        result = generator.result
        with generator.timed("staff"):
            users = (
                ensure_staff()
                if staff
                else {
                    user.email.split("@", 1)[0]: user
                    for user in User.objects.filter(email__in=DEMO_EMAILS, is_active=True)
                }
            )
        with generator.timed("products"):
            catalogue = generator.products(products)
        with generator.timed("purchase behaviour"):
            purchases = simulate_purchases(
                customers=customers, orders=orders, span_days=SPAN_DAYS, rng=generator.rng("behaviour")
            )
        with generator.timed("customers"):
            people = generator.customers(customers, purchases.counts, purchases.first_day, users)
        with generator.timed("orders"), plain_indexes_deferred([Order, OrderLine, Shipment, TimelineEvent]):
            generator.orders(purchases.day, purchases.customer, people, catalogue)
        with generator.timed("wishlists and notes"):
            generator.extras(people, catalogue, users)
            result.counts["timeline_events"] = generator.events.written
        reset_sequences(
            [
                Product,
                Customer,
                Identity,
                Customer.tags.through,
                Preference,
                Order,
                OrderLine,
                Shipment,
                WishlistItem,
                Note,
                TimelineEvent,
            ]
        )
        with generator.timed("desk"):
            configure_desk(users)
            configure_channels()
            bar = generator.phase("conversations", conversations)
            before = last_outbound_id()
            result.counts["conversations"] = seed_conversations(
                users=users, count=conversations, now=timezone.now(), seed=seed, progress=bar.update
            )
            settle_demo_replies(after_id=before)
            bar.close()
        with generator.timed("recovery"):
            configure_recovery(users)
            result.counts["recovery_actions"] = seed_recovery(users=users, seed=seed)
        with generator.timed("listening"):
            result.counts.update(seed_listening(now=generator.now, seed=seed))
            # Listening writes to the timeline too (surveys sent and answered, alerts, follow-ups).
            result.counts["timeline_events"] = TimelineEvent.objects.count()
        with generator.timed("insights"):
            fit = refresh_customer_values(now=generator.now)
            result.counts["customer_values"] = fit.customers if fit is not None else 0
            result.counts["health_scores"] = refresh_health(now=generator.now)
            result.counts["recommendations"] = refresh_recommendations(now=generator.now).recommendations
        AuditEntry.objects.create(
            actor_label="system",
            via="system",
            action="demo.seed",
            target_type="demo",
            target_id=str(seed),
            target_label=f"Demo data, seed {seed}",
            after=dict(result.counts),
        )
    # Planner statistics for the tables just filled: without them PostgreSQL plans the first queries
    # as if the tables were empty (measured: list pages 3-5x slower until autovacuum catches up).
    with generator.timed("statistics"), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return result
