"""Lifetime value for every customer: summaries from paid orders, BG/NBD and Gamma-Gamma fits, CLV, tiers.

One refresh reads every paid or fulfilled order once (in chunks, into numpy arrays), fits both models on
all customers (time in days, calibration ending now), and writes one CustomerValue row per customer who
ever bought, replacing the previous fit's rows; the same reading gives the relationships page its purchase
history (services/history.py). It runs as a task: daily from the clock, and after an order import.

Tiers rank customers by CLV among those with a positive one: the top 5 % are platinum, the next 15 % gold,
the next 30 % silver, the rest standard. Ranks rather than amounts, so the tiers mean the same in any
currency and any size of shop; recovery's empowerment multipliers and listening's "valuable customer"
alerts read these tiers once a customer has a value.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from rapport.commerce.models import ImportJob
from rapport.customers.models import Customer
from rapport.insights.models import CustomerValue, ValueModelFit, ValueTier
from rapport.insights.numerics import bgnbd, clv, gamma_gamma
from rapport.insights.numerics.summaries import rfm_summaries
from rapport.insights.services.history import store_purchase_history
from rapport.insights.services.refresh import PaidOrders, Progress, money, paid_orders, silent

logger = logging.getLogger(__name__)

# Share of valued customers in each tier, from the top.
TIER_SHARES = ((ValueTier.PLATINUM, 0.05), (ValueTier.GOLD, 0.15), (ValueTier.SILVER, 0.30))
# Gamma-Gamma needs repeat buyers; with fewer, every customer is valued at the mean order value.
MIN_REPEAT_CUSTOMERS = 20
WRITE_BATCH = 2_000


def tiers_by_rank(values: np.ndarray) -> list[str]:
    """Platinum, gold, silver by share of the customers with a positive value, from the top."""
    tiers = [ValueTier.STANDARD.value] * len(values)
    positive = np.flatnonzero(values > 0)
    if positive.size == 0:
        return tiers
    order = positive[np.argsort(-values[positive], kind="stable")]
    start = 0
    for tier, share in TIER_SHARES:
        end = start + round(share * positive.size)
        for index in order[start:end]:
            tiers[int(index)] = tier.value
        start = end
    return tiers


def refresh_customer_values(
    *, now: datetime | None = None, progress: Progress = silent
) -> ValueModelFit | None:
    """Fit both models on every customer's paid orders and store each one's value; None without orders."""
    started = time.perf_counter()
    now = now or timezone.now()
    orders = paid_orders(now, progress)
    # The relationships page's purchase history comes from the same reading, even of no orders: it must
    # forget purchases refunded since the last refresh too.
    store_purchase_history(orders, now=now, progress=progress)
    if orders.customer_ids.size == 0:
        return None
    summaries = rfm_summaries(
        orders.customer_ids,
        orders.days,
        orders.amounts,
        calibration_end=np.datetime64(now.date(), "D"),
        unit="D",
    )
    x, t_x, big_t = summaries.frequency, summaries.recency, summaries.age
    progress("fitting BG/NBD", 0, 1)
    purchases = bgnbd.fit(x, t_x, big_t)
    repeaters = int((x > 0).sum())
    spend_fit = None
    if repeaters >= MIN_REPEAT_CUSTOMERS:
        progress("fitting Gamma-Gamma", 0, 1)
        spend_fit = gamma_gamma.fit(x[x > 0], summaries.monetary_value[x > 0])
    p_alive = bgnbd.probability_alive(purchases.params, x, t_x, big_t)
    in_90 = bgnbd.expected_purchases(purchases.params, 90.0, x, t_x, big_t)
    in_365 = bgnbd.expected_purchases(purchases.params, 365.0, x, t_x, big_t)
    discount = float(settings.RAPPORT_CLV_ANNUAL_DISCOUNT_RATE)
    horizon = int(settings.RAPPORT_CLV_HORIZON_MONTHS)
    spend = values = None
    if spend_fit is not None:
        spend = gamma_gamma.expected_average_spend(spend_fit.params, x, summaries.monetary_value)
        values = clv.customer_lifetime_value(
            purchases.params,
            spend_fit.params,
            x,
            t_x,
            big_t,
            summaries.monetary_value,
            horizon_months=horizon,
            annual_discount_rate=discount,
            unit="D",
        )
    if spend is None or values is None or not (np.isfinite(spend).all() and np.isfinite(values).all()):
        # Too few repeat buyers, or spends that vary too little for Gamma-Gamma (every order the same
        # price leaves its likelihood without a maximum): value every customer at the mean order.
        spend_fit = None
        mean_order = float(orders.amounts.mean())
        spend = np.full(x.shape, mean_order)
        values = mean_order * clv.discounted_purchases(
            purchases.params, x, t_x, big_t, horizon_months=horizon, annual_discount_rate=discount, unit="D"
        )
    # The average order of a one-time buyer is their only order; of a repeat buyer, their repeat orders'.
    average = np.where(x > 0, summaries.monetary_value, _first_day_spend(orders, summaries.customer_ids))
    columns = {
        "frequency": x,
        "recency_days": t_x,
        "age_days": big_t,
        "average_order_value": average,
        "p_alive": p_alive,
        "expected_purchases_90": in_90,
        "expected_purchases_365": in_365,
        "expected_order_value": spend,
        "clv": values,
    }
    for name, column in columns.items():
        bad = ~np.isfinite(column)
        if bad.any():
            # A numerical corner the models did not cover must not stop every customer's refresh.
            logger.warning("value refresh: %d customers have no finite %s; stored as 0", int(bad.sum()), name)
            columns[name] = np.where(bad, 0.0, column)
    with transaction.atomic():
        fit = ValueModelFit.objects.create(
            fitted_at=now,
            calibration_end=now,
            customers=int(x.size),
            repeat_customers=repeaters,
            r=purchases.params.r,
            alpha=purchases.params.alpha,
            a=purchases.params.a,
            b=purchases.params.b,
            log_likelihood=purchases.log_likelihood,
            p=spend_fit.params.p if spend_fit else None,
            q=spend_fit.params.q if spend_fit else None,
            gamma=spend_fit.params.gamma if spend_fit else None,
            annual_discount_rate=discount,
            horizon_months=horizon,
        )
        _write_values(fit, summaries.customer_ids, columns, tiers_by_rank(values), now, progress)
        # Customers with no paid order left (all refunded, say) have no value any more.
        CustomerValue.objects.exclude(fit=fit).delete()
        fit.seconds = time.perf_counter() - started
        fit.save(update_fields=["seconds"])
    return fit


def _first_day_spend(orders: PaidOrders, customer_ids: np.ndarray) -> np.ndarray:
    """What each customer spent on their first purchase day (the summaries leave it out of the mean)."""
    order = np.lexsort((orders.days, orders.customer_ids))
    ids, days, amounts = orders.customer_ids[order], orders.days[order], orders.amounts[order]
    first_of_customer = np.r_[True, ids[1:] != ids[:-1]]
    starts = np.flatnonzero(first_of_customer)
    first_day = np.repeat(days[starts], np.diff(np.r_[starts, ids.size]))
    on_first_day = days == first_day
    totals = np.bincount(np.searchsorted(ids[starts], ids[on_first_day]), weights=amounts[on_first_day])
    by_customer = dict(zip(ids[starts].tolist(), totals.tolist(), strict=True))
    return np.array([by_customer.get(int(customer), 0.0) for customer in customer_ids])


def _write_values(
    fit: ValueModelFit,
    customer_ids: np.ndarray,
    columns: dict[str, np.ndarray],
    tiers: list[str],
    now: datetime,
    progress: Progress,
) -> None:
    fields = [*columns, "tier", "fit", "computed_at"]
    total = len(customer_ids)
    for start in range(0, total, WRITE_BATCH):
        stop = min(start + WRITE_BATCH, total)
        rows = [
            CustomerValue(
                customer_id=int(customer_ids[i]),
                fit=fit,
                frequency=int(columns["frequency"][i]),
                recency_days=float(columns["recency_days"][i]),
                age_days=float(columns["age_days"][i]),
                average_order_value=money(columns["average_order_value"][i]),
                p_alive=float(columns["p_alive"][i]),
                expected_purchases_90=float(columns["expected_purchases_90"][i]),
                expected_purchases_365=float(columns["expected_purchases_365"][i]),
                expected_order_value=money(columns["expected_order_value"][i]),
                clv=money(columns["clv"][i]),
                tier=tiers[i],
                computed_at=now,
            )
            for i in range(start, stop)
        ]
        CustomerValue.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["customer"], update_fields=fields
        )
        progress("writing values", stop, total)


def value_tier_of(customer: Customer) -> str | None:
    """Recovery's and listening's tier source: the CLV tier once the customer has a value."""
    return CustomerValue.objects.filter(customer_id=customer.pk).values_list("tier", flat=True).first()


def refresh_after_import(job: ImportJob) -> None:
    """Commerce's import listener: new orders change every value and recommendation, so refresh them all."""
    if job.kind != "orders":
        return
    from rapport.insights.tasks.recommendations import refresh_recommendations_task
    from rapport.insights.tasks.value import refresh_customer_values_task

    transaction.on_commit(refresh_customer_values_task.enqueue)
    transaction.on_commit(refresh_recommendations_task.enqueue)


def annotate_value_tier(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """customers.tiers' list annotation: the CLV tier in the list's own query, standard when not valued."""
    return customers.annotate(
        value_tier=Coalesce(F("value__tier"), Value(ValueTier.STANDARD.value), output_field=CharField())
    )
