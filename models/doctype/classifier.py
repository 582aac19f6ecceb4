"""Train, save, load and apply the document-type classifier (TF-IDF word and character n-grams + logistic regression).

Training data: ``examples.jsonl`` (hand-written labelled openings) plus, when given, the corpus
documents with a gold ``doc_type``. Run ``letopis train-doctype`` to retrain and rewrite the metrics.
Training uses scikit-learn; the saved model is the fitted pipeline's arrays (``linear.py``), which
predict the same probabilities without importing scikit-learn.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from models import data_path
from models.doctype import linear

MODEL_PATH = data_path("doctype", "doctype.npz")
METRICS_PATH = data_path("doctype", "metrics.json")
EXAMPLES_PATH = data_path("doctype", "examples.jsonl")
TEXT_CHARS = 3000


def load_examples(path: Path = EXAMPLES_PATH) -> list[tuple[str, str]]:
    """(text, label) pairs from a JSON-lines file."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            pairs.append((item["text"], item["label"]))
    return pairs


def make_pipeline():
    """The untrained model."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion([
        ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=20000)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True, max_features=30000)),
    ])
    return Pipeline([("features", features), ("model", LogisticRegression(max_iter=2000, C=8.0, class_weight="balanced"))])


def train(pairs: list[tuple[str, str]]):
    """Fit the model on (text, label) pairs."""
    model = make_pipeline()
    model.fit([t[:TEXT_CHARS] for t, _ in pairs], [label for _, label in pairs])
    return model


def save(model, path: Path = MODEL_PATH) -> None:
    """Write a fitted pipeline as the plain arrays prediction needs (``linear.py``)."""
    linear.save(linear.export(model), path)


@lru_cache(maxsize=1)
def load() -> linear.LinearModel:
    """The saved model; trained from the examples (with scikit-learn) when the file is missing or unreadable."""
    if MODEL_PATH.exists():
        try:
            return linear.load(MODEL_PATH)
        except Exception:  # an unreadable model is rebuilt below, never fatal
            pass
    return linear.export(train(load_examples()))


def predict(text: str) -> tuple[str, float]:
    """(label, probability) for one document text."""
    return load().predict(text[:TEXT_CHARS])
