"""Benchmark the approval decision: how long deciding a recovery action by the empowerment policy takes.

One decision is what propose_action does before it writes anything: find the person's policy (their
team's or their role's), the customer's value tier (their paid orders of the last 365 days), what was
already granted to the customer in the policy's window and by the person today, then the pure rules.
Seeds a fresh SQLite database under bench/out/recovery/ (or uses DATABASE_URL) with --customers
customers, about --orders orders, --history recovery actions spread over 60 days by 50 agents, then
times --decisions decisions on random agents and customers; prints p50/p95/p99 in milliseconds, the
SQL queries per decision, and the pure rules alone for comparison. Run by hand or `make bench-recovery`:

    nice .venv/bin/python bench/recovery_policy.py --decisions 5000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out" / "recovery"


def _setup(fresh: bool) -> None:
    if not os.environ.get("DATABASE_URL"):
        if fresh and OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True, exist_ok=True)
        os.environ["RAPPORT_DATA_DIR"] = str(OUT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(*, customers: int, orders: int, history: int, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from rapport.accounts.models import Role, Team, User
    from rapport.commerce.models import Order
    from rapport.customers.models import Customer
    from rapport.recovery.models import EmpowermentPolicy, RecoveryAction

    if Customer.objects.exists():
        return
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        teams = [Team.objects.create(name=f"Team {n}") for n in range(5)]
        User.objects.bulk_create(
            User(email=f"agent{n}@bench.test", full_name=f"Agent {n}", role=Role.AGENT, team=teams[n % 5])
            for n in range(50)
        )
        EmpowermentPolicy.objects.create(
            role="agent",
            per_action_limit=Decimal("50"),
            per_customer_limit=Decimal("150"),
            per_customer_window_days=30,
            per_agent_daily_limit=Decimal("400"),
        )
        EmpowermentPolicy.objects.create(
            role="agent",
            team=teams[0],
            per_action_limit=Decimal("80"),
            per_customer_limit=Decimal("200"),
            per_customer_window_days=30,
            per_agent_daily_limit=Decimal("600"),
        )
        Customer.objects.bulk_create(Customer(name=f"Customer {n}") for n in range(customers))
        customer_ids = list(Customer.objects.values_list("pk", flat=True))
        agent_ids = list(User.objects.values_list("pk", flat=True))
        bar = tqdm(total=orders + history, desc="seeding", unit="row", file=sys.stderr)
        batch: list[Order] = []
        for n in range(orders):
            total = Decimal(rng.randint(500, 40000)) / 100
            batch.append(
                Order(
                    number=f"B{n:08d}",
                    customer_id=rng.choice(customer_ids),
                    status=rng.choice(["paid", "fulfilled", "fulfilled", "refunded"]),
                    placed_at=now - timedelta(days=rng.uniform(0, 730)),
                    total=total,
                )
            )
            if len(batch) == 5000:
                Order.objects.bulk_create(batch)
                bar.update(len(batch))
                batch = []
        Order.objects.bulk_create(batch)
        bar.update(len(batch))
        actions: list[RecoveryAction] = []
        for _ in range(history):
            decided = now - timedelta(days=rng.uniform(0, 60))
            automatic = rng.random() < 0.8
            actions.append(
                RecoveryAction(
                    customer_id=rng.choice(customer_ids),
                    kind=rng.choice(["refund", "replacement", "goodwill_credit", "free_shipping"]),
                    reason=rng.choice(["carrier", "our_mistake", "lost_or_stolen", "goodwill"]),
                    amount=Decimal(rng.randint(100, 8000)) / 100,
                    status=rng.choice(["approved", "sent", "done", "done", "cancelled"]),
                    requested_by_id=rng.choice(agent_ids),
                    approved_automatically=automatic,
                    decided_at=decided,
                    created_at=decided,
                    updated_at=decided,
                )
            )
            if len(actions) == 5000:
                RecoveryAction.objects.bulk_create(actions)
                bar.update(len(actions))
                actions = []
        RecoveryAction.objects.bulk_create(actions)
        bar.update(len(actions))
        bar.close()


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--history", type=int, default=50_000, help="recovery actions already granted")
    parser.add_argument("--decisions", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="seed the SQLite database again")
    args = parser.parse_args()
    _setup(args.fresh)
    _seed(customers=args.customers, orders=args.orders, history=args.history, seed=args.seed)

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rapport.accounts.models import User
    from rapport.customers.models import Customer
    from rapport.recovery import rules, selectors

    rng = random.Random(args.seed)
    agents = list(User.objects.filter(email__endswith="@bench.test"))
    customer_ids = list(Customer.objects.values_list("pk", flat=True))
    kinds = ["refund", "replacement", "goodwill_credit", "free_shipping"]
    timings: list[float] = []
    # CPU time of this thread too (SQLite runs in it): on a shared machine the wall clock's tail is mostly
    # waiting for a core.
    cpu: list[float] = []
    queries: list[int] = []
    approved = 0
    # Warm the connection and the statement cache, as a running server would be.
    for _ in range(50):
        selectors.evaluate(
            user=rng.choice(agents),
            customer=Customer(pk=rng.choice(customer_ids)),
            kind="refund",
            amount=Decimal("10"),
            currency="EUR",
            now=timezone.now(),
        )
    for _ in tqdm(range(args.decisions), desc="decisions", unit="decision", file=sys.stderr):
        user = rng.choice(agents)
        customer = Customer(pk=rng.choice(customer_ids))
        amount = Decimal(rng.randint(100, 12000)) / 100
        started, cpu_started = time.perf_counter(), time.thread_time()
        evaluation = selectors.evaluate(
            user=user,
            customer=customer,
            kind=rng.choice(kinds),
            amount=amount,
            currency="EUR",
            now=timezone.now(),
        )
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        approved += evaluation.decision.auto_approve
    # Queries are counted apart: capturing them slows each decision down.
    for _ in range(200):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            selectors.evaluate(
                user=rng.choice(agents),
                customer=Customer(pk=rng.choice(customer_ids)),
                kind="refund",
                amount=Decimal("20"),
                currency="EUR",
                now=timezone.now(),
            )
        queries.append(len(captured.captured_queries))

    limits = rules.Limits(
        role="agent",
        currency="EUR",
        per_action=Decimal("50"),
        per_customer=Decimal("150"),
        per_customer_window_days=30,
        per_agent_daily=Decimal("400"),
        tier_multipliers={"gold": Decimal("1.5")},
    )
    pure: list[float] = []
    for _ in range(args.decisions):
        started = time.perf_counter()
        rules.decide(
            limits,
            role="agent",
            tier=rng.choice(["standard", "gold"]),
            granted=rules.Granted(Decimal(rng.randint(0, 200)), Decimal(rng.randint(0, 400))),
            proposal=rules.Proposal("refund", Decimal(rng.randint(1, 120)), "EUR"),
        )
        pure.append((time.perf_counter() - started) * 1000)

    p95 = _percentile(timings, 0.95)
    print()
    print(f"database: {connection.vendor}; {len(customer_ids):,} customers, {args.history:,} past actions")
    print(f"decisions: {args.decisions:,} ({approved / args.decisions:.0%} approved at once)")
    print(
        f"policy evaluation with its queries: p50 {statistics.median(timings):.2f} ms, "
        f"p95 {p95:.2f} ms, p99 {_percentile(timings, 0.99):.2f} ms; "
        f"SQL queries per decision: {min(queries)}–{max(queries)}"
    )
    print(
        f"CPU time per decision (query execution included, waiting for a core excluded): "
        f"p50 {statistics.median(cpu):.2f} ms, p95 {_percentile(cpu, 0.95):.2f} ms"
    )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"the rules alone: p50 {statistics.median(pure) * 1000:.1f} µs, p95 {_percentile(pure, 0.95) * 1000:.1f} µs"
    )
    print(f"goal p95 < 5 ms: {'met' if p95 < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
