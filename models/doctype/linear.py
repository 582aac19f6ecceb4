"""The fitted document-type model as plain arrays: TF-IDF features and a multinomial logistic regression
applied with numpy alone.

Training stays scikit-learn's (``classifier.make_pipeline``); :func:`export` turns the fitted
pipeline into a :class:`LinearModel` of vocabularies, idf weights, coefficients and intercepts,
saved as one ``.npz`` file. Applying it needs no scikit-learn: a build's start-up no longer
imports scikit-learn and SciPy (more than a second), each prediction skips scikit-learn's
per-call validation and sparse-matrix bookkeeping (3 ms a document, against 0.3 here), and the
saved file does not depend on the scikit-learn version that wrote it.

The features are computed exactly as ``TfidfVectorizer`` computes them (same tokens, n-grams,
sublinear tf, idf and l2 norm, and the same order of floating-point additions), so the
probabilities are scikit-learn's to the last bit; ``tests/test_doctype_model.py`` checks them
against the pipeline's.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np

SUPPORTED_ANALYZERS = ("word", "char_wb")
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's whitespace normaliser for char_wb


@dataclass(frozen=True)
class Features:
    """One ``TfidfVectorizer``: how it cuts text into terms, and each term's column and idf weight."""

    analyzer: str
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str
    sublinear_tf: bool
    vocabulary: dict[str, int] = field(repr=False)
    idf: np.ndarray = field(repr=False)

    def terms(self, text: str) -> list[str]:
        """The terms of ``text`` in the vectorizer's order (``build_analyzer()`` of scikit-learn)."""
        if self.lowercase:
            text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "char_wb":
            return _char_wb_ngrams(text, low, high)
        return _word_ngrams(re.findall(self.token_pattern, text), low, high)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values): the non-zero TF-IDF weights of ``text``, l2-normalised, columns ascending."""
        counts = Counter(self.terms(text))
        # map() and fromiter() keep the per-term work in C: a document has thousands of n-grams.
        columns = np.fromiter(map(self.vocabulary.get, counts, repeat(-1)), dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        known = columns >= 0
        order = np.argsort(columns[known])
        columns, values = columns[known][order], values[known][order]
        if self.sublinear_tf:
            np.log(values, values)
            values += 1.0
        values *= self.idf[columns]
        norm = np.sqrt(_sequential_sum_of_squares(values))
        if norm:
            values /= norm
        return columns, values


@dataclass(frozen=True)
class LinearModel:
    """TF-IDF feature blocks side by side, then a multinomial logistic regression."""

    blocks: tuple[Features, ...]
    classes: tuple[str, ...]
    coef_t: np.ndarray = field(repr=False)     # (features, classes): columns of all blocks, in block order
    intercept: np.ndarray = field(repr=False)  # (classes,)

    def predict_proba(self, text: str) -> np.ndarray:
        """The probability of each class (in ``classes`` order) for one text."""
        products = [np.zeros((1, len(self.classes)))]
        offset = 0
        for block in self.blocks:
            columns, values = block.vector(text)
            products.append(values[:, None] * self.coef_t[columns + offset])
            offset += len(block.vocabulary)
        # Summed one term after the other, in column order, as SciPy's sparse product does: the
        # probabilities come out bit for bit the same as scikit-learn's.
        scores = np.concatenate(products).cumsum(axis=0)[-1]
        scores += self.intercept
        scores -= scores.max()
        np.exp(scores, scores)
        scores /= scores.sum()
        return scores

    def predict(self, text: str) -> tuple[str, float]:
        """(class, probability) of the most probable class."""
        probabilities = self.predict_proba(text)
        best = int(probabilities.argmax())
        return self.classes[best], float(probabilities[best])


def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """Word n-grams, unigrams first, as ``_VectorizerMixin._word_ngrams`` orders them."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside words padded with a space, as ``_VectorizerMixin._char_wb_ngrams``
    (in another order: only the counts matter)."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        word = f" {word} "
        length = len(word)
        if length <= low:  # a word no longer than the shortest n-gram counts once, whole
            grams.append(word)
            continue
        for n in range(low, min(high, length) + 1):
            grams += [word[i:i + n] for i in range(length - n + 1)]
    return grams


def _sequential_sum_of_squares(values: np.ndarray) -> float:
    # scikit-learn's l2 normaliser adds the squares one after the other; numpy's pairwise sum
    # would differ in the last bits, and the norm divides every weight.
    total = 0.0
    for value in values.tolist():
        total += value * value
    return total


# --- export and storage ----------------------------------------------------------------------


def export(pipeline) -> LinearModel:
    """The :class:`LinearModel` of a fitted ``Pipeline([("features", FeatureUnion(...)), ("model", LogisticRegression)])``."""
    union, regression = pipeline.named_steps["features"], pipeline.named_steps["model"]
    if getattr(union, "transformer_weights", None):
        raise ValueError("weighted feature unions are not supported")
    if len(regression.classes_) < 3:
        raise ValueError("only multinomial models (three classes or more) are supported")
    blocks = []
    for _, vectorizer in union.transformer_list:
        params = vectorizer.get_params()
        unsupported = {k: params[k] for k in ("preprocessor", "tokenizer", "stop_words", "strip_accents")
                       if params[k] is not None}
        if params["analyzer"] not in SUPPORTED_ANALYZERS or unsupported or params["norm"] != "l2" \
                or not params["use_idf"] or params["binary"]:
            raise ValueError(f"unsupported vectorizer settings: {params}")
        blocks.append(Features(params["analyzer"], tuple(params["ngram_range"]), params["lowercase"],
                               params["token_pattern"], params["sublinear_tf"],
                               {str(term): int(column) for term, column in vectorizer.vocabulary_.items()},
                               np.asarray(vectorizer.idf_, dtype=np.float64)))
    return LinearModel(tuple(blocks), tuple(str(c) for c in regression.classes_),
                       np.ascontiguousarray(regression.coef_.T, dtype=np.float64),
                       np.asarray(regression.intercept_, dtype=np.float64))


def save(model: LinearModel, path: Path) -> None:
    """Write the model as one ``.npz`` (no pickles: loading it runs no code)."""
    arrays = {"coef_t": model.coef_t, "intercept": model.intercept, "classes": np.array(model.classes)}
    settings = []
    for n, block in enumerate(model.blocks):
        terms = sorted(block.vocabulary, key=block.vocabulary.get)
        if [block.vocabulary[t] for t in terms] != list(range(len(terms))):
            raise ValueError("a vocabulary's columns must be 0..n-1")
        arrays[f"terms_{n}"] = np.array(terms)
        arrays[f"idf_{n}"] = block.idf
        settings.append({"analyzer": block.analyzer, "ngram_range": list(block.ngram_range),
                         "lowercase": block.lowercase, "token_pattern": block.token_pattern,
                         "sublinear_tf": block.sublinear_tf})
    arrays["settings"] = np.array(json.dumps(settings))
    with open(path, "wb") as handle:  # np.savez_compressed would add ".npz" to a name without it
        np.savez_compressed(handle, **arrays)


def load(path: Path) -> LinearModel:
    """Read a model written by :func:`save`."""
    with np.load(path, allow_pickle=False) as saved:
        settings = json.loads(str(saved["settings"]))
        blocks = tuple(
            Features(s["analyzer"], tuple(s["ngram_range"]), s["lowercase"], s["token_pattern"], s["sublinear_tf"],
                     {term: column for column, term in enumerate(saved[f"terms_{n}"].tolist())},
                     saved[f"idf_{n}"])
            for n, s in enumerate(settings))
        return LinearModel(blocks, tuple(saved["classes"].tolist()), saved["coef_t"], saved["intercept"])
