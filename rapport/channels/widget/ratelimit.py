"""Request counters per minute in the database, so every gunicorn process counts against one limit.

A counter is one row per (bucket, minute), raised with a single INSERT ... ON CONFLICT DO UPDATE
... RETURNING (SQLite 3.35+, PostgreSQL 9.5+): two processes racing on the same bucket both count and
neither fails. Fixed one-minute windows are coarse (a burst across a minute boundary may reach twice
the limit for a moment) but need no more than that one statement a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from rapport.channels.models import WidgetRateCounter

# Counters older than this many minutes are never read again; the sweep deletes them.
KEEP_MINUTES = 5


@dataclass(frozen=True)
class Limit:
    scope: str
    per_minute: int


# Writes from one address: form posts, chat messages, call-backs, new visitors.
IP_WRITES = Limit("ip-writes", 60)
# Messages (chat, contact form, call-back requests) from one visitor.
VISITOR_MESSAGES = Limit("visitor-messages", 20)
# Typing flags from one visitor: the widget sends one every few seconds at most while keys are pressed.
VISITOR_TYPING = Limit("visitor-typing", 60)


class RateLimited(Exception):
    def __init__(self, limit: Limit, retry_after: int) -> None:
        super().__init__(f"more than {limit.per_minute} requests a minute ({limit.scope})")
        self.limit = limit
        self.retry_after = retry_after


def _minute(now: datetime) -> int:
    return int(now.timestamp()) // 60


def count_request(*, limit: Limit, key: str, now: datetime) -> int:
    """Count one request in the bucket's current minute and return the count so far."""
    table = connection.ops.quote_name(WidgetRateCounter._meta.db_table)
    count = connection.ops.quote_name("count")
    sql = (
        f"INSERT INTO {table} (bucket, minute, {count}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT (bucket, minute) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{limit.scope}:{key}"[:120], _minute(now)])
        row = cursor.fetchone()
    return int(row[0])


def check_rate(*, limit: Limit, key: str, now: datetime) -> None:
    """Raise RateLimited (with the seconds until the minute turns) once the bucket is over its limit."""
    if count_request(limit=limit, key=key, now=now) > limit.per_minute:
        raise RateLimited(limit, retry_after=60 - int(now.timestamp()) % 60)


def delete_old_counters(*, now: datetime) -> int:
    deleted, _ = WidgetRateCounter.objects.filter(minute__lt=_minute(now) - KEEP_MINUTES).delete()
    return deleted
