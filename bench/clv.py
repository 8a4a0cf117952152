"""Benchmark the CLV numerics: BG/NBD + Gamma-Gamma on CDNOW against `lifetimes`, and a million customers.

Measures:
- on CDNOW (2,357 customers, 39-week calibration): fit time, parameters and log-likelihood of our BG/NBD
  and Gamma-Gamma fits next to ``lifetimes`` 0.11.3's (a bench-only dependency, requirements-bench.txt),
  best of ``--repeats`` runs each;
- 1,000,000 synthetic customers drawn from the BG/NBD generative process with known parameters: the fit
  time (goal under 30 s) and the recovered parameters, then P(alive), expected purchases in 90 and 365
  days and a 12-month CLV for all of them (time), with spend drawn from the Gamma-Gamma model.

Run by hand or with `make bench-clv` (which adds --write-docs to put the figures in docs/benchmarks.md):

    .venv/bin/python bench/clv.py [--data ../shared/data/cdnow] [--customers 1000000] [--write-docs]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapport.insights.numerics import bgnbd, clv, gamma_gamma  # noqa: E402

BENCHMARKS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Insights"
INTRO = "Produced by the insights benchmarks in `bench/`; the code is in `rapport/insights/numerics/`."


def replace_block(document: str, block: str, body: str) -> str:
    """The document with ``<!-- insights:{block}:start/end -->`` replaced by body; the "## Insights"
    section (at the end) and the block (at the end of the section) are made when missing."""
    start, end = f"<!-- insights:{block}:start -->", f"<!-- insights:{block}:end -->"
    fenced = f"{start}\n{body.strip()}\n{end}"
    if start in document and end in document:
        before, rest = document.split(start, 1)
        return before + fenced + rest.split(end, 1)[1]
    lines = document.splitlines(keepends=True)
    headings = [i for i, line in enumerate(lines) if line.rstrip("\n") == SECTION]
    if not headings:
        return document.rstrip("\n") + f"\n\n{SECTION}\n\n{INTRO}\n\n{fenced}\n"
    insert_at = len(lines)
    for i in range(headings[0] + 1, len(lines)):
        if lines[i].startswith(("## ", "# ")):
            insert_at = i
            break
    head, tail = "".join(lines[:insert_at]).rstrip("\n"), "".join(lines[insert_at:])
    return head + f"\n\n{fenced}\n" + (f"\n{tail}" if tail else "")


def write_block(block: str, body: str, path: Path = BENCHMARKS) -> Path:
    document = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_block(document, block, body), encoding="utf-8")
    return path


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def cdnow_figures(data: Path, repeats: int, bar: tqdm) -> list[str]:
    table = np.genfromtxt(data / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True)
    x, t_x, big_t, zbar = table["x"], table["t_x"], table["T"], table["zbar"]
    repeat = x > 0
    bar.set_description("CDNOW: ours")
    ours_bg_s, ours_bg = best_of(repeats, lambda: bgnbd.fit(x, t_x, big_t))
    ours_gg_s, ours_gg = best_of(repeats, lambda: gamma_gamma.fit(x[repeat], zbar[repeat]))
    bar.update()
    bar.set_description("CDNOW: lifetimes")
    try:
        import pandas as pd
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        bar.update()
        return [
            "`lifetimes` is not installed (`make bench-clv` installs requirements-bench.txt); ours only:",
            "",
        ]
    frame = pd.DataFrame({"x": x, "t_x": t_x, "T": big_t, "zbar": zbar})
    repeaters = frame[frame.x > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_bg_s, theirs_bg = best_of(repeats, lambda: BetaGeoFitter().fit(frame.x, frame.t_x, frame["T"]))
        theirs_gg_s, theirs_gg = best_of(repeats, lambda: GammaGammaFitter().fit(repeaters.x, repeaters.zbar))
    bar.update()
    lt_bg = bgnbd.BgNbdParams(*(float(theirs_bg.params_[k]) for k in ("r", "alpha", "a", "b")))
    lt_gg = gamma_gamma.GammaGammaParams(*(float(theirs_gg.params_[k]) for k in ("p", "q", "v")))
    lt_bg_ll = float(bgnbd.log_likelihood(lt_bg, x, t_x, big_t).sum())
    lt_gg_ll = float(gamma_gamma.log_likelihood(lt_gg, x[repeat], zbar[repeat]).sum())
    b, g = ours_bg.params, ours_gg.params
    return [
        "| model | published | ours | lifetimes 0.11.3 | fit time ours / lifetimes (best of "
        f"{repeats}) | ratio |",
        "|---|---|---|---|---|---|",
        f"| BG/NBD r, alpha, a, b | 0.243, 4.414, 0.793, 2.426 | {b.r:.4f}, {b.alpha:.4f}, {b.a:.4f}, {b.b:.4f} "
        f"| {lt_bg.r:.4f}, {lt_bg.alpha:.4f}, {lt_bg.a:.4f}, {lt_bg.b:.4f} "
        f"| {ours_bg_s * 1000:.1f} ms / {theirs_bg_s * 1000:.1f} ms | {theirs_bg_s / ours_bg_s:.1f}x faster |",
        f"| BG/NBD log-likelihood | -9582.4 | {ours_bg.log_likelihood:.2f} | {lt_bg_ll:.2f} | | |",
        f"| Gamma-Gamma p, q, gamma (946 repeaters) | 6.25, 3.74, 15.44 | {g.p:.4f}, {g.q:.4f}, {g.gamma:.4f} "
        f"| {lt_gg.p:.4f}, {lt_gg.q:.4f}, {lt_gg.gamma:.4f} "
        f"| {ours_gg_s * 1000:.1f} ms / {theirs_gg_s * 1000:.1f} ms | {theirs_gg_s / ours_gg_s:.1f}x faster |",
        f"| Gamma-Gamma log-likelihood (full density) | | {ours_gg.log_likelihood:.2f} | {lt_gg_ll:.2f} | | |",
        "",
        f"Our BG/NBD fit groups equal (x, t_x, T): {ours_bg.distinct_summaries:,} distinct rows for "
        f"{ours_bg.customers:,} customers; {ours_bg.iterations} L-BFGS-B iterations with the analytic gradient. "
        "Log-likelihoods of lifetimes' parameters are evaluated with our functions.",
        "",
    ]


def synthetic_figures(customers: int, seed: int, bar: tqdm) -> list[str]:
    truth = bgnbd.BgNbdParams(r=0.25, alpha=30.0, a=0.8, b=2.5)  # in days, CDNOW-like (alpha 4.4 weeks)
    spend_truth = gamma_gamma.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    rng = np.random.default_rng(seed)
    bar.set_description(f"simulating {customers:,} customers")
    started = time.perf_counter()
    ages = rng.integers(1, 366, size=customers).astype(np.float64)  # whole days, first purchase in the year
    x, t_x = bgnbd.simulate(truth, ages, rng=rng)
    t_x = np.round(t_x)  # summaries count days
    t_x = np.minimum(t_x, ages)
    simulate_s = time.perf_counter() - started
    bar.update()

    bar.set_description("BG/NBD fit")
    started = time.perf_counter()
    fit = bgnbd.fit(x, t_x, ages)
    fit_s = time.perf_counter() - started
    bar.update()

    bar.set_description("Gamma-Gamma fit")
    repeat = x > 0
    nu = rng.gamma(spend_truth.q, 1.0 / spend_truth.gamma, size=int(repeat.sum()))
    zbar = rng.gamma(spend_truth.p * x[repeat], 1.0 / (nu * x[repeat]))
    started = time.perf_counter()
    spend_fit = gamma_gamma.fit(x[repeat], zbar)
    gg_s = time.perf_counter() - started
    bar.update()

    bar.set_description("P(alive), E[purchases], CLV")
    monetary = np.zeros(customers)
    monetary[repeat] = zbar
    started = time.perf_counter()
    bgnbd.probability_alive(fit.params, x, t_x, ages)
    alive_s = time.perf_counter() - started
    started = time.perf_counter()
    bgnbd.expected_purchases(fit.params, 90.0, x, t_x, ages)
    bgnbd.expected_purchases(fit.params, 365.0, x, t_x, ages)
    expected_s = time.perf_counter() - started
    started = time.perf_counter()
    value = clv.customer_lifetime_value(
        fit.params,
        spend_fit.params,
        x,
        t_x,
        ages,
        monetary,
        horizon_months=12,
        annual_discount_rate=0.10,
        unit="D",
    )
    clv_s = time.perf_counter() - started
    bar.update()

    f, s = fit.params, spend_fit.params
    return [
        f"#### {customers:,} synthetic customers (BG/NBD generative process, time in days)",
        "",
        f"Drawn in {simulate_s:.2f} s: ages uniform over 1-365 days, recency rounded to whole days; "
        f"{int(repeat.sum()):,} repeaters, spend per repeater drawn from the Gamma-Gamma model.",
        "",
        "| what | true | recovered | time | goal |",
        "|---|---|---|---|---|",
        f"| BG/NBD fit r, alpha, a, b ({fit.distinct_summaries:,} distinct summaries) "
        f"| {truth.r}, {truth.alpha}, {truth.a}, {truth.b} | {f.r:.3f}, {f.alpha:.2f}, {f.a:.3f}, {f.b:.3f} "
        f"| {fit_s:.1f} s | < 30 s {'✔' if fit_s < 30 else '✘'} |",
        f"| Gamma-Gamma fit p, q, gamma | {spend_truth.p}, {spend_truth.q}, {spend_truth.gamma} "
        f"| {s.p:.3f}, {s.q:.3f}, {s.gamma:.3f} | {gg_s:.1f} s | |",
        f"| P(alive), all customers | | | {alive_s * 1000:.0f} ms | |",
        f"| expected purchases in 90 and 365 days, all customers | | | {expected_s * 1000:.0f} ms | |",
        f"| 12-month CLV at 10 %/year, all customers (mean {value.mean():.2f}) | | | {clv_s:.1f} s | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data" / "cdnow")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    with tqdm(total=6, unit="step", file=sys.stderr, disable=None) as bar:
        lines = [
            f"### CLV: BG/NBD and Gamma-Gamma (`make bench-clv`, {datetime.now(UTC).date().isoformat()})",
            "",
            f"Python {platform.python_version()}, numpy {np.__version__}, on the project's 2-core development "
            "machine, shared with other work while it ran (no CPU pinning: numpy uses what it gets).",
            "",
            "#### CDNOW (2,357 customers, 39-week calibration, weeks)",
            "",
            *cdnow_figures(args.data, args.repeats, bar),
            *synthetic_figures(args.customers, args.seed, bar),
        ]
    body = "\n".join(lines)
    print(body)
    if args.write_docs:
        print(f"wrote {write_block('clv', body)}")


if __name__ == "__main__":
    main()
