"""Confidence as measured precision: for each field and extraction method, the share of items that
match the gold on labelled documents (``letopis calibrate``), smoothed as (correct + 1) / (n + 2).

Every record says how it was found (``method``: ``full`` name, ``initial`` + surname, a tally
that settles a proposal, a table cell with the currency in its header ...). Calibration counts,
per method, how often such items were right on the train and dev splits and writes
``models/confidence.json``; the pipeline then gives each record that number as ``confidence``.
Organisations have no gold, so their confidence is the prior written in the file.
"""
from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from extract.evaluate import (find_document, in_split, load_splits, match_agenda, match_amounts,
                              match_decisions, match_person, match_projects)
from models import data_path

CONFIDENCE_PATH = data_path("confidence.json")
DEFAULT_CONFIDENCE = 0.5
UNMEASURED_PRIORS = {"organizations": {"quoted": 0.9, "proper": 0.75}}


def prediction_outcomes(gold: dict, predicted: dict) -> Iterator[tuple[str, str, bool]]:
    """(field, method, correct) for every predicted item of a field the gold states."""
    if "dates" in gold:
        values = set(gold["dates"])
        for item in predicted.get("dates", []):
            yield "dates", item.get("method", "?"), item["value"] in values
    if "people" in gold:
        for item in predicted.get("people", []):
            yield "people", item.get("method", "?"), match_person(gold["people"], item["name"]) is not None
    if "amounts" in gold:
        hits = set(h for h in match_amounts(gold["amounts"], predicted.get("amounts", [])) if h is not None)
        for j, item in enumerate(predicted.get("amounts", [])):
            yield "amounts", item.get("method", "?"), j in hits
    if "agenda_items" in gold:
        items = predicted.get("agenda_items", [])
        hits = match_agenda(gold["agenda_items"], [i["text"] for i in items])
        for j, item in enumerate(items):
            yield "agenda_items", item.get("method", "?"), j in hits
    if "decisions" in gold:
        items = predicted.get("decisions", [])
        matched = {id(p) for _, p in match_decisions(gold["decisions"], items) if p is not None}
        for item in items:
            yield "decisions", item.get("method", "?"), id(item) in matched
    if "projects" in gold:
        items = predicted.get("projects", [])
        hits = set(h for h in match_projects(gold["projects"], items) if h is not None)
        for j, item in enumerate(items):
            yield "projects", item.get("method", "?"), j in hits
    if gold.get("attendance") and predicted.get("attendance"):
        got = predicted["attendance"]
        right = all(got.get(key) == value for key, value in gold["attendance"].items())
        yield "attendance", got.get("method", "?"), right


def calibrate(gold_dir: Path, corpus_dirs: list[Path], extract: Callable[[Path], dict],
              splits: list[str]) -> dict[str, dict[str, dict]]:
    """Per field and method: items seen, items right, and the smoothed precision."""
    patterns = [p for name in splits for p in load_splits(gold_dir.parent / "splits.json").get(name, [])]
    seen: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for gold_path in sorted(gold_dir.glob("*.json")):
        if patterns and not in_split(gold_path.stem, patterns):
            continue
        document = find_document(corpus_dirs, gold_path.stem)
        if document is None:
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for field, method, correct in prediction_outcomes(gold, extract(document)):
            seen[(field, method)][0] += 1
            seen[(field, method)][1] += int(correct)
    table: dict[str, dict[str, dict]] = defaultdict(dict)
    for (field, method), (n, right) in sorted(seen.items()):
        table[field][method] = {"n": n, "correct": right, "confidence": round((right + 1) / (n + 2), 3)}
    for field, priors in UNMEASURED_PRIORS.items():
        for method, value in priors.items():
            table[field][method] = {"n": None, "correct": None, "confidence": value}
    return dict(table)


def write_table(table: dict, splits: list[str], path: Path = CONFIDENCE_PATH) -> None:
    """Save the calibration with a note of what it was measured on."""
    payload = {"measured_on_splits": splits, "smoothing": "(correct + 1) / (n + 2)", "fields": table}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def confidence_table() -> dict[str, dict[str, dict]]:
    """The saved calibration (empty when none has been written)."""
    if not CONFIDENCE_PATH.exists():
        return {}
    return json.loads(CONFIDENCE_PATH.read_text(encoding="utf-8")).get("fields", {})


def confidence_of(field: str, method: str | None) -> float:
    """The measured confidence of items of ``field`` found by ``method``."""
    entry = confidence_table().get(field, {}).get(method or "")
    return entry["confidence"] if entry else DEFAULT_CONFIDENCE


def ocr_page_confidences(record: dict) -> dict[int, float]:
    """Page number → Tesseract's mean word confidence, for the pages of a document read by OCR."""
    pages = ((record.get("metadata") or {}).get("ocr") or {}).get("pages") or []
    return {page["page"]: page["confidence"] for page in pages}


def item_confidence(field: str, item: dict, ocr_pages: dict[int, float]) -> float:
    """The measured confidence of an item, times the OCR confidence of the page its evidence is on
    (the calibration was measured on text layers, which OCR only approximates)."""
    measured = confidence_of(field, item.get("method"))
    page = (item.get("evidence") or {}).get("page")
    return round(measured * ocr_pages[page], 3) if page in ocr_pages else measured


def add_confidence(record: dict) -> dict:
    """Give every item of an extracted document its ``confidence`` (in place; returns the record)."""
    ocr_pages = ocr_page_confidences(record)
    for field in ("dates", "people", "amounts", "agenda_items", "decisions", "projects", "organizations"):
        for item in record.get(field) or []:
            item["confidence"] = item_confidence(field, item, ocr_pages)
    if record.get("attendance"):
        record["attendance"]["confidence"] = item_confidence("attendance", record["attendance"], ocr_pages)
    return record
