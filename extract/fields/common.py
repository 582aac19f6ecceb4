"""Small text helpers shared by the field extractors."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

from extract.normalize import CharMap

_ABBREVIATION_END = re.compile(
    r"(?<![\w-])(?:[А-ЯA-Z]|т|гр|с|ул|бул|инж|д-р|проф|доц|арх|чл|ал|др|вх|изх|рег|пл|кв|обл|общ|ж\.к|"
    r"св|ст|хр|ив|ал|зам|с-р|г-н|г-жа|тел|стр|им|бл|вкл|напр|мин|хил|млн|млрд|No|№|т\.ч|в т|ап|ет|к-с)\.$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[А-ЯA-Z„\"\d])|\n\s*\n|\n(?=\s*(?:\d+[.)]|[-•*])\s)|"
                           r"(?<=\n)(?P<heading>[^\n]{1,60}?)(?<![,;:–—.!?-])\n(?=[А-ЯA-Z\d„])")
QUOTES_OPEN = "„\"“«'"
QUOTES_CLOSE = "“”\"»'"
DASHES = "-–—‑"


def opening_not_after(first: str, chars: str) -> str:
    """``(?<![chars])first`` for a one-character pattern ``first`` (``\\d``, ``[А-Я]``), written to
    open with ``first``: a pattern that opens with a look-behind is tried at every position of the
    text, one that opens with a character class lets ``re`` skip to the characters in it."""
    return rf"{first}(?<![{chars}]{first})"


@dataclass(frozen=True)
class Span:
    """A piece of a document's text with its offsets."""

    start: int
    end: int
    text: str


def clause_before(text: str, position: int, limit: int = 120) -> str:
    """The text before ``position`` back to the start of its line or sentence, at most ``limit`` chars."""
    window_start = max(0, position - limit)
    window = text[window_start:position]
    cut = max(window.rfind("\n"), window.rfind(". "), window.rfind("; "))
    return window[cut + 1:] if cut >= 0 else window


def clause_after(text: str, position: int, limit: int = 120) -> str:
    """The text after ``position`` up to the end of its line or sentence, at most ``limit`` chars."""
    window = text[position:position + limit]
    cuts = [i for i in (window.find("\n"), window.find(". "), window.find("; ")) if i >= 0]
    return window[:min(cuts)] if cuts else window


@lru_cache(maxsize=16)
def sentences(text: str, start: int = 0, end: int | None = None) -> tuple[Span, ...]:
    """Split ``text[start:end]`` into sentences and list items, keeping offsets; blank pieces dropped.

    Cached: attendance and decisions both split the same document.
    """
    end = len(text) if end is None else end
    spans, cursor = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group("heading") is not None:
            # A short line with no closing punctuation, then a capital: a heading such as "По т. 4".
            cut = match.end("heading")
            spans.append((cursor, cut))
            cursor = cut + 1
            continue
        if "\n\n" not in match.group(0) and _ABBREVIATION_END.search(text, max(0, match.start() - 8), match.start()):
            continue
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    return tuple(span for span in (trimmed(text, s, e) for s, e in spans) if span)


def trimmed(text: str, start: int, end: int) -> Span | None:
    """``text[start:end]`` without surrounding whitespace, or None when nothing is left."""
    piece = text[start:end]
    inner = piece.lstrip()
    start += len(piece) - len(inner)
    inner = inner.rstrip()
    return Span(start, start + len(inner), inner) if inner else None


_FOLD_CHARS = CharMap({"ѝ": "и", **{q: '"' for q in QUOTES_OPEN + QUOTES_CLOSE}, **{d: "-" for d in DASHES}})


def fold(text: str) -> str:
    """Case- and spacing-insensitive form for comparisons (Cyrillic-aware, unlike SQLite ``lower()``)."""
    return " ".join(_FOLD_CHARS(text.casefold()).split())


def strip_quotes(text: str) -> str:
    """Text without surrounding quotes, spaces and trailing punctuation."""
    return text.strip().strip(QUOTES_OPEN + QUOTES_CLOSE + " ,.;:").strip()


_OPENING = "„«"
_CLOSING = "“”»"


def quoted_span(text: str, start: int, limit: int = 400) -> tuple[int, int] | None:
    """The inside of the quotation opened at ``text[start]``, honouring nested „...„...“...“ quotes.

    ``„`` and ``«`` always open; ``”`` and ``»`` close; ``“`` and ``"`` open after a space or an
    opening bracket and close elsewhere.
    """
    if start >= len(text) or text[start] not in _OPENING + '"“':
        return None
    depth = 0
    for i in range(start, min(len(text), start + limit)):
        ch = text[i]
        if ch == "\n" and text[i - 1] == "\n":
            return None
        if ch in _OPENING or (ch in '"“' and (i == start or text[i - 1].isspace() or text[i - 1] in "(„")):
            depth += 1
        elif ch in _CLOSING or ch == '"':
            depth -= 1
            if depth == 0:
                return start + 1, i
    return None
