"""Readers for the labelled public corpora shipped in ``rapport/listening/corpora/`` (no Django).

Each folder there keeps its source's README and licence; the files are copied unchanged.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CORPORA_DIR = Path(__file__).resolve().parent.parent / "corpora"
VADER_DIR = CORPORA_DIR / "vader-groundtruth"
BANKING77_DIR = CORPORA_DIR / "banking77"

# Hutto & Gilbert (2014), Table 4: the corpora shipped here, in the paper's order.
VADER_CORPORA = {
    "tweets": "tweets_GroundTruth.txt",
    "movie reviews": "movieReviewSnippets_GroundTruth.txt",
    "NYT editorials": "nytEditorialSnippets_GroundTruth.txt",
}


@dataclass(frozen=True)
class RatedCorpus:
    """Texts with the mean of their human sentiment ratings (-4..+4)."""

    name: str
    texts: tuple[str, ...]
    ratings: tuple[float, ...]


@dataclass(frozen=True)
class TaggedCorpus:
    texts: tuple[str, ...]
    tags: tuple[str, ...]


def read_rated(path: Path, name: str | None = None) -> RatedCorpus:
    """A ground-truth file of the VADER paper: tab-separated id, mean rating, text (CRLF lines)."""
    texts, ratings = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.rstrip("\r\n")
            if not stripped.strip():
                continue
            parts = stripped.split("\t", 2)
            if len(parts) != 3:
                raise ValueError(f"{path.name} line {number}: expected id, rating and text")
            ratings.append(float(parts[1]))
            texts.append(parts[2])
    return RatedCorpus(name=name or path.stem, texts=tuple(texts), ratings=tuple(ratings))


def vader_corpora(directory: Path = VADER_DIR) -> list[RatedCorpus]:
    return [read_rated(directory / filename, name) for name, filename in VADER_CORPORA.items()]


def read_tagged(path: Path, text_column: str = "text", tag_column: str = "category") -> TaggedCorpus:
    """A CSV of texts and their tags (BANKING77's ``text,category``)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return TaggedCorpus(
        texts=tuple(row[text_column] for row in rows), tags=tuple(row[tag_column] for row in rows)
    )


def banking77(split: str, directory: Path = BANKING77_DIR) -> TaggedCorpus:
    if split not in {"train", "test"}:
        raise ValueError("split is train or test")
    return read_tagged(directory / f"{split}.csv")
