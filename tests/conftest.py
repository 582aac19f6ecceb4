"""Shared fixtures: the bundled corpus, extracted once per test session."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus" / "documents"
GOLD = REPO / "corpus" / "gold"
SPLITS = REPO / "corpus" / "splits.json"


def corpus_files() -> list[Path]:
    """Every bundled document."""
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.fixture(scope="session")
def extracted() -> dict[str, dict]:
    """file name → extraction result for every bundled document (computed once)."""
    from extract import extract_file

    return {path.name: extract_file(path) for path in corpus_files()}


def gold_of(stem: str) -> dict:
    return json.loads((GOLD / f"{stem}.json").read_text(encoding="utf-8"))
