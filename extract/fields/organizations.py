"""Organisations named in the text (municipalities, councils, NGOs, companies, schools, ministries).

The legal-form words come from the gazetteer (``models/gazetteer/legal_forms.tsv``) through the
spaCy gazetteer component; the name is the quoted or capitalised words after the form
(``Сдружение „Заедно за успех“``, ``Община Пещера``) or, for company forms, before it
(``„Агро Тех“ ЕООД``).
"""
from __future__ import annotations

import re
from functools import lru_cache

from extract.document import Document
from extract.fields.common import fold, quoted_span
from extract.lexicon import legal_forms, speech_verbs
from extract.nlp import gazetteer_hits

SUFFIX_FORMS = frozenset({"оод", "еоод", "ад", "еад", "ет", "кд", "дззд", "сд"})
_PROPER_AFTER = re.compile(r"[ \t]*(?:[–—-][ \t]*)?(?:(?:гр\.|с\.)[ \t]*)?[А-Я][\w-]+(?:[ \t]+[А-Я][\w-]+){0,2}")
_OF_PHRASE = re.compile(r"[ \t]+(?:на|по)[ \t]+[а-яА-Я-]+(?:[ \t]+(?:и[ \t]+)?[а-я-]+){0,4}")


def _trim_verbs(text: str, start: int, end: int) -> int:
    """Cut a lower-case name phrase before the first verb (``Министерство на финансите одобри ...``)."""
    position = start
    for word in re.finditer(r"\S+", text[start:end]):
        if word.group(0).strip(",.;:").lower() in speech_verbs():
            return position
        position = start + word.end()
    return end
_PROPER_BEFORE = re.compile(r"(?:[А-Я][\w-]+[ \t]+){0,2}[А-Я][\w-]+[ \t]+$")


@lru_cache(maxsize=None)
def _kinds() -> dict[str, str]:
    return {fold(row["form"]): row["kind"] for row in legal_forms()}


_MUNICIPAL_FORMS = frozenset({"община", "общината", "общински съвет", "обс", "кметство"})


def _municipality_after(text: str, end: int) -> int | None:
    """End of a gazetteer municipality name after ``Община`` (``Община Нови пазар``, ``ОбС – Бяла``)."""
    from extract.fields.municipality import municipality_name_at

    lead = re.match(r"[ \t]*(?:[–—-][ \t]*)?(?:гр\.[ \t]*)?", text[end:end + 12])
    return municipality_name_at(text, end + lead.end())


def _name_after(text: str, end: int, form: str = "") -> int | None:
    """End offset of the name that follows a legal form, or None when there is none."""
    if form in _MUNICIPAL_FORMS:
        known = _municipality_after(text, end)
        if known:
            return known
    gap = re.match(r"[ \t]*", text[end:end + 5]).end()
    if end + gap < len(text) and text[end + gap] in "„«\"“":
        span = quoted_span(text, end + gap, limit=160)
        return span[1] + 1 if span else None
    proper = _PROPER_AFTER.match(text, end)
    if proper:
        return proper.end()
    of_phrase = _OF_PHRASE.match(text, end)
    return _trim_verbs(text, end, of_phrase.end()) if of_phrase else None


def _name_before(text: str, start: int) -> int | None:
    """Start offset of the name written before a company form (``„Агро“ ЕООД``, ``Агро Тех ООД``)."""
    window = text[max(0, start - 120):start]
    stripped = window.rstrip()
    if stripped.endswith(("“", "”", "\"", "»")):
        opening = max(stripped.rfind("„"), stripped.rfind("«"), stripped.rfind(" \"") + 1 if " \"" in stripped else -1)
        return start - len(window) + opening if opening >= 0 else None
    proper = _PROPER_BEFORE.search(window)
    return start - len(window) + proper.start() if proper else None


def organization_mentions(text: str) -> list[tuple[int, int, str, str]]:
    """Every organisation mention in ``text``: (start, end, name, kind), in order."""
    mentions: list[tuple[int, int, str, str]] = []
    covered: list[tuple[int, int]] = []
    for hit in gazetteer_hits(text):
        if hit.label != "ORG_FORM" or any(s <= hit.start < e for s, e in covered):
            continue
        form = fold(hit.entry)
        if form in SUFFIX_FORMS:
            if not text[hit.start:hit.end].isupper():
                continue
            start, end = _name_before(text, hit.start), hit.end
        else:
            start, end = hit.start, _name_after(text, hit.end, form)
            lowercase_unquoted = hit.text[0].islower() and end is not None and text[hit.end:end].lstrip()[:1] not in "„«\"“"
            if lowercase_unquoted and form not in ("община", "сдружение", "фондация", "министерство"):
                continue
        if start is None or end is None:
            continue
        end = start + len(text[start:end].rstrip(",.;: "))
        name = " ".join(text[start:end].split())
        if len(name) <= len(hit.text) + 1:
            continue
        covered.append((start, end))
        mentions.append((start, end, name, _kinds().get(form, "other")))
    return mentions


def extract_organizations(doc: Document) -> list[dict]:
    """Organisation records, one per distinct name, with the kind their legal form gives them."""
    found: dict[str, dict] = {}
    for start, end, name, kind in organization_mentions(doc.text):
        key = fold(name)
        if key not in found:
            quoted = any(q in name for q in "„«\"“")
            found[key] = {"name": name, "kind": kind, "method": "quoted" if quoted else "proper",
                          "evidence": doc.evidence(start, end)}
    return list(found.values())
