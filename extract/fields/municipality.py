"""The municipality a document is about, resolved against the gazetteer of all 265."""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from extract.document import Document
from extract.fields.common import fold
from extract.lexicon import municipalities

_STRONG = re.compile(r"(?:община(?:та)?|общински(?:я|ят)?\s+съвет|обс|общ\.|кмет(?:ът|а)?\s+на\s+община|"
                     r"общинска\s+администрация|община\s+град)\s*[–—-]?\s*(?:гр\.\s*|град\s+)?$", re.I)
_TOWN = re.compile(r"(?:гр\.|град|градът|с\.|село)\s*$", re.I)
_REGION = re.compile(r"(?:област|обл\.|областния|областна\s+администрация|областен\s+управител\s+на\s+област|регион)\s*[–—-]?\s*$", re.I)


_CAPITALS = "ЁАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯABCDEFGHIJKLMNOPQRSTUVWXYZ"  # what [А-ЯЁA-Z] matches
_CAPITAL_START = re.compile(r"(?<![\w-])[А-ЯЁA-Z]")


@lru_cache(maxsize=None)
def _index() -> tuple[dict[str, re.Pattern], dict[str, set[str]], dict[str, set[str]]]:
    """Per capital letter, a pattern of the municipality names, aliases and centres that start with
    it; maps from folded form to names.

    Names are only counted when capitalised and starting a word, so a name is looked for only at
    such a capital, and there only among the names with that first letter: the same longest-first
    alternation as one pattern of all ~600, at a tenth of the attempts.
    """
    by_name: dict[str, set[str]] = defaultdict(set)
    by_centre: dict[str, set[str]] = defaultdict(set)
    for row in municipalities():
        forms = [row["name"]] + [a for a in (row.get("aliases") or "").split("|") if a.strip()]
        for form in forms:
            by_name[fold(form)].add(row["name"])
        if row.get("centre"):
            by_centre[fold(row["centre"])].add(row["name"])
    words = sorted((w for w in set(by_name) | set(by_centre) if w), key=len, reverse=True)
    by_capital = {}
    for capital in _CAPITALS:
        alternation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words
                               if re.fullmatch(re.escape(w[0]), capital, re.I))
        if alternation:
            by_capital[capital] = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.I)
    return by_capital, dict(by_name), dict(by_centre)


def _match_at(text: str, position: int) -> re.Match | None:
    """The municipality name starting at ``position``, when a capital starting a word is there."""
    pattern = _index()[0].get(text[position:position + 1])
    return pattern.match(text, position) if pattern else None


@lru_cache(maxsize=4)
def _mentions(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, text) of every municipality name in ``text``, in order (cached: scores and evidence share it)."""
    found, taken_until = [], 0
    for capital in _CAPITAL_START.finditer(text):
        if capital.start() < taken_until:
            continue
        match = _match_at(text, capital.start())
        if match:
            found.append((match.start(), match.end(), match.group(0)))
            taken_until = match.end()
    return tuple(found)


def municipality_name_at(text: str, position: int) -> int | None:
    """End offset of a municipality name (or alias, or centre) starting exactly at ``position``."""
    match = _match_at(text, position)
    return match.end() if match and match.group(0)[:1].isupper() else None


def municipality_scores(text: str, head_chars: int = 400) -> dict[str, float]:
    """Evidence for each municipality: ``Община X`` counts most, ``гр. X`` less, a bare name least."""
    _, by_name, by_centre = _index()
    scores: dict[str, float] = defaultdict(float)
    for start, _, word in _mentions(text):
        if not word[0].isupper():
            continue
        key = fold(word)
        before = text[max(0, start - 40):start]
        if _REGION.search(before):
            continue
        weight = 0.0
        if _STRONG.search(before) and key in by_name:
            weight, names = 3.0, by_name[key]
        elif _TOWN.search(before) and key in by_centre:
            weight, names = 1.0, by_centre[key]
        elif key in by_name:
            weight, names = 0.5, by_name[key]
        else:
            continue
        if start < head_chars:
            weight *= 2
        for name in names:
            scores[name] += weight / len(names)
    return scores


def extract_municipality(doc: Document) -> tuple[str | None, dict | None]:
    """The best-supported municipality and the evidence of its first strong mention."""
    texts = [doc.text]
    scores = municipality_scores(doc.text)
    for extra in (doc.title, doc.metadata.get("html_title"), doc.metadata.get("sitename")):
        if extra:
            for name, score in municipality_scores(extra).items():
                scores[name] = scores.get(name, 0) + score / 2
    if not scores:
        return None, None
    best = max(scores.items(), key=lambda kv: kv[1])
    if best[1] < 1.0:
        return None, None
    name = best[0]
    _, by_name, by_centre = _index()
    for start, end, word in _mentions(texts[0]):
        key = fold(word)
        if name in by_name.get(key, ()) or name in by_centre.get(key, ()):
            return name, doc.evidence(start, end)
    return name, None
