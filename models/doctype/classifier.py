"""Train, save, load and apply the document-type classifier (TF-IDF word and character n-grams + logistic regression).

Training data: ``examples.jsonl`` (hand-written labelled openings) plus, when given, the corpus
documents with a gold ``doc_type``. Run ``letopis train-doctype`` to retrain and rewrite the metrics.
"""
from __future__ import annotations

import gzip
import json
import pickle
from functools import lru_cache
from pathlib import Path

from models import data_path

MODEL_PATH = data_path("doctype", "doctype.pkl.gz")
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
    """Write the fitted model with the scikit-learn version it needs."""
    import sklearn

    with gzip.open(path, "wb") as handle:
        pickle.dump({"sklearn": sklearn.__version__, "model": model}, handle)


@lru_cache(maxsize=1)
def load():
    """The saved model; retrained from the examples when it is missing or from another scikit-learn."""
    import sklearn

    if MODEL_PATH.exists():
        try:
            with gzip.open(MODEL_PATH, "rb") as handle:
                saved = pickle.load(handle)
            if saved.get("sklearn") == sklearn.__version__:
                return saved["model"]
        except Exception:  # an unreadable pickle is rebuilt below, never fatal
            pass
    return train(load_examples())


def predict(text: str) -> tuple[str, float]:
    """(label, probability) for one document text."""
    import sklearn

    model = load()
    # The input is always one string, so sklearn's per-call validation only costs time.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        probabilities = model.predict_proba([text[:TEXT_CHARS]])[0]
    best = probabilities.argmax()
    return str(model.classes_[best]), float(probabilities[best])
