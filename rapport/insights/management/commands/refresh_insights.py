"""manage.py refresh_insights: lifetime values, health scores and recommendations now, with progress."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from rapport.insights.services.health import refresh_health
from rapport.insights.services.recommendations import refresh_recommendations
from rapport.insights.services.value import refresh_customer_values


class _Bar:
    """One progress bar per stage of a refresh (reading orders, fitting, writing ...)."""

    def __init__(self) -> None:
        self.stage = ""
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=max(total, 1), desc=stage, unit="row", file=sys.stderr, disable=None)
        self.bar.n = min(done, self.bar.total)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Refit the value models on every paid order, store each customer's value and tier, score every "
        "customer's health and recompute recommendations: what the clock does daily, run now."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = _Bar()
        try:
            fit = refresh_customer_values(progress=bar)
            bar.close()
            scored = refresh_health(progress=bar)
            bar.close()
            recommended = refresh_recommendations(progress=bar)
        finally:
            bar.close()
        if fit is None:
            self.stdout.write("no paid orders yet: no lifetime values")
        else:
            self.stdout.write(
                f"values for {fit.customers:,} customers (BG/NBD r={fit.r:.3f} alpha={fit.alpha:.2f} "
                f"a={fit.a:.3f} b={fit.b:.3f}) in {fit.seconds:.1f} s"
            )
        self.stdout.write(
            f"health for {scored:,} customers; {recommended.recommendations:,} recommendations "
            f"for {recommended.customers:,} customers"
        )
