"""Loaders for the CDNOW copies in rapport/insights/datasets/cdnow/ (shared by the CLV tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CDNOW = Path(__file__).resolve().parent.parent / "datasets" / "cdnow"


def summary() -> np.ndarray:
    """``cdnow_customers_summary.csv``: ID, frequency, recency, T (weeks), 2,357 rows."""
    return np.genfromtxt(CDNOW / "cdnow_customers_summary.csv", delimiter=",", names=True)


def summary_with_spend() -> np.ndarray:
    """``cdnow_customers_summary_with_transactions.csv``: ID, x, t_x, T, zbar, 2,357 rows."""
    return np.genfromtxt(CDNOW / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True)


def transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The raw sample: (sample customer id 1..2357, day, dollar value), 6,919 records."""
    raw = np.loadtxt(CDNOW / "CDNOW_sample.txt.gz", dtype=str)
    days = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return raw[:, 1].astype(np.int64), days, raw[:, 4].astype(np.float64)
