"""The exported document-type model (``models/doctype/linear.py``) against scikit-learn's pipeline."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from models.doctype import classifier, linear

ROOT = Path(__file__).resolve().parent.parent
TRICKY_TEXTS = [
    "",
    "а",
    "!!! ??",
    "Решение  №\t12\n\nот  14.10.2021 г.  ",
    "ОБЩИНСКИ СЪВЕТ – Пловдив, „Зелена“ система: 65 410,72 лв. Oбщина (Latin O) BG16RFOP001-1.020-0003-C01",
    "аз ти то я в и с",
]


@pytest.fixture(scope="module")
def fitted():
    """A pipeline fitted on a third of the examples (quick, and still all eight labels)."""
    examples = classifier.load_examples()
    return classifier.train(examples[::3])


def sample_texts() -> list[str]:
    return [text for text, _ in classifier.load_examples()[1::3]] + TRICKY_TEXTS


def test_exported_model_gives_the_pipelines_probabilities_bit_for_bit(fitted, tmp_path):
    path = tmp_path / "model.npz"
    linear.save(linear.export(fitted), path)
    model = linear.load(path)
    assert model.classes == tuple(fitted.classes_)
    for text in sample_texts():
        expected = fitted.predict_proba([text[:classifier.TEXT_CHARS]])[0]
        assert np.array_equal(model.predict_proba(text[:classifier.TEXT_CHARS]), expected), text[:60]


@pytest.mark.parametrize("analyzer, ngram_range", [("char_wb", (3, 5)), ("char_wb", (1, 2)), ("char_wb", (2, 7)),
                                                   ("word", (1, 1)), ("word", (1, 2)), ("word", (2, 3))])
def test_terms_are_scikit_learns(analyzer, ngram_range):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range)
    analyze = vectorizer.build_analyzer()
    features = linear.Features(analyzer, ngram_range, True, vectorizer.token_pattern, True, {}, np.empty(0))
    for text in TRICKY_TEXTS + [text for text, _ in classifier.load_examples()[:20]]:
        assert Counter(features.terms(text)) == Counter(analyze(text))


def test_unsupported_vectorizer_settings_are_refused():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    examples = classifier.load_examples()[::4]
    pipeline = Pipeline([("features", FeatureUnion([("words", TfidfVectorizer(binary=True))])),
                         ("model", LogisticRegression(max_iter=500))])
    pipeline.fit([t for t, _ in examples], [label for _, label in examples])
    with pytest.raises(ValueError, match="unsupported"):
        linear.export(pipeline)


def test_prediction_does_not_import_scikit_learn():
    code = ("import sys; from models.doctype.classifier import predict; "
            "label, p = predict('Съобщение за обществено обсъждане на проекта на бюджет'); "
            "assert 0 < p <= 1 and label; assert 'sklearn' not in sys.modules and 'scipy' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith(('sklearn', 'scipy')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
