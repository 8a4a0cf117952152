"""Benchmark item-to-item recommendations: quality on UCI Online Retail against baselines, and speed.

Quality. The UCI "Online Retail" invoice lines (../shared/data/uci-online-retail, read with the csv
module: pandas is not a project dependency) are cleaned: cancellations (invoice numbers starting with
"C") and adjustments ("A") dropped, lines without a customer id dropped, quantity <= 0 or unit price <= 0
dropped, and only product stock codes kept (five digits, optionally a letter suffix: POST, DOT, M, D,
C2, BANK CHARGES, AMAZONFEE, gift vouchers, DCGS sets and the like are fees, postage or manual
entries). A customer "has" an item once they bought it at least once (binary). Lines before 2011-09-01
train, lines from then on test; the evaluation protocol and the metrics are defined in
``rapport/insights/numerics/rec_eval.py`` (a customer counts when they bought in both periods and at
least one test item that is new to them and in the training catalogue). Four recommenders, top 10:
(a) popularity; (b) ours, ``rapport/insights/numerics/item_cf.py``; (c) ``implicit``'s item-item cosine
(``CosineRecommender``); (d) ``implicit``'s ALS. Every method's settings are chosen on validation
folds carved from the training period alone (rolling origin, same protocol: train before 2011-03-01,
validate on March .. May; train before 2011-06-01, validate on June .. August), by mean NDCG@10 over
the folds; the chosen ones are then refitted on the whole training period and scored once on the test
period, with a paired bootstrap interval for ours minus the best baseline. Ours is chosen in two stages
so the grid stays small: first the similar-items table (``item_cf.Settings``, each scored with two
fixed scorings, ``STAGE_ONE_SCORING``), then, for that table, the scoring (``item_cf.Scoring``: recency half-life and floor, trend
boost). ``--validation-only`` stops after the choice, without looking at the test period.

Speed. Fitting the similar-items table on synthetic order lines (default 10,000,000 lines, 1,000,000
customers x 50,000 items, item popularity Zipf-like, customer activity log-normal, purchase dates
uniform over a year) and the items' trend, and the p95 of one customer's lookup as the product scores
it: their owned items with their recency weights in, ``item_cf.recommend`` over the precomputed table
with the trend boost (``item_cf.Scoring()``, the chosen settings), 10 items with reasons out.

Everything runs on one thread (BLAS and implicit's OpenMP limited to one) so the fit times compare.
Needs ``requirements-bench.txt`` (``implicit``); ``make bench-recommendations`` installs it and runs:

    .venv/bin/python bench/recommendations.py [--data ../shared/data/uci-online-retail] [--write-docs]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

# Imported before threadpool_limits so that every BLAS they load (scipy's too) is held to one thread.
from implicit.cpu.als import AlternatingLeastSquares
from implicit.nearest_neighbours import CosineRecommender
from threadpoolctl import threadpool_limits
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapport.insights.numerics import item_cf, rec_eval  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "uci-online-retail"
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Insights"
START, END = "<!-- insights:recommendations:start -->", "<!-- insights:recommendations:end -->"
TEST_FROM = np.datetime64("2011-09-01")
# Rolling-origin validation inside the training period: two folds of three months each; a setting's
# validation score is its mean NDCG@10 over both, so the choice rests on more than one season.
VALIDATION_FOLDS = [
    (np.datetime64("2011-03-01"), np.datetime64("2011-06-01")),
    (np.datetime64("2011-06-01"), np.datetime64("2011-09-01")),
]
PRODUCT_CODE = re.compile(r"^\d{5}[A-Za-z]*$")
K = 10


@dataclass(frozen=True)
class Split:
    train: sp.csr_matrix
    cases: rec_eval.Holdout
    lines: Lines
    end: np.datetime64

    def recency(self, half_life_days: float, floor: float) -> sp.csr_matrix:
        """The training matrix weighted by each purchase's age at the cut-off (item_cf.recency_matrix)."""
        mask = self.lines.when < self.end
        age = (self.end - self.lines.when[mask]).astype("timedelta64[m]").astype(np.float64) / 1440
        return item_cf.recency_matrix(
            self.lines.customer[mask],
            self.lines.item[mask],
            age,
            shape=self.train.shape,
            half_life_days=half_life_days,
            floor=floor,
        )

    def trend(self, half_life_days: float) -> np.ndarray:
        """Each item's trend at the cut-off (item_cf.trending)."""
        mask = self.lines.when < self.end
        age = (self.end - self.lines.when[mask]).astype("timedelta64[m]").astype(np.float64) / 1440
        return item_cf.trending(
            self.lines.customer[mask],
            self.lines.item[mask],
            age,
            n_items=self.train.shape[1],
            half_life_days=half_life_days,
        )


Recommender = Callable[[Split], list[np.ndarray]]
# Fitted tables by (settings, split): the scorings tried only change the scoring.
_TABLES: dict[tuple[item_cf.Settings, int], item_cf.ItemNeighbours] = {}
OURS = "item_cf (ours)"


@dataclass(frozen=True)
class Lines:
    customer: np.ndarray  # row index
    item: np.ndarray  # column index
    when: np.ndarray  # datetime64[m]
    n_customers: int
    n_items: int
    raw_lines: int


@dataclass(frozen=True)
class Result:
    name: str
    settings: str
    metrics: rec_eval.Metrics
    fit_s: float  # fit and recommend for every evaluated customer
    ndcg: np.ndarray  # per evaluated customer


@dataclass(frozen=True)
class Chosen:
    name: str
    settings: str
    folds: tuple[float, ...]  # NDCG@10 on each validation fold

    @property
    def ndcg(self) -> float:
        return float(np.mean(self.folds))


def load_retail(folder: Path) -> Lines:
    customers: dict[str, int] = {}
    items: dict[str, int] = {}
    rows, cols, when = [], [], []
    raw = 0
    with gzip.open(folder / "online_retail_uci352.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        for line in csv.DictReader(handle):
            raw += 1
            invoice, code, customer = line["InvoiceNo"], line["StockCode"], line["CustomerID"]
            if not customer or invoice[:1] in {"C", "A"} or not PRODUCT_CODE.match(code):
                continue
            if float(line["Quantity"]) <= 0 or float(line["UnitPrice"]) <= 0:
                continue
            rows.append(customers.setdefault(customer, len(customers)))
            cols.append(items.setdefault(code.upper(), len(items)))
            when.append(line["InvoiceDate"][:16].replace(" ", "T"))
    return Lines(
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(when, dtype="datetime64[m]"),
        len(customers),
        len(items),
        raw,
    )


def matrix(lines: Lines, start: np.datetime64 | None, end: np.datetime64 | None) -> sp.csr_matrix:
    mask = np.ones(len(lines.when), dtype=bool)
    if start is not None:
        mask &= lines.when >= start
    if end is not None:
        mask &= lines.when < end
    return item_cf.interaction_matrix(
        lines.customer[mask], lines.item[mask], shape=(lines.n_customers, lines.n_items)
    )


def popularity() -> Recommender:
    def run(split: Split) -> list[np.ndarray]:
        train, cases = split.train, split.cases
        ranking = rec_eval.popularity_ranking(train)
        return [
            rec_eval.recommend_popular(ranking, train.indices[train.indptr[u] : train.indptr[u + 1]], K)
            for u in cases.customers
        ]

    return run


def ours(settings: item_cf.Settings, scoring: item_cf.Scoring) -> Recommender:
    def run(split: Split) -> list[np.ndarray]:
        cases = split.cases
        key = (settings, id(split))
        if key not in _TABLES:
            _TABLES[key] = item_cf.fit_neighbours(split.train, settings)
        table = _TABLES[key]
        boost = (
            item_cf.trend_boost(split.trend(scoring.trend_half_life_days), scoring.trend_power)
            if scoring.trend_power
            else None
        )
        batch = item_cf.recommend_batch(
            table,
            split.recency(scoring.half_life_days, scoring.recency_floor),
            customers=cases.customers,
            n=K,
            boost=boost,
        )
        starts = np.searchsorted(batch.customer, cases.customers)
        ends = np.searchsorted(batch.customer, cases.customers, side="right")
        return [batch.item[s:e] for s, e in zip(starts, ends, strict=True)]

    return run


def implicit_cosine(neighbours: int) -> Recommender:
    def run(split: Split) -> list[np.ndarray]:
        train, cases = split.train, split.cases
        model = CosineRecommender(K=neighbours, num_threads=1)
        model.fit(train, show_progress=False)
        ids, _ = model.recommend(cases.customers, train[cases.customers].tocsr(), N=K)
        return [row[row >= 0] for row in ids]

    return run


def implicit_als(factors: int, regularization: float, alpha: float, seed: int) -> Recommender:
    def run(split: Split) -> list[np.ndarray]:
        train, cases = split.train, split.cases
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=15,
            random_state=seed,
            num_threads=1,
        )
        model.fit(train, show_progress=False)
        ids, _ = model.recommend(cases.customers, train[cases.customers].tocsr(), N=K)
        return [row[row >= 0] for row in ids]

    return run


def score(name: str, settings: str, method: Recommender, split: Split) -> Result:
    started = time.perf_counter()
    lists = method(split)
    elapsed = time.perf_counter() - started
    per_customer = np.array(
        [
            rec_eval.ndcg_at_k(items, relevant, K)
            for items, relevant in zip(lists, split.cases.relevant, strict=True)
        ]
    )
    return Result(name, settings, rec_eval.evaluate(lists, split.cases, K), elapsed, per_customer)


Candidate = tuple[str, Recommender]
# Ours, stage 2: the scorings tried with the table chosen in stage 1 (the stage-1 scorings among them).
HALF_LIVES = (15.0, 30.0, 60.0, np.inf)
RECENCY_FLOORS = (0.0, 0.1, 0.2, 0.3)
TREND_BOOSTS = ((7.0, 0.0), (7.0, 0.1), (7.0, 0.2), (14.0, 0.1), (14.0, 0.2))


# Ours, stage 1: every table is scored with one of two recency half-lives (30 days, none) and this.
STAGE_ONE_SCORING = {"recency_floor": 0.0, "trend_half_life_days": 7.0, "trend_power": 0.1}


def ours_tables() -> list[tuple[item_cf.Settings, item_cf.Scoring]]:
    """Ours, stage 1: the similar-items tables tried, each with two of the scorings."""
    weightings: tuple[item_cf.CustomerWeighting, ...] = ("none", "log")
    return [
        (
            item_cf.Settings(
                neighbours=neighbours,
                alpha=alpha,
                locality=locality,
                shrinkage=shrinkage,
                customer_weighting=weighting,
            ),
            item_cf.Scoring(**STAGE_ONE_SCORING, half_life_days=half_life),
        )
        for alpha, locality, shrinkage, weighting, neighbours, half_life in itertools.product(
            (0.3, 0.5), (1.0, 2.0, 3.0), (5.0,), weightings, (50, 100, 200), (np.inf, 30.0)
        )
    ]


def ours_scorings() -> list[item_cf.Scoring]:
    """Ours, stage 2 (a floor means nothing without decay, so an infinite half-life takes floor 0 only)."""
    return [
        item_cf.Scoring(
            half_life_days=half_life,
            recency_floor=floor,
            trend_half_life_days=trend_half_life,
            trend_power=power,
        )
        for half_life, floor, (trend_half_life, power) in itertools.product(
            HALF_LIVES, RECENCY_FLOORS, TREND_BOOSTS
        )
        if np.isfinite(half_life) or floor == 0.0
    ]


def ours_candidate(settings: item_cf.Settings, scoring: item_cf.Scoring) -> Candidate:
    return (f"{describe(settings)}, {describe_scoring(scoring)}", ours(settings, scoring))


def candidates(seed: int) -> dict[str, list[Candidate]]:
    """Each method's settings tried on the validation split (ours: its stage-1 grid)."""
    grid: dict[str, list[Candidate]] = {"popularity": [("-", popularity())]}
    grid[OURS] = [ours_candidate(settings, scoring) for settings, scoring in ours_tables()]
    grid["implicit CosineRecommender"] = [(f"K={k}", implicit_cosine(k)) for k in (10, 20, 50, 100, 200)]
    grid["implicit ALS"] = [
        (
            f"factors={f}, regularization={r}, alpha={a}, 15 iterations, seed {seed}",
            implicit_als(f, r, a, seed),
        )
        for f, r, a in itertools.product((32, 64, 128), (0.01, 0.1), (1.0, 10.0))
    ]
    return grid


def describe(settings: item_cf.Settings) -> str:
    return (
        f"K={settings.neighbours}, alpha={settings.alpha}, locality={settings.locality}, "
        f"shrinkage={settings.shrinkage}, customer weighting={settings.customer_weighting}"
    )


def describe_scoring(scoring: item_cf.Scoring) -> str:
    recency = f"recency half-life {scoring.half_life_days:g} days"
    if scoring.recency_floor:
        recency += f", floor {scoring.recency_floor:g}"
    if not scoring.trend_power:
        return recency
    return f"{recency}, trend boost power {scoring.trend_power:g} (half-life {scoring.trend_half_life_days:g} days)"


def _split(lines: Lines, start: np.datetime64, end: np.datetime64 | None) -> Split:
    train = matrix(lines, None, start)
    return Split(train, rec_eval.holdout(train, matrix(lines, start, end)), lines, start)


def quality(
    lines: Lines, seed: int, *, test: bool = True
) -> tuple[list[Chosen], list[Result], dict[str, int]]:
    folds = [_split(lines, start, end) for start, end in VALIDATION_FOLDS]
    test_split = _split(lines, TEST_FROM, None)
    grid = candidates(seed)
    stage_two = ours_scorings()
    chosen: list[Chosen] = []
    final: list[Result] = []
    total = (sum(len(options) for options in grid.values()) + len(stage_two)) * len(folds) + len(grid)
    with tqdm(total=total, unit="fit", file=sys.stderr, disable=None) as bar:

        def validate(name: str, options: list[Candidate]) -> tuple[Chosen, Recommender]:
            tried = []
            for label, method in options:
                bar.set_description(f"validation: {name}")
                per_fold = []
                for fold in folds:
                    per_fold.append(score(name, label, method, fold).metrics.ndcg)
                    bar.update()
                tried.append((Chosen(name, label, tuple(per_fold)), method))
            # max keeps the first of equal scores: the grids list the plainer settings first.
            return max(tried, key=lambda pair: pair[0].ndcg)

        for name, options in grid.items():
            best, method = validate(name, options)
            if name == OURS:
                table = ours_tables()[[label for label, _ in options].index(best.settings)][0]
                best, method = validate(name, [ours_candidate(table, scoring) for scoring in stage_two])
            chosen.append(best)
            if test:
                bar.set_description(f"test: {name}")
                final.append(score(name, best.settings, method, test_split))
            bar.update()
    counts = {
        "lines": lines.raw_lines,
        "kept": len(lines.customer),
        "customers": lines.n_customers,
        "items": lines.n_items,
        "catalogue": len(test_split.cases.catalogue),
        "test_customers": len(test_split.cases.customers),
        "validation_customers": sum(len(fold.cases.customers) for fold in folds),
    }
    return chosen, final, counts


def paired_bootstrap(
    ours: np.ndarray, theirs: np.ndarray, seed: int, rounds: int = 2000
) -> tuple[float, float]:
    """95% interval of the mean per-customer NDCG difference, customers resampled with replacement."""
    rng = np.random.default_rng(seed)
    difference = ours - theirs
    means = [difference[rng.integers(0, len(difference), len(difference))].mean() for _ in range(rounds)]
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def synthetic_lines(
    n_lines: int, n_customers: int, n_items: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer, item and age in days of each synthetic order line."""
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.0, n_customers)
    customer = rng.choice(n_customers, size=n_lines, p=activity / activity.sum())
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9
    item = rng.permutation(n_items)[rng.choice(n_items, size=n_lines, p=popularity / popularity.sum())]
    age = rng.uniform(0.0, 365.0, n_lines)
    return customer.astype(np.int64), item.astype(np.int64), age


def speed(n_lines: int, n_customers: int, n_items: int, lookups: int, seed: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tqdm(total=3, unit="step", file=sys.stderr, disable=None) as bar:
        bar.set_description("synthetic lines")
        customer, item, age = synthetic_lines(n_lines, n_customers, n_items, seed)
        bar.update()
        bar.set_description("fit on synthetic lines")
        scoring = item_cf.Scoring()
        started = time.perf_counter()
        interactions = item_cf.interaction_matrix(customer, item, shape=(n_customers, n_items))
        figures["matrix_s"] = time.perf_counter() - started
        table = item_cf.fit_neighbours(interactions, item_cf.Settings())
        weights = item_cf.recency_matrix(
            customer,
            item,
            age,
            shape=(n_customers, n_items),
            half_life_days=scoring.half_life_days,
            floor=scoring.recency_floor,
        )
        boost = item_cf.trend_boost(
            item_cf.trending(
                customer, item, age, n_items=n_items, half_life_days=scoring.trend_half_life_days
            ),
            scoring.trend_power,
        )
        figures["fit_s"] = time.perf_counter() - started
        figures["pairs"] = interactions.nnz
        figures["table_entries"] = table.matrix.nnz
        figures["table_mb"] = (
            table.matrix.data.nbytes + table.matrix.indices.nbytes + table.matrix.indptr.nbytes
        ) / 1e6
        del customer, item, age
        bar.update()
        bar.set_description("one customer's lookup")
        rng = np.random.default_rng(seed + 1)
        active = np.flatnonzero(np.diff(interactions.indptr))
        item_cf.recommend(
            table, interactions.indices[:1], n=K, boost=boost
        )  # builds the table's lookup keys once, as a server would
        timings = []
        sizes = []
        for row in rng.choice(active, size=lookups, replace=False):
            lo, hi = weights.indptr[row], weights.indptr[row + 1]
            owned, recency = weights.indices[lo:hi], weights.data[lo:hi]
            started = time.perf_counter()
            item_cf.recommend(table, owned, weights=recency, n=K, boost=boost)
            timings.append((time.perf_counter() - started) * 1000)
            sizes.append(len(owned))
        figures["lookup_p50_ms"] = statistics.median(timings)
        figures["lookup_p95_ms"] = float(np.percentile(timings, 95))
        figures["lookup_max_ms"] = max(timings)
        figures["owned_p95"] = float(np.percentile(sizes, 95))
        figures["owned_max"] = max(sizes)
        # A wholesaler-like customer: 1,000 owned items drawn from the catalogue.
        heavy = np.sort(rng.choice(n_items, size=min(1000, n_items), replace=False))
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            item_cf.recommend(table, heavy, n=K, boost=boost)
            timings.append((time.perf_counter() - started) * 1000)
        figures["heavy_p95_ms"] = float(np.percentile(timings, 95))
        bar.update()
    return figures


def report(
    validation: list[Chosen],
    final: list[Result],
    counts: dict[str, int],
    figures: dict[str, float] | None,
    args: argparse.Namespace,
) -> str:
    today = datetime.now(UTC).date().isoformat()
    best_baseline = max((r for r in final if r.name != "item_cf (ours)"), key=lambda r: r.metrics.ndcg)
    our = next(r for r in final if r.name == "item_cf (ours)")
    lines = [
        f"### Recommendations (`make bench-recommendations`, {today})",
        "",
        f"UCI Online Retail: {counts['lines']:,} invoice lines, {counts['kept']:,} kept after cleaning "
        f"({counts['customers']:,} customers, {counts['items']:,} products). Train before 2011-09-01, test from "
        f"then on; {counts['test_customers']:,} customers evaluated, {counts['catalogue']:,} items in the training "
        "catalogue. Protocol and metric definitions: `rapport/insights/numerics/rec_eval.py`. Each method's "
        "settings were chosen by mean NDCG@10 over two validation folds inside the training period (train before "
        "2011-03-01 / 2011-06-01, validate on the next three months; "
        f"{counts['validation_customers']:,} evaluated customers in all), then refitted on the whole training "
        f"period and scored once on the test. Ours in two stages: the similar-items table ({len(ours_tables())} "
        "settings, each scored with a recency half-life of 30 days or none and a trend boost of power 0.1 over "
        f"7 days), then its scoring ({len(ours_scorings())} settings: recency half-life and floor, trend "
        "boost).",
        "",
        "| method | settings (chosen on validation) | precision@10 | recall@10 | NDCG@10 | coverage "
        "| validation NDCG@10 (folds) | fit + recommend |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result, chosen in zip(final, validation, strict=True):
        m = result.metrics
        lines.append(
            f"| {result.name} | {result.settings} | {m.precision:.4f} | {m.recall:.4f} | {m.ndcg:.4f} "
            f"| {m.coverage:.1%} | {chosen.ndcg:.4f} ({' / '.join(f'{f:.4f}' for f in chosen.folds)}) "
            f"| {result.fit_s:.2f} s |"
        )
    verdict = "✔" if our.metrics.ndcg >= best_baseline.metrics.ndcg else "✘"
    low, high = paired_bootstrap(our.ndcg, best_baseline.ndcg, args.seed)
    lines += [
        "",
        f"Goal: ours >= the best baseline on NDCG@10 ({best_baseline.name}, {best_baseline.metrics.ndcg:.4f}): "
        f"{our.metrics.ndcg:.4f} {verdict}; difference {our.metrics.ndcg - best_baseline.metrics.ndcg:+.4f}, "
        f"95% paired bootstrap interval [{low:+.4f}, {high:+.4f}] (2,000 resamples of the test customers).",
    ]
    if figures:
        fit_ok = "✔" if figures["fit_s"] < 120 else "✘"
        lookup_ok = "✔" if figures["lookup_p95_ms"] < 5 else "✘"
        lines += [
            "",
            "| speed | figure | target |",
            "|---|---|---|",
            f"| similar-items table, recency weights and trend from {args.synthetic_lines:,} synthetic order lines "
            f"({args.synthetic_customers:,} customers x {args.synthetic_items:,} items, {figures['pairs']:,.0f} "
            f"distinct pairs; K={item_cf.Settings().neighbours}) "
            f"| {figures['fit_s']:.1f} s (matrix {figures['matrix_s']:.1f} s), table {figures['table_entries']:,.0f} "
            f"entries, {figures['table_mb']:.0f} MB | < 2 min {fit_ok} |",
            f"| one customer's recommendations from the table (recency-weighted, trend-boosted), p50 / p95 / max "
            f"of {args.lookups:,} customers "
            f"(owned items p95 {figures['owned_p95']:.0f}, max {figures['owned_max']:.0f}) "
            f"| {figures['lookup_p50_ms']:.2f} / {figures['lookup_p95_ms']:.2f} / {figures['lookup_max_ms']:.2f} ms "
            f"| p95 < 5 ms {lookup_ok} |",
            f"| the same for a customer owning 1,000 items, p95 of 200 calls | {figures['heavy_p95_ms']:.2f} ms | |",
        ]
    lines += [
        "",
        f"One thread (BLAS and implicit limited to one), Python {platform.python_version()}, on the project's "
        "2-core development machine, shared with other work while it ran.",
    ]
    return "\n".join(lines)


def replace_block(document: str, body: str) -> str:
    """The document with the recommendations block replaced (section and block added when missing)."""
    fenced = f"{START}\n{body.strip()}\n{END}"
    if START in document and END in document:
        before, rest = document.split(START, 1)
        return before + fenced + rest.split(END, 1)[1]
    if SECTION not in document.splitlines():
        return document.rstrip("\n") + f"\n\n{SECTION}\n\n{fenced}\n"
    lines = document.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.rstrip("\n") == SECTION)
    insert_at = next(
        (i for i in range(index + 1, len(lines)) if lines[i].startswith(("## ", "# "))),
        len(lines),
    )
    head, tail = "".join(lines[:insert_at]).rstrip("\n"), "".join(lines[insert_at:])
    return head + f"\n\n{fenced}\n" + (f"\n{tail}" if tail else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of online_retail_uci352.csv.gz")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--synthetic-lines", type=int, default=10_000_000)
    parser.add_argument("--synthetic-customers", type=int, default=1_000_000)
    parser.add_argument("--synthetic-items", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--validation-only",
        action="store_true",
        help="choose every method's settings, score nothing on the test",
    )
    args = parser.parse_args()

    with threadpool_limits(limits=1):
        validation: list[Chosen] = []
        final: list[Result] = []
        counts: dict[str, int] = {}
        if args.validation_only:
            validation, _, _ = quality(load_retail(args.data), args.seed, test=False)
            for chosen in validation:
                print(f"{chosen.name:28} {chosen.settings:90} val NDCG {chosen.ndcg:.4f} {chosen.folds}")
            return
        if not args.skip_quality:
            validation, final, counts = quality(load_retail(args.data), args.seed)
            for result, chosen in zip(final, validation, strict=True):
                print(
                    f"{result.name:28} {result.settings:90} P@10 {result.metrics.precision:.4f} "
                    f"R@10 {result.metrics.recall:.4f} NDCG@10 {result.metrics.ndcg:.4f} "
                    f"cov {result.metrics.coverage:.3f} val NDCG {chosen.ndcg:.4f} {chosen.folds} {result.fit_s:.2f} s"
                )
        figures = None
        if not args.skip_speed:
            figures = speed(
                args.synthetic_lines, args.synthetic_customers, args.synthetic_items, args.lookups, args.seed
            )
            print(figures)
    if final:
        body = report(validation, final, counts, figures, args)
        print(body)
        if args.write_docs:
            # Re-read right before writing: another producer may have added the section meanwhile.
            document = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
            BENCHMARKS.write_text(replace_block(document, body), encoding="utf-8")
            print(f"wrote {BENCHMARKS}")


if __name__ == "__main__":
    main()
