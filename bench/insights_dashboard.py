"""Benchmark the service dashboard (page and API) over generated conversations in an in-memory SQLite database.

Generates a year of conversations (200,000 by default) across six channels, five teams and forty agents,
half under an SLA policy on a 9-17 London calendar and half around the clock, with first responses,
resolutions, SLA due times and breaches, and one inbound message each; then times the page for 7, 30 and
90 days, the page filtered by team, and the API's summary, giving p50/p95 of repeated requests and the
number of queries of one request. The process is pinned to one CPU and BLAS to one thread.

--explain prints the plan of every query of the 90-day report first: EXPLAIN QUERY PLAN on SQLite, or
EXPLAIN ANALYZE on PostgreSQL (set DATABASE_URL; the test database is made beside the one named there).

    .venv/bin/python bench/insights_dashboard.py [--conversations 200000] [--requests 20] [--explain]
        [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCHMARKS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- insights:service-dashboard:start -->", "<!-- insights:service-dashboard:end -->"
CHANNELS = ["email", "chat", "phone", "web", "social", "api"]


def _test_database() -> None:
    """Django on a fresh in-memory SQLite test database (as in the test suite)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)


def generate(count: int, seed: int) -> dict[str, object]:
    """A year of conversations up to now; returns the users and teams the timings need."""
    from rapport.accounts.models import Role, Team, User
    from rapport.customers.models import Customer
    from rapport.desk.models import BusinessCalendar, Conversation, Message, SlaPolicy

    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    teams = [Team.objects.create(name=f"Team {n}") for n in range(5)]
    agents = [
        User.objects.create_user(
            email=f"agent{n}@bench.test",
            password="x",
            role=Role.AGENT,
            team=teams[n % 5],
            full_name=f"Agent {n}",
        )
        for n in range(40)
    ]
    lead = User.objects.create_user(email="lead@bench.test", password="x", role=Role.LEAD)
    calendar = BusinessCalendar.objects.create(
        name="Nine to five", time_zone="Europe/London", weekly_hours=[[[540, 1020]]] * 5 + [[], []]
    )
    business = SlaPolicy.objects.create(
        name="Business", calendar=calendar, first_response_minutes=60, resolution_minutes=480
    )
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Bench {n}") for n in range(count // 10)], batch_size=5000
    )

    opened = now - timedelta(days=365) * rng.random(count)
    first_reply = rng.lognormal(mean=4.0, sigma=1.2, size=count)  # minutes of wall time
    resolve = first_reply + rng.lognormal(mean=6.5, sigma=1.0, size=count)
    answered = rng.random(count) < 0.95
    done = rng.random(count) < 0.9
    under_policy = rng.random(count) < 0.5
    batch = 5000
    with tqdm(total=count, unit="conv", file=sys.stderr, disable=None, desc="generating") as bar:
        for first in range(0, count, batch):
            rows = []
            for i in range(first, min(first + batch, count)):
                created = opened[i].item() if hasattr(opened[i], "item") else opened[i]
                reply = created + timedelta(minutes=float(first_reply[i]))
                finished = created + timedelta(minutes=float(resolve[i]))
                answered_now = bool(answered[i]) and reply < now
                done_now = bool(done[i]) and answered_now and finished < now
                policy = bool(under_policy[i])
                fr_due = created + timedelta(hours=2) if policy else None
                res_due = created + timedelta(hours=24) if policy else None
                agent = agents[int(rng.integers(0, len(agents)))]
                rows.append(
                    Conversation(
                        customer=customers[i % len(customers)],
                        channel=CHANNELS[int(rng.integers(0, len(CHANNELS)))],
                        subject="bench",
                        status=("closed" if rng.random() < 0.5 else "resolved") if done_now else "open",
                        team_id=agent.team_id,
                        assignee=agent,
                        sla_policy=business if policy else None,
                        first_response_due_at=fr_due,
                        resolution_due_at=res_due,
                        first_response_breached=bool(policy and answered_now and reply > fr_due),
                        resolution_breached=bool(policy and done_now and finished > res_due),
                        first_response_at=reply if answered_now else None,
                        resolved_at=finished if done_now else None,
                        closed_at=finished if done_now else None,
                        created_at=created,
                        last_message_at=created,
                        token=f"bench{i}",
                    )
                )
            made = Conversation.objects.bulk_create(rows, batch_size=batch)
            Message.objects.bulk_create(
                [
                    Message(conversation=c, kind="inbound", channel=c.channel, created_at=c.created_at)
                    for c in made
                ],
                batch_size=batch,
            )
            bar.update(len(rows))
    return {"lead": lead, "team": teams[0]}


def explain(lead: object, days: int) -> None:
    """Print each query of the report with its plan, as the database runs it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rapport.accounts.permissions import Actor
    from rapport.insights.reports import service as reports

    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("VACUUM ANALYZE")  # statistics, and the visibility map for index-only scans
        with CaptureQueriesContext(connection) as queries:
            reports.service_report(Actor(user=lead), period=reports.period_of(days))  # type: ignore[arg-type]
        print(f"{len(queries.captured_queries)} queries for the {days}-day report")
        for query in queries.captured_queries:
            sql = query["sql"]
            cursor.execute(("EXPLAIN ANALYZE " if postgres else "EXPLAIN QUERY PLAN ") + sql)
            print(f"\n{sql[:300]}{' ...' if len(sql) > 300 else ''}")
            for row in cursor.fetchall():
                print("    " + str(row[-1]))


def count_queries(client: object, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)  # type: ignore[attr-defined]
    return len(queries.captured_queries)


def timings(client: object, url: str, requests: int) -> tuple[float, float]:
    client.get(url)  # type: ignore[attr-defined]
    found = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(found), float(np.percentile(found, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--explain", action="store_true", help="print the plan of each query of the report")
    parser.add_argument("--write-docs", action="store_true", help="put the table in docs/benchmarks.md")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    _test_database()
    from django.db import connection
    from django.test import Client

    from rapport.desk.models import Conversation

    started = time.perf_counter()
    made = generate(args.conversations, args.seed)
    generate_s = time.perf_counter() - started
    if args.explain:
        explain(made["lead"], 90)
    client = Client()
    client.force_login(made["lead"])  # type: ignore[arg-type]
    team = made["team"]
    cases = [
        ("page, last 7 days", "/insights/service/?days=7"),
        ("page, last 30 days", "/insights/service/?days=30"),
        ("page, last 90 days", "/insights/service/?days=90"),
        ("page, 90 days, one team", f"/insights/service/?days=90&team={team.pk}"),  # type: ignore[attr-defined]
        ("page, 365 days (from/to)", "/insights/service/?from={}&to={}"),
        ("CSV of the agents table, 90 days", "/insights/service/?days=90&format=csv&table=agents"),
        ("API summary, 90 days", "/api/v1/insights/service?days=90"),
    ]
    today = datetime.now(UTC).date()
    load_before = os.getloadavg()[0]
    rows = []
    with (
        threadpool_limits(limits=1),
        tqdm(total=len(cases), unit="case", file=sys.stderr, disable=None) as bar,
    ):
        for label, url in cases:
            bar.set_description(label)
            url = url.format((today - timedelta(days=364)).isoformat(), today.isoformat())
            p50, p95 = timings(client, url, args.requests)
            rows.append(f"| {label} | {p50:.0f} ms | {p95:.0f} ms | {count_queries(client, url)} |")
            bar.update()
    body = "\n".join(
        [
            f"### Service dashboard over generated data (`bench/insights_dashboard.py`, {today.isoformat()})",
            "",
            f"{'In-memory SQLite' if connection.vendor == 'sqlite' else connection.vendor}, "
            f"{Conversation.objects.count():,} conversations over a year (one inbound message "
            f"each; half on a 9-17 London calendar), generated in {generate_s:.0f} s. One core (process pinned, "
            f"BLAS one thread), Python {platform.python_version()}, on the project's 2-core development machine "
            f"shared with other work (load average {load_before:.1f} before the timings, {os.getloadavg()[0]:.1f} "
            f"after); {args.requests} requests per case after one warm-up.",
            "",
            "| request | p50 | p95 | queries |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    print(body)
    if args.write_docs:
        document = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
        fenced = f"{START}\n{body}\n{END}"
        if START in document and END in document:
            before, rest = document.split(START, 1)
            document = before + fenced + rest.split(END, 1)[1]
        else:
            document = document.rstrip("\n") + f"\n\n## Insights\n\n{fenced}\n"
        BENCHMARKS.write_text(document, encoding="utf-8")
        print(f"wrote {BENCHMARKS}")


if __name__ == "__main__":
    main()
