"""RFM summaries from raw transactions: frequency, recency, age and spend per customer, with a holdout.

The definitions are those of Fader, Hardie & Lee (2005) "Counting your customers the easy way"
(*Marketing Science* 24(2):275-284) and of ``lifetimes.utils.summary_data_from_transaction_data``:

- purchases are counted per customer-day: several purchases on one day are one transaction, with their
  amounts summed (CDNOW's published summaries are built this way);
- ``frequency`` (x) is the number of *repeat* purchase days in the calibration period (the first purchase
  day is not counted);
- ``recency`` (t_x) is the time from the first to the last purchase day, 0 for x = 0;
- ``age`` (T) is the time from the first purchase day to the end of calibration;
- ``monetary_value`` is the mean spend of the repeat purchase days (the first day's spend excluded, as the
  Gamma-Gamma model wants), 0 for x = 0;
- ``holdout_frequency`` is the number of purchase days after the calibration end up to the holdout end.

Times are in days or in weeks (days / 7) as the caller chooses; CDNOW's published fit is in weeks. The
calibration end day is inside the calibration period. Customers whose first purchase falls after the
calibration end are not in the cohort and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

Unit = Literal["D", "W"]
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0}


@dataclass(frozen=True)
class Summaries:
    """One entry per customer of the cohort, in the order of ``customer_ids`` (sorted)."""

    customer_ids: np.ndarray
    frequency: np.ndarray  # int64, repeat purchase days in calibration
    recency: np.ndarray  # float64, in ``unit``
    age: np.ndarray  # float64, in ``unit``
    monetary_value: np.ndarray  # float64, mean spend of the repeat purchase days
    unit: str
    holdout_frequency: np.ndarray | None = None  # int64, purchase days in the holdout
    holdout_duration: float | None = None  # in ``unit``


def _days(values: Sequence[date] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


def _day(value: date | np.datetime64 | str) -> int:
    return int(np.asarray([value], dtype="datetime64[D]").astype(np.int64)[0])


def rfm_summaries(
    customer_ids: Sequence[object] | np.ndarray,
    dates: Sequence[date] | np.ndarray,
    amounts: Sequence[float] | np.ndarray | None = None,
    *,
    calibration_end: date | np.datetime64 | str,
    holdout_end: date | np.datetime64 | str | None = None,
    unit: Unit = "W",
) -> Summaries:
    """Summaries of the customers whose first purchase is on or before ``calibration_end``.

    ``dates`` are days (``datetime.date``, ``numpy.datetime64`` or ISO strings; times of day are dropped).
    Without ``amounts`` every purchase is worth 0. With ``holdout_end``, purchase days in
    (calibration_end, holdout_end] are counted in ``holdout_frequency``; later ones are ignored.
    """
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"unit must be 'D' or 'W', not {unit!r}")
    ids = np.asarray(customer_ids)
    days = _days(dates)
    values = np.zeros(len(days)) if amounts is None else np.asarray(amounts, dtype=np.float64)
    if not len(ids) == len(days) == len(values):
        raise ValueError("customer_ids, dates and amounts must have the same length")
    end = _day(calibration_end)
    stop = end if holdout_end is None else _day(holdout_end)
    if stop < end:
        raise ValueError("holdout_end is before calibration_end")

    unique_ids, customer = np.unique(ids, return_inverse=True)
    customer = customer.ravel()
    # One row per customer-day, with the day's spend summed.
    order = np.lexsort((days, customer))
    customer, days, values = customer[order], days[order], values[order]
    new_pair = np.ones(len(days), dtype=bool)
    new_pair[1:] = (customer[1:] != customer[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(new_pair)
    pair_customer, pair_day = customer[starts], days[starts]
    pair_spend = np.add.reduceat(values, starts) if len(starts) else np.zeros(0)

    n = len(unique_ids)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, pair_customer, pair_day)
    in_cohort = first <= end

    calibration = pair_day <= end
    cal_customer, cal_day, cal_spend = (
        pair_customer[calibration],
        pair_day[calibration],
        pair_spend[calibration],
    )
    purchase_days = np.bincount(cal_customer, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, cal_customer, cal_day)
    repeat = cal_day != first[cal_customer]
    repeat_spend = np.bincount(cal_customer[repeat], weights=cal_spend[repeat], minlength=n)

    scale = DAYS_PER_UNIT[unit]
    frequency = (purchase_days - 1)[in_cohort].astype(np.int64)
    recency = ((last - first)[in_cohort] / scale).astype(np.float64)
    age = ((end - first)[in_cohort] / scale).astype(np.float64)
    monetary = np.divide(
        repeat_spend[in_cohort],
        frequency,
        out=np.zeros(int(in_cohort.sum())),
        where=frequency > 0,
    )
    holdout_frequency = None
    holdout_duration = None
    if holdout_end is not None:
        holdout = (pair_day > end) & (pair_day <= stop)
        holdout_frequency = np.bincount(pair_customer[holdout], minlength=n)[in_cohort].astype(np.int64)
        holdout_duration = (stop - end) / scale
    return Summaries(
        customer_ids=unique_ids[in_cohort],
        frequency=frequency,
        recency=recency,
        age=age,
        monetary_value=monetary,
        unit=unit,
        holdout_frequency=holdout_frequency,
        holdout_duration=holdout_duration,
    )
