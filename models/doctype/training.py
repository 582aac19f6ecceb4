"""The labelling loop's training step: fit on examples (+ labelled corpus documents), measure, save.

Metrics written to ``metrics.json``:
- ``cross_validation``: 5-fold accuracy on ``examples.jsonl``;
- ``held_out_corpus``: a model trained on the examples alone, scored on the corpus documents
  (never seen in training), for the classifier alone and with the heading rules in front;
- the final saved model is then trained on the examples plus the labelled corpus documents.
"""
from __future__ import annotations

import json
from pathlib import Path

from models.doctype.classifier import METRICS_PATH, TEXT_CHARS, load_examples, make_pipeline, save, train


HELD_OUT_SPLITS = ("dev", "test")


def labelled_corpus(corpus_dir: Path, gold_dir: Path) -> list[tuple[str, list[str], str]]:
    """(text, acceptable labels, file name) for every corpus document with a gold doc_type.

    Documents of the held-out split (``splits.json`` beside the gold directory) are left out:
    they exist to measure quality on unseen documents and must never reach training.
    """
    from extract.evaluate import find_document, in_split, load_splits
    from extract.readers import ReadError, read_document

    splits = load_splits(gold_dir.parent / "splits.json")
    held_out = [pattern for name in HELD_OUT_SPLITS for pattern in splits.get(name, [])]
    labelled = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        if in_split(gold_path.stem, held_out):
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        if "doc_type" not in gold:
            continue
        document = find_document([corpus_dir], gold_path.stem)
        if document is None:
            continue
        try:
            text = read_document(document).text
        except ReadError:
            continue
        labels = gold["doc_type"] if isinstance(gold["doc_type"], list) else [gold["doc_type"]]
        labelled.append((text, labels, document.name))
    return labelled


def train_and_report(corpus_dir: Path, gold_dir: Path, save_model: bool = True) -> dict:
    """Measure held-out quality, train the final model, save it and its metrics."""
    import sklearn
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from extract.fields.doctype import rule_doc_type

    examples = load_examples()
    texts = [t[:TEXT_CHARS] for t, _ in examples]
    labels = [label for _, label in examples]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    cv = cross_val_score(make_pipeline(), texts, labels, cv=folds)

    corpus = labelled_corpus(corpus_dir, gold_dir)
    examples_only = train(examples)
    classifier_hits = rules_hits = 0
    mistakes = []
    for text, acceptable, name in corpus:
        predicted = str(examples_only.predict([text[:TEXT_CHARS]])[0])
        classifier_hits += predicted in acceptable
        combined = rule_doc_type(text) or predicted
        rules_hits += combined in acceptable
        if combined not in acceptable:
            mistakes.append({"document": name, "gold": acceptable, "predicted": combined})

    final = train(examples + [(text, acceptable[0]) for text, acceptable, _ in corpus])
    report = {
        "sklearn": sklearn.__version__,
        "examples": len(examples),
        "corpus_documents": len(corpus),
        "cross_validation_accuracy": round(float(cv.mean()), 3),
        "held_out_corpus": {
            "classifier_accuracy": round(classifier_hits / len(corpus), 3) if corpus else None,
            "rules_then_classifier_accuracy": round(rules_hits / len(corpus), 3) if corpus else None,
            "mistakes": mistakes,
        },
    }
    if save_model:
        save(final)
        METRICS_PATH.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report
