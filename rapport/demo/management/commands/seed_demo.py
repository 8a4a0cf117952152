"""manage.py seed_demo: fill an empty database with a believable demo store."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rapport.accounts.safety import DEMO_EMAILS, DEMO_PASSWORD
from rapport.customers.models import Customer
from rapport.demo.generate import Phase, database_has_store_data, generate


class Command(BaseCommand):
    help = (
        "Generate demo data: staff logins (password 'demo'), products, customers with identities and "
        "duplicates to merge, two years of orders and shipments, wishlists, notes and timelines."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--products", type=int, default=300)
        parser.add_argument("--orders", type=int, default=20000)
        parser.add_argument("--conversations", type=int, default=300)
        parser.add_argument("--seed", type=int, default=42, help="the same seed gives the same data")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when customers exist (for start-up scripts)"
        )
        parser.add_argument("--no-staff", action="store_true", help="do not create the four demo logins")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Customer.objects.exists():
            if options["verbosity"] > 1:
                self.stdout.write("Customers exist already: no demo data added.")
            return
        if database_has_store_data():
            raise CommandError(
                "the database already has customers, products or orders; seed_demo fills an empty one "
                "(use --if-empty in start-up scripts)"
            )
        if getattr(settings, "PRODUCTION", False) and not options["no_staff"]:
            raise CommandError("refusing to create the published demo logins in production (use --no-staff)")
        for name in ("customers", "products", "orders", "conversations"):
            if options[name] < 0:
                raise CommandError(f"--{name} cannot be negative")
        if options["orders"] and not (options["customers"] and options["products"]):
            raise CommandError("orders need at least one customer and one product")

        def phase(name: str, total: int) -> Phase:
            # disable=None draws bars only on a terminal.
            return tqdm(total=total, desc=name, unit="", file=sys.stderr, disable=None, leave=True)

        result = generate(
            customers=options["customers"],
            products=options["products"],
            orders=options["orders"],
            conversations=options["conversations"],
            seed=options["seed"],
            staff=not options["no_staff"],
            phase=phase,
        )
        counts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data added: {counts}."))
        timings = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.seconds.items())
        self.stdout.write(f"Took {sum(result.seconds.values()):.1f}s ({timings}).")
        if not options["no_staff"]:
            logins = ", ".join(DEMO_EMAILS)
            self.stdout.write(f"Sign in as {logins} with password '{DEMO_PASSWORD}'.")
