"""Confidence is measured precision per extraction method."""
from __future__ import annotations

import json

from extract.calibrate import DEFAULT_CONFIDENCE, calibrate, confidence_of, prediction_outcomes


def _item(method, **fields):
    return {"method": method, **fields}


def test_outcomes_follow_the_gold_matching_rules():
    gold = {"dates": ["2021-10-14"], "people": [["Любка Джонова", "LUBKA DJONOVA"]],
            "amounts": [{"value": 60660, "currency": "BGN"}], "attendance": {"present": 12, "total": 15}}
    predicted = {
        "dates": [_item("numeric", value="2021-10-14"), _item("month_name", value="2024-06-19")],
        "people": [_item("latin", name="LUBKA DJONOVA"), _item("weak", name="Бяла Слатина")],
        "amounts": [_item("currency_after", value=60660.0, currency="BGN"), _item("table", value=1.0, currency="EUR")],
        "attendance": _item("stated", present=12, absent=None, total=15),
    }
    assert sorted(prediction_outcomes(gold, predicted)) == sorted([
        ("dates", "numeric", True), ("dates", "month_name", False),
        ("people", "latin", True), ("people", "weak", False),
        ("amounts", "currency_after", True), ("amounts", "table", False),
        ("attendance", "stated", True),
    ])


def test_fields_the_gold_does_not_state_are_not_counted():
    assert list(prediction_outcomes({}, {"dates": [_item("numeric", value="2021-10-14")]})) == []


def test_calibration_smooths_and_uses_only_the_named_splits(tmp_path):
    corpus = tmp_path / "documents"
    gold = tmp_path / "gold"
    corpus.mkdir(), gold.mkdir()
    for stem, dates in (("100_a", ["2021-10-14"]), ("400_b", ["2020-01-01"])):
        (corpus / f"{stem}.txt").write_text("x", encoding="utf-8")
        (gold / f"{stem}.json").write_text(json.dumps({"dates": dates}), encoding="utf-8")
    (tmp_path / "splits.json").write_text(json.dumps({"splits": {"train": ["1??_*"], "test": ["4??_*"]}}))
    table = calibrate(gold, [corpus], lambda path: {"dates": [_item("numeric", value="2021-10-14")]}, ["train"])
    assert table["dates"]["numeric"] == {"n": 1, "correct": 1, "confidence": round(2 / 3, 3)}


def test_unknown_methods_get_the_default():
    assert confidence_of("dates", "no-such-method") == DEFAULT_CONFIDENCE
    assert 0.9 < confidence_of("dates", "numeric") <= 1.0
