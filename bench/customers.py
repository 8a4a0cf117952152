"""Benchmark the customer list search, the 360 page and GET /api/v1/customers/{id} at scale.

Seeds a separate SQLite database (or uses DATABASE_URL) with --customers / --orders of demo data once,
then prints p50/p95 server time and SQL query counts for each. Run by hand or with `make bench`:

    .venv/bin/python bench/customers.py --customers 100000 --orders 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measured endpoint")
    parser.add_argument("--data-dir", default=str(ROOT / "bench" / "out"))
    args = parser.parse_args()

    data_dir = Path(args.data_dir) / f"c{args.customers}-o{args.orders}"
    os.environ.setdefault("RAPPORT_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rapport.accounts.models import User
    from rapport.accounts.permissions import Actor
    from rapport.accounts.services import create_api_token
    from rapport.commerce.models import Order
    from rapport.customers.models import Customer, Identity

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not Customer.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", customers=args.customers, products=300, orders=args.orders, seed=42)
        print(
            f"seeded {args.customers:,} customers / {args.orders:,} orders in {time.perf_counter() - started:.1f} s"
        )
    db = connection.vendor
    print(
        f"database: {db} · customers {Customer.objects.count():,} · orders {Order.objects.count():,} · "
        f"identities {Identity.objects.count():,}"
    )

    admin = User.objects.get(email="admin@demo.test")
    client = Client()
    client.force_login(admin)
    token = create_api_token(
        actor=Actor(user=admin), name="bench", scopes=["customers:read", "commerce:read"]
    ).raw
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    rng = random.Random(7)
    max_id = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 1
    ids = list(
        Customer.objects.filter(merged_into__isnull=True).values_list("id", flat=True)[
            :: max(1, max_id // 5000)
        ]
    )
    busiest = Order.objects.values("customer_id").annotate(n=Count("id")).order_by("-n")[:1]
    busiest_id = busiest[0]["customer_id"] if busiest else ids[0]
    emails = list(Identity.objects.filter(kind="email").values_list("value", flat=True)[::997][:50])
    phones = list(Identity.objects.filter(kind="phone").values_list("value", flat=True)[::991][:50])
    numbers = list(Order.objects.values_list("number", flat=True)[::9973][:50])
    names = [n.split()[-1] for n in Customer.objects.values_list("name", flat=True)[::1999][:50] if n]

    def measure(label: str, make_request: object, n: int) -> None:
        times: list[float] = []
        queries: list[int] = []
        for i in range(n):
            # The query log is a bounded deque; once full, captured counts would read as zero.
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = make_request(i)  # type: ignore[operator]
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
            queries.append(len(captured))
        print(
            f"{label:<44} p50 {statistics.median(times):7.1f} ms   p95 {percentile(times, 95):7.1f} ms   "
            f"queries {min(queries)}–{max(queries)}"
        )

    n = args.requests
    print(f"\n{n} requests each, in-process (Django test client), server time only")
    measure("list: first page, no filter", lambda i: client.get("/customers/"), n)
    measure("search: surname", lambda i: client.get("/customers/", {"q": names[i % len(names)]}), n)
    measure(
        "search: email prefix", lambda i: client.get("/customers/", {"q": emails[i % len(emails)][:8]}), n
    )
    measure("search: full email", lambda i: client.get("/customers/", {"q": emails[i % len(emails)]}), n)
    measure("search: phone", lambda i: client.get("/customers/", {"q": phones[i % len(phones)]}), n)
    measure("search: order number", lambda i: client.get("/customers/", {"q": numbers[i % len(numbers)]}), n)
    measure("list: tag filter", lambda i: client.get("/customers/", {"tag": "vip"}), n)
    measure("360 page: random customers", lambda i: client.get(f"/customers/{rng.choice(ids)}/"), n)
    measure("360 page: customer with most orders", lambda i: client.get(f"/customers/{busiest_id}/"), n)
    measure("GET /api/v1/customers/{id}", lambda i: api.get(f"/api/v1/customers/{rng.choice(ids)}"), n)
    measure(
        "GET /api/v1/customers?q=surname",
        lambda i: api.get("/api/v1/customers", {"q": names[i % len(names)]}),
        n,
    )


if __name__ == "__main__":
    main()
