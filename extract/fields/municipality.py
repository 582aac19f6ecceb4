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


@lru_cache(maxsize=None)
def _index() -> tuple[re.Pattern, dict[str, set[str]], dict[str, set[str]]]:
    """One pattern for every municipality name, alias and centre; maps from folded form to names."""
    by_name: dict[str, set[str]] = defaultdict(set)
    by_centre: dict[str, set[str]] = defaultdict(set)
    for row in municipalities():
        forms = [row["name"]] + [a for a in (row.get("aliases") or "").split("|") if a.strip()]
        for form in forms:
            by_name[fold(form)].add(row["name"])
        if row.get("centre"):
            by_centre[fold(row["centre"])].add(row["name"])
    words = sorted(set(by_name) | set(by_centre), key=len, reverse=True)
    alternation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    # Names are only counted when capitalised, so the case-sensitive lookahead lets the engine
    # try the ~600 alternatives only where a capital letter starts a word (20× faster).
    pattern = re.compile(rf"(?<![\w-])(?-i:(?=[А-ЯЁA-Z]))(?:{alternation})(?![\w-])", re.I)
    return pattern, dict(by_name), dict(by_centre)


def municipality_name_at(text: str, position: int) -> int | None:
    """End offset of a municipality name (or alias, or centre) starting exactly at ``position``."""
    pattern, _, _ = _index()
    match = pattern.match(text, position)
    return match.end() if match and match.group(0)[:1].isupper() else None


def municipality_scores(text: str, head_chars: int = 400) -> dict[str, float]:
    """Evidence for each municipality: ``Община X`` counts most, ``гр. X`` less, a bare name least."""
    pattern, by_name, by_centre = _index()
    scores: dict[str, float] = defaultdict(float)
    for match in pattern.finditer(text):
        word = match.group(0)
        if not word[0].isupper():
            continue
        key = fold(word)
        before = text[max(0, match.start() - 40):match.start()]
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
        if match.start() < head_chars:
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
    pattern, by_name, by_centre = _index()
    for match in pattern.finditer(texts[0]):
        key = fold(match.group(0))
        if name in by_name.get(key, ()) or name in by_centre.get(key, ()):
            return name, doc.evidence(match.start(), match.end())
    return name, None
