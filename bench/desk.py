"""Benchmark the desk: inbox pages, the conversation page and full-text search at scale.

Seeds a separate SQLite database under bench/out/ (or uses DATABASE_URL) with --conversations and
--messages once, then prints p50/p95 server time and SQL query counts, signed in as an agent. Run it by
hand or with `make bench-desk`; run it again with --conversations 2000 --messages 20000 to see that the
pages' query counts do not depend on the size:

    nice .venv/bin/python bench/desk.py --conversations 200000 --messages 2000000

On PostgreSQL, create the database first (createdb -h 127.0.0.1 -U postgres rapport_bench_desk), then
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rapport_bench_desk nice .venv/bin/python bench/desk.py
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEAMS = 8
AGENTS_PER_TEAM = 20
CUSTOMERS = 5000
TAGS = [
    "delivery",
    "refund",
    "exchange",
    "damaged",
    "vip",
    "wholesale",
    "invoice",
    "warranty",
    "size",
    "missing-item",
    "address",
    "payment",
    "voucher",
    "complaint",
    "praise",
    "press",
    "b2b",
    "return",
    "gift",
    "subscription",
    "bulk",
    "pre-order",
    "backorder",
    "repair",
    "fraud-check",
]
# The head of the vocabulary: what people write to a shop, most frequent first.
_COMMON_TEXT = (
    "the i to and a my you for is of it in order this that have not on be with can your please was "
    "we but as at will me thank thanks hi hello if do would what are so just an from get know there "
    "when no any they still could like been received did one all today time back need help "
    "delivery parcel refund item size return package address tracking number week days email "
    "payment card account invoice dress shoes jacket colour broken damaged wrong missing late arrived "
    "exchange replacement voucher discount code price charged twice cancel cancelled subscription "
    "store online website app login password stock available restock gift wrap courier driver "
    "weekend monday friday morning afternoon label box photo attached sorry unfortunately happy "
    "regards best kind customer service team update status shipped dispatched warehouse"
)
COMMON = _COMMON_TEXT.split()
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou", "ee")]


def percentile(samples: Sequence[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Words:
    """A Zipf-distributed vocabulary: a few words in most messages, a long tail of rare ones."""

    def __init__(self, rng: random.Random, size: int = 30_000) -> None:
        seen = set(COMMON)
        tail: list[str] = []
        while len(tail) < size - len(COMMON):
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                tail.append(word)
        self.vocabulary = COMMON + tail
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.vocabulary))]
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.vocabulary, cum_weights=self.cumulative, k=k)

    def rank_of_frequency(self, share: float) -> int:
        """The rank of the word drawn about `share` of the time."""
        total = self.cumulative[-1]
        for rank in range(len(self.vocabulary)):
            if (1 / (rank + 1) ** 1.05) / total < share:
                return rank
        return len(self.vocabulary) - 1


def fast_insert(
    model: Any, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], batch: int = 5000
) -> int:
    """INSERT many rows through the Django connection, filling the other columns with field defaults.

    Far faster than bulk_create for millions of rows: no model instances, one executemany per batch.
    Datetimes given are converted here; other values must already be what the column stores.
    """
    from django.db import connection

    fields = {f.attname: f for f in model._meta.concrete_fields}
    given = [fields[name] for name in columns]
    # An id not given is left to the database (NULL would be refused by PostgreSQL).
    rest = [f for f in fields.values() if f.attname not in columns and not f.primary_key]
    constants = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    datetimes = [i for i, f in enumerate(given) if f.get_internal_type() == "DateTimeField"]
    adapt = connection.ops.adapt_datetimefield_value
    names = ", ".join(connection.ops.quote_name(f.column) for f in [*given, *rest])
    marks = ", ".join(["%s"] * (len(given) + len(rest)))
    sql = f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({marks})"
    written = 0
    with connection.cursor() as cursor:
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            if datetimes:
                values = list(row)
                for i in datetimes:
                    values[i] = adapt(values[i])
                row = tuple(values)
            chunk.append(row + constants)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            written += len(chunk)
    return written


def seed(conversations: int, messages: int, seed_value: int) -> None:
    """Staff, customers, tags, conversations with SLA clocks and messages, the search index, ANALYZE."""
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from tqdm import tqdm

    from rapport.accounts.models import Role, Team, User
    from rapport.customers.models import Customer, Tag
    from rapport.desk.models import (
        Channel,
        Conversation,
        Message,
        MessageKind,
        Priority,
        SlaPolicy,
        SlaState,
        Status,
        TeamDesk,
    )

    rng = random.Random(seed_value)
    words = Words(rng)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")

    with transaction.atomic():
        teams = [Team.objects.create(name=f"Bench team {i + 1}") for i in range(TEAMS)]
        # The last team is private: agents of other teams must not see its conversations.
        for i, team in enumerate(teams):
            TeamDesk.objects.create(team=team, is_private=i == TEAMS - 1)
        password = make_password(None)
        staff = [
            User(
                email=f"agent{t}-{a}@bench.test",
                full_name=f"Agent {t}-{a}",
                role=Role.LEAD if a == 0 else Role.AGENT,
                team=teams[t],
                password=password,
            )
            for t in range(TEAMS)
            for a in range(AGENTS_PER_TEAM)
        ]
        User.objects.bulk_create(staff)
        User.objects.create(email="admin@bench.test", role=Role.ADMIN, password=password)
        agents_by_team = [
            list(User.objects.filter(team=team).order_by("id").values_list("id", flat=True)) for team in teams
        ]
        tags = Tag.objects.bulk_create([Tag(name=name) for name in TAGS])
        policies = [
            SlaPolicy.objects.create(
                name="Urgent",
                position=0,
                priority=Priority.URGENT,
                first_response_minutes=60,
                resolution_minutes=8 * 60,
            ),
            SlaPolicy.objects.create(
                name="Standard", position=1, first_response_minutes=8 * 60, resolution_minutes=3 * 24 * 60
            ),
        ]
        Customer.objects.bulk_create(
            [
                Customer(
                    name=f"{rng.choice(COMMON[80:]).title()} {rng.choice(words.vocabulary[300:])}".title()
                )
                for _ in range(CUSTOMERS)
            ],
            batch_size=2000,
        )
        customer_ids = list(Customer.objects.values_list("id", flat=True))

    # Message counts: mean messages/conversations, at least one, a long tail of long threads.
    mean = messages / conversations
    counts = [max(1, round(rng.gammavariate(2.0, mean / 2))) for _ in range(conversations)]
    span = timedelta(days=730).total_seconds()
    created = sorted(now.timestamp() - rng.random() ** 1.3 * span for _ in range(conversations))

    statuses = [Status.NEW, Status.OPEN, Status.PENDING, Status.SNOOZED, Status.RESOLVED, Status.CLOSED]
    priorities = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
    channels = [Channel.EMAIL, Channel.EMAIL, Channel.EMAIL, Channel.CHAT, Channel.WEB, Channel.PHONE]
    conversation_rows: list[tuple[Any, ...]] = []
    # (created_at timestamp, conversation id, kind, author id) for every message, sorted later so that
    # message ids follow time across conversations, as they do in a live desk.
    thread: list[tuple[float, int, str, int | None]] = []
    tag_rows: list[tuple[int, int]] = []
    for index in tqdm(range(conversations), desc="conversations", unit="", file=sys.stderr, disable=None):
        pk = index + 1
        opened = created[index]
        team_index = rng.randrange(TEAMS)
        team_id = teams[team_index].pk
        assignee = rng.choice(agents_by_team[team_index])
        at = opened
        kinds: list[str] = []
        for m in range(counts[index]):
            kind = (
                MessageKind.INBOUND
                if m == 0
                else rng.choices([MessageKind.INBOUND, MessageKind.OUTBOUND, MessageKind.NOTE], [45, 45, 10])[
                    0
                ]
            )
            if m:
                at += rng.expovariate(1 / 7200)
            if at > now.timestamp():
                break
            kinds.append(kind)
            thread.append((at, pk, kind, None if kind == MessageKind.INBOUND else assignee))
        last_public = max(t for t, c, k, _ in thread[-len(kinds) :] if k != MessageKind.NOTE)
        inbound = [t for t, c, k, _ in thread[-len(kinds) :] if k == MessageKind.INBOUND]
        replies = [t for t, c, k, _ in thread[-len(kinds) :] if k == MessageKind.OUTBOUND]
        age_days = (now.timestamp() - last_public) / 86400
        if age_days < 2:
            status = rng.choices(statuses, [25, 40, 20, 5, 10, 0])[0]
        elif age_days < 7:
            status = rng.choices(statuses, [5, 15, 20, 10, 45, 5])[0]
        else:
            # A stale backlog: some old conversations are still waiting for someone.
            status = rng.choices(statuses, [0.5, 2, 1.5, 0.5, 5, 90.5])[0]
        active = status in (Status.NEW, Status.OPEN, Status.PENDING, Status.SNOOZED)
        priority = rng.choices(priorities, [15, 65, 15, 5])[0]
        if status == Status.NEW and rng.random() < 0.6:
            assignee = None
        policy = policies[0] if priority == Priority.URGENT else policies[1]
        due = warn = None
        state = SlaState.MET
        first_breached = rng.random() < 0.05
        if active and status not in (Status.PENDING, Status.SNOOZED):
            minutes = policy.first_response_minutes if not replies else policy.resolution_minutes
            due_ts = (replies[0] if replies else opened) + (minutes or 60) * 60 * rng.uniform(0.5, 1.5)
            due = datetime.fromtimestamp(due_ts, UTC)
            warn = due - timedelta(minutes=(minutes or 60) * 0.2)
            state = (
                SlaState.BREACHED
                if due.timestamp() < now.timestamp()
                else (SlaState.NEAR if warn.timestamp() < now.timestamp() else SlaState.OK)
            )
        elif active:
            state = SlaState.PAUSED
        subject = " ".join(words.draw(rng, rng.randint(3, 7))).capitalize()
        opened_at = datetime.fromtimestamp(opened, UTC)
        last_at = datetime.fromtimestamp(last_public, UTC)
        conversation_rows.append(
            (
                pk,
                rng.choice(customer_ids),
                secrets.token_urlsafe(12),
                rng.choice(channels),
                subject,
                status,
                priority,
                team_id,
                assignee,
                policy.pk,
                due,
                warn,
                state,
                first_breached,
                datetime.fromtimestamp(replies[0], UTC) if replies else None,
                last_at,
                datetime.fromtimestamp(inbound[-1], UTC) if inbound else None,
                len(kinds),
                last_at + timedelta(hours=1) if status in (Status.RESOLVED, Status.CLOSED) else None,
                last_at + timedelta(days=4) if status == Status.CLOSED else None,
                now + timedelta(days=rng.randint(1, 5)) if status == Status.SNOOZED else None,
                opened_at,
                last_at,
            )
        )
        if rng.random() < 0.4:
            for tag in rng.sample(tags, rng.randint(1, 2)):
                tag_rows.append((pk, tag.pk))

    with transaction.atomic():
        fast_insert(
            Conversation,
            [
                "id",
                "customer_id",
                "token",
                "channel",
                "subject",
                "status",
                "priority",
                "team_id",
                "assignee_id",
                "sla_policy_id",
                "sla_due_at",
                "sla_warn_at",
                "sla_state",
                "first_response_breached",
                "first_response_at",
                "last_message_at",
                "last_inbound_at",
                "message_count",
                "resolved_at",
                "closed_at",
                "snoozed_until",
                "created_at",
                "updated_at",
            ],
            tqdm(conversation_rows, desc="insert conversations", unit="", file=sys.stderr, disable=None),
        )
        fast_insert(Conversation.tags.through, ["conversation_id", "tag_id"], tag_rows)
    channel_of = {row[0]: row[3] for row in conversation_rows}
    del conversation_rows

    thread.sort()

    def message_rows() -> Iterator[tuple[Any, ...]]:
        for pk, (at, conversation_id, kind, author) in enumerate(thread, start=1):
            body = words.draw(rng, rng.randint(8, 60))
            if kind == MessageKind.INBOUND and rng.random() < 0.2:
                body.insert(rng.randrange(len(body)), f"#R{rng.randrange(10**6):06d}")
            text = " ".join(body).capitalize() + "."
            yield (
                pk,
                conversation_id,
                kind,
                channel_of[conversation_id],
                author,
                text,
                datetime.fromtimestamp(at, UTC),
            )

    search_index = importlib.import_module("rapport.desk.migrations.0002_search_index")
    if connection.vendor == "postgresql":
        # Building a GIN index once is many times faster than updating it row by row.
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS desk_message_search_idx")
    bar = tqdm(total=len(thread), desc="insert messages + index", unit="", file=sys.stderr, disable=None)
    rows = message_rows()
    while True:
        # Commit every 100,000 rows: one transaction of millions would hold the whole FTS5 delta in memory.
        block = list(itertools.islice(rows, 100_000))
        if not block:
            break
        with transaction.atomic():
            fast_insert(
                Message,
                ["id", "conversation_id", "kind", "channel", "author_id", "body_text", "created_at"],
                block,
            )
        bar.update(len(block))
    bar.close()

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for statement in search_index.POSTGRES_FORWARD:
                cursor.execute(statement)
        # Explicit ids leave PostgreSQL's sequences at 1; the next row created would collide.
        for statement in connection.ops.sequence_reset_sql(no_style(), [Conversation, Message]):
            cursor.execute(statement)
        if connection.vendor == "sqlite":
            # Fewer, larger FTS5 segments: what a long-running desk's automerge arrives at.
            cursor.execute("INSERT INTO desk_message_search(desk_message_search) VALUES ('optimize')")
            cursor.execute(
                "INSERT INTO desk_conversation_search(desk_conversation_search) VALUES ('optimize')"
            )
        started_analyze = time.perf_counter()
        cursor.execute("ANALYZE")
    print(
        f"seeded {conversations:,} conversations / {len(thread):,} messages in "
        f"{time.perf_counter() - started:.1f} s (ANALYZE {time.perf_counter() - started_analyze:.1f} s)"
    )


def build_queries(rng: random.Random, seed_value: int) -> list[tuple[str, str]]:
    """About fifty searches of five kinds, as (kind, query); words come from the seeded vocabulary."""
    words = Words(random.Random(seed_value))
    vocabulary = words.vocabulary
    common = [w for w in vocabulary[:60] if len(w) > 3][:10]
    middle = vocabulary[200:3000]
    rare = vocabulary[15_000:]
    queries: list[tuple[str, str]] = []
    queries += [("common word", w) for w in common]
    queries += [("rare word", rng.choice(rare)) for _ in range(10)]
    queries += [("two words", f"{rng.choice(middle)} {rng.choice(COMMON[60:])}") for _ in range(10)]
    queries += [("prefix", rng.choice(middle)[:4]) for _ in range(10)]
    queries += [("order number", f"R{rng.randrange(10**6):06d}") for _ in range(10)]
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measured page")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--skip-pages", action="store_true", help="measure search only")
    args = parser.parse_args()

    data_dir = Path(args.data_dir) / f"desk-c{args.conversations}-m{args.messages}"
    os.environ.setdefault("RAPPORT_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rapport.accounts.models import User
    from rapport.accounts.permissions import Actor
    from rapport.desk.models import Conversation, Message
    from rapport.desk.selectors.search import search_conversations

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not Conversation.objects.exists():
        seed(args.conversations, args.messages, args.seed)
    print(
        f"database: {connection.vendor} · conversations {Conversation.objects.count():,} · "
        f"messages {Message.objects.count():,} · active "
        f"{Conversation.objects.filter(status__in=['new', 'open', 'pending', 'snoozed']).count():,}"
    )

    # An agent (not the lead) of a team that is not private.
    agent = User.objects.get(email="agent0-1@bench.test")
    actor = Actor(user=agent)
    client = Client()
    client.force_login(agent)
    rng = random.Random(7)

    def measure(label: str, make_request: Callable[[int], Any], n: int, *, page: bool = True) -> None:
        times: list[float] = []
        queries: list[int] = []
        for i in range(n):
            # The query log is a bounded deque; once full, captured counts would read as zero.
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = make_request(i)
                times.append((time.perf_counter() - started) * 1000)
            if page:
                assert result.status_code == 200, (label, result.status_code)
            queries.append(len(captured))
        print(
            f"{label:<46} p50 {statistics.median(times):7.1f} ms   p95 {percentile(times, 95):7.1f} ms   "
            f"max {max(times):7.1f} ms   queries {min(queries)}–{max(queries)}"
        )

    n = args.requests
    queries = build_queries(rng, args.seed)
    print(f"\n{n} requests each, in-process (Django test client), server time only, signed in as an agent")

    print("\nfull-text search, search_conversations(actor, q) evaluated (100 rows at most)")
    for kind in dict.fromkeys(k for k, _ in queries):
        texts = [q for k, q in queries if k == kind]
        measure(
            f"search: {kind}",
            lambda i, texts=texts: list(search_conversations(actor, texts[i % len(texts)])),
            n // 5,
            page=False,
        )
    all_texts = [q for _, q in queries]
    measure(
        "search: all 50 queries",
        lambda i: list(search_conversations(actor, all_texts[i % 50])),
        n,
        page=False,
    )
    counts = [len(list(search_conversations(actor, q))) for q in all_texts]
    print(
        f"  results per query: min {min(counts)}, median {statistics.median(counts):.0f}, max {max(counts)}"
    )

    inbox = client.get("/desk/")
    if args.skip_pages or inbox.status_code == 501:
        print("\ninbox and conversation pages: not measured (--skip-pages, or the pages answer 501)")
        return

    print("\npages")
    for view in ("open", "mine", "unassigned", "breaching"):
        measure(f"inbox first page: {view}", lambda i, view=view: client.get("/desk/", {"view": view}), n)
    measure(
        "inbox ?q= (50 queries, view all)",
        lambda i: client.get("/desk/", {"view": "all", "q": all_texts[i % 50]}),
        n,
    )
    measure(
        "inbox ?q= (50 queries, view open)",
        lambda i: client.get("/desk/", {"view": "open", "q": all_texts[i % 50]}),
        n,
    )
    ids = list(
        Conversation.objects.filter(message_count__range=(9, 11), team__desk__is_private=False)
        .order_by("?")
        .values_list("id", flat=True)[:100]
    )
    measure(
        "conversation page (9–11 messages)",
        lambda i: client.get(f"/desk/conversations/{ids[i % len(ids)]}/"),
        n,
    )
    longest = Conversation.objects.filter(team__desk__is_private=False).order_by("-message_count").first()
    if longest is not None:
        measure(
            f"conversation page (longest, {longest.message_count} messages)",
            lambda i: client.get(f"/desk/conversations/{longest.pk}/"),
            n // 4,
        )


if __name__ == "__main__":
    main()
