"""Organisations named in the text (municipalities, councils, NGOs, companies, schools, ministries)."""
from __future__ import annotations

import re
from functools import lru_cache

from extract.document import Document
from extract.fields.common import fold
from extract.lexicon import legal_forms

_QUOTED_NAME = r"\s*[„\"“«][^„\"“”«»\n]{2,120}[“”\"»]"
_PROPER_NAME = r"\s*(?:[–—-]\s*)?(?:гр\.\s*|с\.\s*)?[А-Я][\w-]+(?:\s+[А-Я][\w-]+){0,2}"
_SUFFIX_FORMS = ("оод", "еоод", "ад", "еад", "ет", "кд", "дззд", "сд")


@lru_cache(maxsize=None)
def _prefix_pattern() -> re.Pattern:
    forms = [row["form"] for row in legal_forms() if row["form"] not in _SUFFIX_FORMS]
    alternation = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?P<form>{alternation})(?P<name>{_QUOTED_NAME}|{_PROPER_NAME})", re.I)


_SUFFIX = re.compile(r"(?P<name>[„\"“«][^„\"“”«»\n]{2,80}[“”\"»]|[А-Я][\w-]+(?:\s+[А-Я][\w-]+){0,2})\s+(?P<form>ЕООД|ООД|ЕАД|АД|ЕТ|КД|ДЗЗД)(?![\w])")


@lru_cache(maxsize=None)
def _kinds() -> dict[str, str]:
    return {fold(row["form"]): row["kind"] for row in legal_forms()}


def extract_organizations(doc: Document) -> list[dict]:
    """Organisation records, one per distinct name, with the kind their legal form gives them."""
    text, found = doc.text, {}
    spans = []
    for match in _prefix_pattern().finditer(text):
        form = match["form"]
        if form[0].islower() and not match["name"].strip().startswith(("„", '"', "“", "«")):
            if fold(form) not in ("община", "сдружение", "фондация"):
                continue
        spans.append((match.start(), match.end(), fold(form)))
    for match in _SUFFIX.finditer(text):
        spans.append((match.start(), match.end(), fold(match["form"])))
    for start, end, form in sorted(spans):
        name = " ".join(text[start:end].split()).rstrip(",.;:")
        key = fold(name)
        if key in found:
            continue
        found[key] = {"name": name, "kind": _kinds().get(form, "other"), "evidence": doc.evidence(start, start + len(text[start:end].rstrip(",.;: ")))}
    return list(found.values())
