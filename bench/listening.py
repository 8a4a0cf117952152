"""Benchmark the listening numerics on one core: sentiment and intent speed, model memory, spikes, themes.

Pins the process to one CPU and BLAS to one thread, then measures:
- sentiment messages a second over texts of the three VADER corpora, in batches of 256: VADER alone and
  the trained model (which runs VADER too, for its features);
- intent: p50/p95 of one ``suggest_tags`` call for one message, and batch throughput;
- defection rules, messages a second;
- memory of the loaded models: their arrays, and the process's resident memory before and after loading;
- spike detection over a year of hourly counts (plus four weeks of history), Bonferroni-corrected;
- themes (TF-IDF + NMF, 10 themes) over the 10,003 BANKING77 training queries.

Run by hand or with `make bench-listening` (which adds --write-docs to put the figures in
docs/benchmarks.md):

    .venv/bin/python bench/listening.py [--messages 6000] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapport.listening.docs import write_block  # noqa: E402
from rapport.listening.numerics import intent, sentiment  # noqa: E402
from rapport.listening.numerics.corpora import banking77, vader_corpora  # noqa: E402
from rapport.listening.numerics.defection import match_rules  # noqa: E402
from rapport.listening.numerics.evaluation import throughput  # noqa: E402
from rapport.listening.numerics.spikes import HOURS_PER_WEEK, detect_spikes, merge_episodes  # noqa: E402
from rapport.listening.numerics.themes import find_themes  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _year_of_mentions(seed: int) -> np.ndarray:
    hours = np.arange(56 * HOURS_PER_WEEK)
    rate = 4 + 20 * np.exp(-((((hours % 24) - 14) / 4) ** 2))
    counts = np.random.default_rng(seed).poisson(rate)
    counts[30 * HOURS_PER_WEEK + 40 : 30 * HOURS_PER_WEEK + 44] += 150  # one storm of four hours
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=6000, help="texts for the sentiment throughput")
    parser.add_argument("--latency-sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--dashboard",
        action="store_true",
        help="also time the listening dashboard over a generated data set (an in-memory test database)",
    )
    parser.add_argument("--dashboard-requests", type=int, default=30)
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="also time scoring stored messages end to end (read, score, write signals, alerts) per engine",
    )
    parser.add_argument("--pipeline-messages", type=int, default=5000)
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rng = random.Random(args.seed)
    texts = [text for corpus in vader_corpora() for text in corpus.texts]
    rng.shuffle(texts)
    texts = texts[: args.messages]
    test = banking77("test")
    figures: dict[str, float] = {}

    with threadpool_limits(limits=1), tqdm(total=7, unit="step", file=sys.stderr, disable=None) as bar:
        bar.set_description("loading models")
        before = _rss_mb()
        sentiment_model = sentiment.default_sentiment_model()
        intent_model = intent.default_intent_model()
        sentiment.vader_features(["warm up"])
        figures["rss_models_mb"] = _rss_mb() - before
        figures["sentiment_arrays_mb"] = sentiment_model.nbytes / 1e6
        figures["intent_arrays_mb"] = intent_model.nbytes / 1e6
        sentiment.score_texts(texts[:10])
        intent.suggest_tags(test.texts[:10])
        bar.update()

        bar.set_description("sentiment: VADER")
        figures["vader_per_s"] = throughput(sentiment.vader_sentiment, texts)
        bar.update()
        bar.set_description("sentiment: trained model")
        figures["model_per_s"] = throughput(sentiment.score_texts, texts)
        bar.update()

        bar.set_description("intent")
        timings = []
        for text in test.texts[: args.latency_sample]:
            started = time.perf_counter()
            intent.suggest_tags([text], k=3)
            timings.append((time.perf_counter() - started) * 1000)
        figures["intent_p50_ms"] = statistics.median(timings)
        figures["intent_p95_ms"] = float(np.percentile(timings, 95))
        figures["intent_per_s"] = throughput(lambda batch: intent.suggest_tags(batch, k=3), list(test.texts))
        bar.update()

        bar.set_description("defection rules")
        figures["rules_per_s"] = throughput(lambda batch: [match_rules(t) for t in batch], texts)
        bar.update()

        bar.set_description("spikes over a year")
        counts = _year_of_mentions(args.seed)
        started = time.perf_counter()
        spikes = detect_spikes(counts, start=datetime(2025, 1, 6, tzinfo=UTC), bonferroni=True, alpha=0.01)
        episodes = merge_episodes(spikes)
        figures["spikes_s"] = time.perf_counter() - started
        figures["spike_hours"] = len(spikes)
        figures["episodes"] = len(episodes)
        bar.update()

        bar.set_description("themes")
        started = time.perf_counter()
        find_themes(banking77("train").texts, k=10, seed=args.seed)
        figures["themes_s"] = time.perf_counter() - started
        bar.update()

    body = "\n".join(
        [
            f"### Speed and memory (`make bench-listening`, {datetime.now(UTC).date().isoformat()})",
            "",
            f"One core (process pinned to one CPU, BLAS limited to one thread), Python {platform.python_version()}, "
            "on the project's 2-core development machine, shared with other work while it ran.",
            "",
            "| what | figure | target |",
            "|---|---|---|",
            f"| sentiment, VADER alone ({len(texts):,} corpus texts, batches of 256) "
            f"| {figures['vader_per_s']:,.0f} messages/s | |",
            f"| sentiment, trained model (VADER features + hashed n-grams) "
            f"| {figures['model_per_s']:,.0f} messages/s | >= 2,000/s "
            f"{'✔' if figures['model_per_s'] >= 2000 else '✘'} |",
            f"| intent, one message (`suggest_tags`, top 3), p50 / p95 "
            f"| {figures['intent_p50_ms']:.2f} ms / {figures['intent_p95_ms']:.2f} ms "
            f"| < 5 ms {'✔' if figures['intent_p95_ms'] < 5 else '✘'} |",
            f"| intent, batches of 256 | {figures['intent_per_s']:,.0f} messages/s | |",
            f"| defection rules | {figures['rules_per_s']:,.0f} messages/s | |",
            f"| loaded models' arrays: sentiment / intent "
            f"| {figures['sentiment_arrays_mb']:.1f} MB / {figures['intent_arrays_mb']:.1f} MB | |",
            f"| resident memory added by loading both models (and VADER's lexicon) "
            f"| {figures['rss_models_mb']:.0f} MB | |",
            f"| spike detection, a year of hourly counts + 4 weeks of history ({len(counts):,} hours) "
            f"| {figures['spikes_s'] * 1000:.1f} ms ({figures['spike_hours']:.0f} spiking hours, "
            f"{figures['episodes']:.0f} episode(s)) | < 1 s {'✔' if figures['spikes_s'] < 1 else '✘'} |",
            f"| themes: TF-IDF + NMF, 10 themes over 10,003 messages | {figures['themes_s']:.1f} s | |",
        ]
    )
    if args.dashboard or args.pipeline:
        _test_database()
    if args.pipeline:
        body += pipeline_figures(args.pipeline_messages, args.seed)
    if args.dashboard:
        body += dashboard_figures(args.dashboard_requests, args.seed)
    print(body)
    if args.write_docs:
        print(f"wrote {write_block('bench', body)}")


def _test_database() -> None:
    """Django on a fresh in-memory SQLite test database, tasks run inline (as in the test suite)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)


def pipeline_figures(count: int, seed: int) -> str:
    """Stored inbound messages scored through ``score_new_messages`` (batches of 500): reading them, every
    model, writing the signals and checking the alert rules, per engine. One core, in-memory SQLite."""
    from rapport.customers.models import Customer
    from rapport.desk.models import Conversation, Message
    from rapport.listening.models import MessageSignal, ScoringCursor
    from rapport.listening.services import scoring
    from rapport.listening.services.config import listening_settings

    rng = random.Random(seed)
    texts = [text for corpus in vader_corpora() for text in corpus.texts]
    customers = Customer.objects.bulk_create([Customer(name=f"Bench {n}") for n in range(count // 10)])
    conversations = Conversation.objects.bulk_create(
        [Conversation(customer=customer, channel="email", subject="bench") for customer in customers]
    )
    Message.objects.bulk_create(
        [
            Message(
                conversation=rng.choice(conversations),
                kind="inbound",
                channel="email",
                body_text=rng.choice(texts),
            )
            for _ in range(count)
        ],
        batch_size=2000,
    )
    rows = ["| engine | stored messages scored end to end | per message |", "|---|---|---|"]
    for engine in ("vader", "trained"):
        MessageSignal.objects.all().delete()
        ScoringCursor.objects.all().delete()
        settings_row = listening_settings()
        settings_row.sentiment_engine = engine
        settings_row.save()
        with threadpool_limits(limits=1):
            started = time.perf_counter()
            done = 0
            with tqdm(
                total=count, unit="msg", file=sys.stderr, disable=None, desc=f"pipeline: {engine}"
            ) as bar:
                while batch := scoring.score_new_messages().scored:
                    done += batch
                    bar.update(batch)
            elapsed = time.perf_counter() - started
        rows.append(f"| {engine} | {done / elapsed:,.0f} messages/s | {elapsed / done * 1000:.2f} ms |")
    return "\n".join(
        [
            "",
            "",
            f"### Scoring stored messages (`--pipeline`, {count:,} messages, {datetime.now(UTC).date().isoformat()})",
            "",
            "What the scoring task does for each batch of 500 inbound messages: read them with their conversation"
            " and customer, sentiment (the engine in use), the company's tag model when one is trained (none"
            " here), defection (rules, then the intent model), write the signals, check the alert rules. One"
            " core, in-memory SQLite.",
            *rows,
        ]
    )


def dashboard_figures(requests: int, seed: int) -> str:
    """The dashboard page and the spike check over a generated data set: 90 days of messages with
    sentiment, survey answers, and 118 days of hourly mentions (with one storm), in an in-memory
    SQLite test database. Gives p50/p95 of the page with a 90-day range, and the spike check's time."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from rapport.accounts.models import Role, User
    from rapport.channels.models import SocialMention
    from rapport.customers.models import Customer
    from rapport.desk.models import Conversation, Message
    from rapport.listening.models import MessageSignal
    from rapport.listening.services.mentions import check_mention_spikes, hour_floor
    from rapport.listening.tests import factories_dashboard as make

    rng = np.random.default_rng(seed)
    now = timezone.now()
    lead = User.objects.create_user(email="lead@bench.test", password="x", role=Role.LEAD)
    customer = Customer.objects.create(name="Bench customer")
    conversation = Conversation.objects.create(customer=customer, channel="email", subject="bench")
    messages = Message.objects.bulk_create(
        [
            Message(conversation=conversation, kind="inbound", channel="email", body_text="hello")
            for _ in range(20_000)
        ],
        batch_size=2000,
    )
    scores = rng.uniform(-1, 1, len(messages))
    MessageSignal.objects.bulk_create(
        [
            MessageSignal(
                message=message,
                written_at=now - timedelta(minutes=int(rng.integers(0, 90 * 24 * 60))),
                sentiment_score=float(score),
                sentiment_label="positive" if score > 0.05 else "negative" if score < -0.05 else "neutral",
                model_version="bench",
            )
            for message, score in zip(messages, scores, strict=True)
        ],
        batch_size=2000,
    )
    for _ in range(2000):
        kind = str(rng.choice(["csat", "ces", "nps"]))
        score = int(
            rng.integers(1, 6)
            if kind == "csat"
            else rng.integers(1, 8)
            if kind == "ces"
            else rng.integers(0, 11)
        )
        make.survey_answer(
            kind, score, at=now - timedelta(minutes=int(rng.integers(0, 90 * 24 * 60))), agent=lead
        )
    hours = 118 * 24
    start = hour_floor(now) - timedelta(hours=hours - 1)
    counts = rng.poisson(4 + 8 * np.exp(-((((np.arange(hours) % 24) - 14) / 4) ** 2)))
    counts[-2] += 120
    make.hourly_mentions(start, [int(n) for n in counts])
    mentions = SocialMention.objects.count()

    started = time.perf_counter()
    raised = check_mention_spikes(now=now)
    spike_check_s = time.perf_counter() - started

    client = Client()
    client.force_login(lead)
    client.get("/listening/?days=90")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/listening/?days=90")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return "\n".join(
        [
            "",
            "",
            f"### Listening dashboard over generated data ({datetime.now(UTC).date().isoformat()})",
            "",
            f"In-memory SQLite: {len(messages):,} scored messages, 2,000 survey answers over 90 days, "
            f"{mentions:,} mentions over {hours:,} hours.",
            "",
            "| what | figure |",
            "|---|---|",
            f"| dashboard page, 90 days, p50 / p95 of {requests} requests "
            f"| {statistics.median(timings):.0f} ms / {float(np.percentile(timings, 95)):.0f} ms |",
            f"| spike check (hourly GROUP BY over 4 weeks + 1 day, test, alert) "
            f"| {spike_check_s * 1000:.0f} ms ({len(raised)} alert raised) |",
        ]
    )


if __name__ == "__main__":
    main()
