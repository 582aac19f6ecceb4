"""Loaders for the data files under ``models/`` (gazetteers, lexicons), cached per process."""
from __future__ import annotations

import csv
import json
from functools import lru_cache

from models import data_path


def _tsv_rows(*parts: str) -> list[dict[str, str]]:
    path = data_path(*parts)
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if any((v or "").strip() for v in row.values())]


def _lines(*parts: str) -> list[str]:
    path = data_path(*parts)
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=None)
def date_lexicon() -> dict:
    """Month names, weekdays and the cue phrases that give a date its role."""
    return json.loads(data_path("lexicon", "dates.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def amount_lexicon() -> dict:
    """Currency words, multipliers and the cue phrases that give an amount its role."""
    return json.loads(data_path("lexicon", "amounts.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def municipalities() -> list[dict[str, str]]:
    """The 265 Bulgarian municipalities: name, region, centre, aliases."""
    return _tsv_rows("gazetteer", "municipalities.tsv")


@lru_cache(maxsize=None)
def first_names() -> frozenset[str]:
    """Bulgarian given names, for telling a person's name from two capitalised words."""
    return frozenset(_lines("gazetteer", "first_names.txt"))


@lru_cache(maxsize=None)
def ambiguous_first_names() -> frozenset[str]:
    """Given names that are also ordinary words (Надежда, Слава)."""
    return frozenset(_lines("gazetteer", "first_names_ambiguous.txt"))


@lru_cache(maxsize=None)
def titles() -> tuple[str, ...]:
    """Titles written before names (``д-р``, ``инж.``), lower case, longest first."""
    return tuple(sorted({t.lower() for t in _lines("gazetteer", "titles.txt")}, key=len, reverse=True))


@lru_cache(maxsize=None)
def roles() -> list[dict[str, str]]:
    """Role phrases (``председател на общински съвет``) with their kind, longest first."""
    return sorted(_tsv_rows("gazetteer", "roles.tsv"), key=lambda r: len(r["role"]), reverse=True)


@lru_cache(maxsize=None)
def programmes() -> list[dict[str, str]]:
    """Funding programmes keyed by code prefix, longest prefix first."""
    return sorted(_tsv_rows("gazetteer", "programmes.tsv"), key=lambda r: len(r["prefix"]), reverse=True)


@lru_cache(maxsize=None)
def programme_names() -> list[dict[str, str]]:
    """Ways documents name programmes in words, mapped to a canonical name; longest first."""
    return sorted(_tsv_rows("gazetteer", "programme_names.tsv"), key=lambda r: len(r["pattern"]), reverse=True)


@lru_cache(maxsize=None)
def legal_forms() -> list[dict[str, str]]:
    """Words that mark an organisation and its kind (``сдружение`` → association)."""
    return sorted(_tsv_rows("gazetteer", "legal_forms.tsv"), key=lambda r: len(r["form"]), reverse=True)


@lru_cache(maxsize=None)
def name_stopwords() -> frozenset[str]:
    """Capitalised words that are never part of a person's name."""
    return frozenset(w.lower() for w in _lines("lexicon", "not_names.txt"))


@lru_cache(maxsize=None)
def number_words() -> dict[str, int]:
    """Bulgarian number words (``осемнадесет``, ``шестимата``) with their values."""
    return json.loads(data_path("lexicon", "numbers.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def name_markers() -> frozenset[str]:
    """Words after which capitalised words name a street, school or place, not a person (``ул.``, ``ОУ``)."""
    return frozenset(w.lower() for w in _lines("lexicon", "street_markers.txt"))


@lru_cache(maxsize=None)
def speech_verbs() -> frozenset[str]:
    """Verbs of speaking (``отбеляза``, ``предложи``) that end a role phrase and mark a statement."""
    return frozenset(w.lower() for w in _lines("lexicon", "speech_verbs.txt"))
