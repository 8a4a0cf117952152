"""Benchmark the value and health refreshes and the relationships dashboard over generated customers.

Generates customers (100,000 by default) whose paid orders over two years follow the BG/NBD story
(each buys at their own Poisson rate until they drop out), in an in-memory SQLite test database; then
times the lifetime-value refresh (read every order, fit BG/NBD and Gamma-Gamma, store every customer's
value and tier, and count and store the purchase history the page's defection and cohorts come from), the
health refresh, and the relationships page for 12 and 24 months: its first view and p50/p95 of the views
after it, all reading the stored history; then, with the stored history deleted, the first view that
falls back to reading the orders (a fresh install before its first refresh). The process is pinned to one
CPU and BLAS to one thread; one view of the empty store first warms the process up, as a server's is.

    .venv/bin/python bench/insights_relationships.py [--customers 100000] [--requests 10] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from insights_dashboard import BENCHMARKS, _test_database, timings  # noqa: E402

START, END = "<!-- insights:relationships:start -->", "<!-- insights:relationships:end -->"
DAYS = 730


def generate(customers: int, seed: int) -> int:
    """Customers with paid orders over two years; returns how many orders."""
    from rapport.commerce.models import Order
    from rapport.customers.models import Customer

    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    made = Customer.objects.bulk_create(
        [Customer(name=f"Customer {n}") for n in range(customers)], batch_size=5000
    )
    first = rng.uniform(0, DAYS, customers)  # days before now of the first order
    rate = rng.gamma(0.6, 1 / 25, customers)  # orders a day while active
    lifetime = rng.exponential(rng.uniform(60, 900, customers))  # days until they drop out
    orders = []
    number = 0
    for i, customer in enumerate(made):
        span = min(first[i], lifetime[i])
        repeats = rng.poisson(rate[i] * span)
        ages = np.concatenate([[first[i]], first[i] - np.sort(rng.uniform(0, span, repeats))])
        spend = rng.gamma(6.0, 12.0)
        for age in ages:
            number += 1
            orders.append(
                Order(
                    number=f"B{number:08d}",
                    customer=customer,
                    placed_at=now - timedelta(days=float(age)),
                    total=Decimal(f"{max(1.0, rng.normal(spend, spend / 4)):.2f}"),
                )
            )
        if len(orders) >= 20_000:
            Order.objects.bulk_create(orders)
            orders = []
    Order.objects.bulk_create(orders)
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--write-docs", action="store_true", help="put the table in docs/benchmarks.md")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    _test_database()
    from django.test import Client

    from rapport.accounts.models import Role, User
    from rapport.insights.models import PurchaseHistory
    from rapport.insights.services.health import refresh_health
    from rapport.insights.services.value import refresh_customer_values

    client = Client()
    client.force_login(User.objects.create_user(email="analyst@bench.test", password="x", role=Role.ANALYST))
    # A server's process has served pages before: load the view, templates and sessions on the empty store.
    assert client.get("/insights/relationships/").status_code == 200
    started = time.perf_counter()
    orders = generate(args.customers, args.seed)
    generate_s = time.perf_counter() - started
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        fit = refresh_customer_values()
        value_s = time.perf_counter() - started
        started = time.perf_counter()
        scored = refresh_health()
        health_s = time.perf_counter() - started
        history_s = PurchaseHistory.objects.get().seconds
        pages = []
        for months in (12, 24):
            url = f"/insights/relationships/?months={months}"
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            first_ms = (time.perf_counter() - started) * 1000
            pages.append((months, first_ms, *timings(client, url, args.requests)))
        PurchaseHistory.objects.all().delete()
        unstored = []
        for months in (12, 24):
            started = time.perf_counter()
            assert client.get(f"/insights/relationships/?months={months}").status_code == 200
            unstored.append((months, (time.perf_counter() - started) * 1000))

    assert fit is not None
    today = datetime.now(UTC).date().isoformat()
    body = "\n".join(
        [
            f"### Lifetime value, health and the relationships page (`bench/insights_relationships.py`, {today})",
            "",
            f"In-memory SQLite: {args.customers:,} customers with {orders:,} paid orders over two years, "
            f"generated in {generate_s:.0f} s (each buys at their own rate until they drop out). One core "
            f"(process pinned, BLAS one thread), Python {platform.python_version()}, on the project's 2-core "
            f"development machine (load average {os.getloadavg()[0]:.2f} at the end); {args.requests} requests per "
            "page after one warm-up.",
            "",
            "| what | figure |",
            "|---|---|",
            f"| value refresh: read the orders, fit BG/NBD (r {fit.r:.3f}, alpha {fit.alpha:.1f}, a {fit.a:.3f}, "
            f"b {fit.b:.3f}) and Gamma-Gamma, store {fit.customers:,} values and tiers, count and store the "
            f"purchase history ({history_s:.1f} s of it) | {value_s:.1f} s |",
            f"| health refresh, {scored:,} customers | {health_s:.1f} s |",
            *[
                f"| relationships page, {months} months, stored history: first view / p50 / p95 "
                f"| {first:.0f} ms / {p50:.0f} / {p95:.0f} ms |"
                for months, first, p50, p95 in pages
            ],
            *[
                f"| relationships page, {months} months, no history stored yet (orders read): one view "
                f"| {ms:.0f} ms |"
                for months, ms in unstored
            ],
        ]
    )
    print(body)
    if args.write_docs:
        document = BENCHMARKS.read_text(encoding="utf-8")
        fenced = f"{START}\n{body}\n{END}"
        if START in document and END in document:
            before, rest = document.split(START, 1)
            document = before + fenced + rest.split(END, 1)[1]
        else:
            document = document.rstrip("\n") + f"\n\n{fenced}\n"
        BENCHMARKS.write_text(document, encoding="utf-8")
        print(f"wrote {BENCHMARKS}")


if __name__ == "__main__":
    main()
