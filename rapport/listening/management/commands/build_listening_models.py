"""manage.py build_listening_models [--seed N] [--only sentiment|intent] [--output DIR]."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from rapport.listening.numerics import intent, sentiment
from rapport.listening.numerics.corpora import VADER_CORPORA, banking77, vader_corpora
from rapport.listening.numerics.evaluation import gold_labels
from rapport.listening.numerics.linear import save_model

DEFAULT_SEED = 20140601  # any fixed number: the same seed and data give the same files


class Command(BaseCommand):
    help = (
        "Train the sentiment model (the three VADER ground-truth corpora) and the intent model (BANKING77's "
        "training split) from the corpora shipped in rapport/listening/corpora, and write them to "
        "rapport/listening/model_files."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--only", choices=("sentiment", "intent"))
        parser.add_argument(
            "--output", type=Path, default=sentiment.MODEL_DIR, help="folder for the model files"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed, output = options["seed"], options["output"]
        wanted = [options["only"]] if options["only"] else ["sentiment", "intent"]
        with tqdm(total=2 * len(wanted), unit="step", file=sys.stderr, disable=None) as bar:
            if "sentiment" in wanted:
                bar.set_description("sentiment: reading corpora")
                corpora = vader_corpora()
                texts = [text for corpus in corpora for text in corpus.texts]
                labels = gold_labels([rating for corpus in corpora for rating in corpus.ratings])
                bar.update()
                bar.set_description("sentiment: training")
                model = sentiment.train_sentiment_model(
                    texts,
                    labels,
                    seed=seed,
                    metadata={
                        "version": f"sentiment-{seed}",
                        "corpora": [f"vader-groundtruth/{name}" for name in VADER_CORPORA.values()],
                    },
                )
                paths = save_model(model, output, sentiment.MODEL_NAME)
                bar.update()
                self._report(model.metadata, paths)
            if "intent" in wanted:
                bar.set_description("intent: reading corpora")
                train = banking77("train")
                bar.update()
                bar.set_description("intent: training")
                model = intent.train_intent_model(
                    train.texts,
                    train.tags,
                    seed=seed,
                    metadata={"version": f"intent-{seed}", "corpora": ["banking77/train.csv"]},
                )
                paths = save_model(model, output, intent.MODEL_NAME)
                bar.update()
                self._report(model.metadata, paths)

    def _report(self, metadata: Any, paths: tuple[Path, Path]) -> None:
        npz, _ = paths
        self.stdout.write(
            f"{npz.stem}: {metadata['training_texts']:,} texts, seed {metadata['seed']}, "
            f"{npz.stat().st_size / 1e6:.2f} MB -> {npz.parent}"
        )
