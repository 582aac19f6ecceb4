"""The extraction contract (README, extract/contract.py) holds for every bundled document."""
from __future__ import annotations

import json
import re

import pytest

from conftest import corpus_files
from extract.contract import AMOUNT_ROLES, BGN_PER_EUR, DATE_ROLES, DOC_TYPES, ORG_KINDS, RECORD_KINDS

TOP_KEYS = {"source", "sha256", "format", "title", "text", "doc_type", "municipality", "document_date", "dates",
            "people", "attendance", "agenda_items", "decisions", "amounts", "projects", "organizations",
            "extractor_version"}
ITEM_KEYS = {
    "dates": {"value", "role"},
    "people": {"name", "title", "role", "organization"},
    "agenda_items": {"number", "text"},
    "decisions": {"number", "text", "outcome", "votes_for", "votes_against", "votes_abstained"},
    "amounts": {"value", "currency", "value_eur", "role"},
    "projects": {"code", "procedure", "title", "programme", "beneficiary", "partners", "start", "end", "duration_months"},
    "organizations": {"name", "kind"},
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAMES = [p.name for p in corpus_files()]


def _check_provenance(item: dict) -> None:
    assert isinstance(item["method"], str) and item["method"]
    assert 0.0 <= item["confidence"] <= 1.0


def _check_evidence(result: dict, item: dict) -> None:
    evidence = item["evidence"]
    assert set(evidence) == {"start", "end", "page", "text"}
    assert 0 <= evidence["start"] <= evidence["end"] <= len(result["text"])
    assert result["text"][evidence["start"]:evidence["end"]] == evidence["text"]
    assert 1 <= evidence["page"] <= len(result["pages"])


@pytest.mark.parametrize("name", NAMES)
def test_contract_shape(name, extracted):
    result = extracted[name]
    assert TOP_KEYS <= set(result)
    assert result["doc_type"] in DOC_TYPES
    assert result["document_date"] is None or ISO_DATE.match(result["document_date"])
    json.dumps(result, ensure_ascii=False)
    for kind in RECORD_KINDS:
        for item in result[kind]:
            assert ITEM_KEYS[kind] <= set(item), (kind, item)
            _check_evidence(result, item)
            _check_provenance(item)
    if result["attendance"] is not None:
        _check_evidence(result, result["attendance"])
        _check_provenance(result["attendance"])
        assert {"present", "absent", "total"} <= set(result["attendance"])


@pytest.mark.parametrize("name", NAMES)
def test_contract_values(name, extracted):
    result = extracted[name]
    for item in result["dates"]:
        assert ISO_DATE.match(item["value"]) and item["role"] in DATE_ROLES
    for item in result["amounts"]:
        assert item["currency"] in ("BGN", "EUR") and item["role"] in AMOUNT_ROLES + (None,)
        expected = item["value"] if item["currency"] == "EUR" else item["value"] / BGN_PER_EUR
        assert abs(item["value_eur"] - expected) < 0.01
    for item in result["decisions"]:
        assert item["outcome"] in ("adopted", "rejected", None)
    for item in result["organizations"]:
        assert item["kind"] in ORG_KINDS
    for item in result["projects"]:
        assert isinstance(item["partners"], list)
        for key in ("start", "end"):
            assert item[key] is None or ISO_DATE.match(item[key])
