"""Linear text models over hashed word and character n-grams: features, training, and pickle-free files.

Both trained models of the listening app (sentiment and intent) are multinomial logistic regressions over
the same kind of features, so they share this module. Features are hashed (scikit-learn's
HashingVectorizer), so the only state a model carries is its coefficients, its intercepts, an optional
IDF vector and the feature settings: a model is stored as one ``.npz`` of plain arrays (read with
``allow_pickle=False``, so loading a file never runs code) and one ``.json`` of metadata (format version,
training corpora, seed, date, and the SHA-256 of the ``.npz``, checked on load).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

FORMAT_VERSION = 1
# A zip entry's timestamp is part of the file: a fixed one makes a rebuild with the same coefficients
# byte-identical, so retraining does not churn the files kept in git.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Only the start of a very long text is read: the cost stays bounded whatever a sender pastes in.
MAX_TEXT_CHARS = 20_000

ExtraFeatures = Callable[[Sequence[str]], np.ndarray]


class ModelFileError(ValueError):
    """A model file is missing, of another format version, or does not match its metadata."""


@dataclass(frozen=True)
class FeatureSettings:
    """How a text becomes a feature vector; stored with the model so scoring matches training."""

    n_features: int = 2**16  # hashed columns per analyzer (words, then characters)
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (3, 5)  # within word boundaries; None: words only
    sublinear_tf: bool = False  # 1 + log(count) instead of the count
    idf: bool = False  # weigh columns by inverse document frequency learnt in training
    extra: tuple[str, ...] = ()  # names of dense features appended after the hashed ones

    @property
    def width(self) -> int:
        analyzers = 2 if self.char_ngrams else 1
        return analyzers * self.n_features + len(self.extra)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSettings:
        char = data.get("char_ngrams")
        return cls(
            n_features=int(data["n_features"]),
            word_ngrams=(int(data["word_ngrams"][0]), int(data["word_ngrams"][1])),
            char_ngrams=(int(char[0]), int(char[1])) if char else None,
            sublinear_tf=bool(data.get("sublinear_tf", False)),
            idf=bool(data.get("idf", False)),
            extra=tuple(data.get("extra", ())),
        )


def _vectorizers(settings: FeatureSettings) -> list[HashingVectorizer]:
    common: dict[str, Any] = {
        "n_features": settings.n_features,
        "alternate_sign": False,
        "norm": None,
        "dtype": np.float32,
    }
    found = [HashingVectorizer(ngram_range=settings.word_ngrams, **common)]
    if settings.char_ngrams:
        found.append(HashingVectorizer(analyzer="char_wb", ngram_range=settings.char_ngrams, **common))
    return found


def _scale_and_normalise(block: sp.csr_matrix, weights: np.ndarray | None) -> sp.csr_matrix:
    """Multiply each column by its weight (IDF), then scale each row to unit length, in place.

    Done on the CSR arrays directly: scipy's diagonal-matrix products cost more than the whole model
    when one message is scored at a time.
    """
    if weights is not None:
        block.data *= weights[block.indices]
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    norms = np.sqrt(np.bincount(rows, weights=block.data.astype(np.float64) ** 2, minlength=block.shape[0]))
    norms[norms == 0] = 1.0
    block.data /= norms[rows].astype(np.float32)
    return block


def hashed_counts(texts: Sequence[str], settings: FeatureSettings) -> list[sp.csr_matrix]:
    """One matrix of (optionally sublinear) n-gram counts per analyzer, before IDF and normalising."""
    blocks = []
    clipped = [text[:MAX_TEXT_CHARS] for text in texts]
    for vectorizer in _vectorizers(settings):
        block = sp.csr_matrix(vectorizer.transform(clipped), dtype=np.float32)
        if settings.sublinear_tf:
            block.data = 1.0 + np.log(block.data)
        blocks.append(block)
    return blocks


def learn_idf(texts: Sequence[str], settings: FeatureSettings) -> np.ndarray:
    """Smoothed IDF per hashed column (as scikit-learn's TfidfTransformer computes it)."""
    columns = []
    for block in hashed_counts(texts, settings):
        document_frequency = np.bincount(block.indices, minlength=block.shape[1])
        columns.append(np.log((1 + block.shape[0]) / (1 + document_frequency)) + 1.0)
    return np.concatenate(columns).astype(np.float32)


def featurise(
    texts: Sequence[str],
    settings: FeatureSettings,
    *,
    idf: np.ndarray | None = None,
    extra: ExtraFeatures | None = None,
) -> sp.csr_matrix:
    """Texts to a sparse matrix: each analyzer's block L2-normalised, then the extra dense columns."""
    blocks = hashed_counts(texts, settings)
    parts = []
    offset = 0
    for block in blocks:
        weights = None if idf is None else idf[offset : offset + block.shape[1]]
        parts.append(_scale_and_normalise(block, weights))
        offset += block.shape[1]
    if settings.extra:
        if extra is None:
            raise ValueError(f"these settings need the extra features {settings.extra}")
        parts.append(sp.csr_matrix(np.asarray(extra(texts), dtype=np.float32)))
    return sp.csr_matrix(sp.hstack(parts, format="csr"), dtype=np.float32)


@dataclass(frozen=True, eq=False)
class LinearTextModel:
    """A multinomial logistic regression over hashed text features, ready to score.

    ``coef`` is sparse (classes x features): columns no training text touched, and with pruning the
    smallest weights, are left out, which keeps the files and the loaded model small.
    """

    kind: str
    settings: FeatureSettings
    classes: tuple[str, ...]
    coef: sp.csr_matrix
    intercept: np.ndarray
    idf: np.ndarray | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def _coef_by_feature(self) -> sp.csr_matrix:
        # Transposed once per loaded model: converting it on every call cost ~10 ms a message.
        return sp.csr_matrix(self.coef.T)

    def decision(self, features: sp.csr_matrix) -> np.ndarray:
        return np.asarray((features @ self._coef_by_feature).toarray(), dtype=np.float64) + self.intercept

    def probabilities_of(self, features: sp.csr_matrix) -> np.ndarray:
        """Softmax of the decision values: one row per text, one column per class (in ``classes``)."""
        scores = self.decision(features)
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    @property
    def nbytes(self) -> int:
        """Memory the arrays of the loaded model hold."""
        total = self.coef.data.nbytes + self.coef.indices.nbytes + self.coef.indptr.nbytes
        total += self.intercept.nbytes + (self.idf.nbytes if self.idf is not None else 0)
        return int(total)


def fit_linear_model(
    features: sp.csr_matrix,
    labels: Sequence[str],
    *,
    kind: str,
    settings: FeatureSettings,
    seed: int,
    c: float,
    tol: float = 1e-4,
    keep_fraction: float = 1.0,
    idf: np.ndarray | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> LinearTextModel:
    """Fit the regression (L-BFGS, deterministic) and return the model exactly as it will be stored.

    Weights are rounded to float16, the precision of the file, and with ``keep_fraction`` < 1 only that
    share of the largest non-zero weights (by magnitude) is kept: predictions in memory and after a
    save and load are then the same.
    """
    if not 0 < keep_fraction <= 1:
        raise ValueError("keep_fraction must be in (0, 1]")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("training needs texts of at least two classes")
    regression = LogisticRegression(C=c, tol=tol, max_iter=5000, random_state=seed)
    regression.fit(features, np.asarray(labels))
    weights = np.asarray(regression.coef_, dtype=np.float64)
    intercept = np.asarray(regression.intercept_, dtype=np.float64)
    if len(classes) == 2:
        # A two-class fit gives one row, P(second) = sigmoid(w.x + b): a softmax over (0, w.x + b).
        weights = np.vstack([np.zeros_like(weights), weights])
        intercept = np.concatenate([[0.0], intercept])
    if keep_fraction < 1:
        magnitudes = np.abs(weights[weights != 0])
        if magnitudes.size:
            threshold = np.quantile(magnitudes, 1 - keep_fraction)
            weights[np.abs(weights) < threshold] = 0.0
    coef = sp.csr_matrix(weights.astype(np.float16).astype(np.float32))
    coef.eliminate_zeros()
    return LinearTextModel(
        kind=kind,
        settings=settings,
        classes=tuple(str(label) for label in classes),
        coef=coef,
        intercept=intercept.astype(np.float32),
        idf=None if idf is None else idf.astype(np.float16).astype(np.float32),
        metadata=dict(metadata or {}),
    )


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            entry = io.BytesIO()
            np.lib.format.write_array(entry, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entry.getvalue())
    return buffer.getvalue()


def model_paths(directory: Path, name: str) -> tuple[Path, Path]:
    return directory / f"{name}.npz", directory / f"{name}.json"


def save_model(model: LinearTextModel, directory: Path, name: str) -> tuple[Path, Path]:
    """Write ``name.npz`` (arrays) and ``name.json`` (settings and metadata) into ``directory``."""
    blob, document = model_to_bytes(model)
    directory.mkdir(parents=True, exist_ok=True)
    npz_path, json_path = model_paths(directory, name)
    npz_path.write_bytes(blob)
    json_path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return npz_path, json_path


_META_KEYS = {"format_version", "kind", "classes", "features", "shape", "npz_sha256"}


def load_model(directory: Path, name: str) -> LinearTextModel:
    """Read a model written by ``save_model``; raises ModelFileError when it cannot be trusted."""
    npz_path, json_path = model_paths(directory, name)
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
        blob = npz_path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read the {name} model in {directory}: {exc}") from exc
    try:
        return model_from_bytes(blob, document)
    except ModelFileError as exc:
        raise ModelFileError(
            f"{npz_path} / {json_path}: {exc} (rebuild with build_listening_models)"
        ) from exc


def model_to_bytes(model: LinearTextModel) -> tuple[bytes, dict[str, Any]]:
    """The model in memory: the ``.npz`` bytes (no pickle) and the JSON document with their SHA-256.

    ``save_model`` writes them to files; a database row can hold them too. ``model_from_bytes`` reads them.
    """
    arrays = {
        "data": model.coef.data.astype(np.float16),
        "indices": model.coef.indices.astype(np.int32),
        "indptr": model.coef.indptr.astype(np.int32),
        "intercept": model.intercept.astype(np.float32),
    }
    if model.idf is not None:
        arrays["idf"] = model.idf.astype(np.float16)
    blob = _npz_bytes(arrays)
    document = {
        "format_version": FORMAT_VERSION,
        "kind": model.kind,
        "classes": list(model.classes),
        "features": model.settings.to_json(),
        "shape": [len(model.classes), model.settings.width],
        "npz_sha256": hashlib.sha256(blob).hexdigest(),
        **{key: value for key, value in model.metadata.items() if key not in {"format_version", "kind"}},
    }
    return blob, document


def model_from_bytes(blob: bytes, document: Mapping[str, Any]) -> LinearTextModel:
    """Read a model written by ``model_to_bytes``; raises ModelFileError when it cannot be trusted."""
    if document.get("format_version") != FORMAT_VERSION:
        found = document.get("format_version")
        raise ModelFileError(f"the model is format {found}, not {FORMAT_VERSION}")
    if hashlib.sha256(blob).hexdigest() != document.get("npz_sha256"):
        raise ModelFileError("the model's arrays file does not match its checksum")
    settings = FeatureSettings.from_json(document["features"])
    rows, width = (int(n) for n in document["shape"])
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        coef = sp.csr_matrix(
            (arrays["data"].astype(np.float32), arrays["indices"], arrays["indptr"]), shape=(rows, width)
        )
        intercept = arrays["intercept"].astype(np.float32)
        idf = arrays["idf"].astype(np.float32) if "idf" in arrays.files else None
    return LinearTextModel(
        kind=str(document["kind"]),
        settings=settings,
        classes=tuple(document["classes"]),
        coef=coef,
        intercept=intercept,
        idf=idf,
        metadata={key: value for key, value in document.items() if key not in _META_KEYS},
    )
