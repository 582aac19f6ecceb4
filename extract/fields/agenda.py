"""Agenda items: the numbered points after a ``Дневен ред`` heading."""
from __future__ import annotations

import re

from extract.document import Document

_HEADING = re.compile(r"(?:при\s+(?:следния|следният|следващия)\s+)?д\s?н\s?е\s?в\s?е\s?н\s+р\s?е\s?д|\bточки\s+от\s+дневния\s+ред|следния\s+дневен\s+ред|"
                      r"проект\s+за\s+дневен\s+ред|със\s+следния\s+дневен\s+ред", re.I)
# Every wording of the heading holds "дневен"/"дневния", perhaps spaced out: most texts have none,
# and this search is far cheaper than trying the heading's alternatives at every position.
_HEADING_WORD = re.compile(r"д\s?н\s?е\s?в", re.I)
_ITEM = re.compile(r"^[ \t]*(?:т\.\s*|точка\s+)?(?P<number>\d{1,2}|[IVX]{1,5})(?:\s?[.)]|\s?[-–]\s)\s*(?P<text>\S.*)$", re.M)
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
          "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15}


def item_number(raw: str) -> int:
    """``3`` → 3, ``III`` → 3 (0 for what is not a number)."""
    return int(raw) if raw.isdigit() else _ROMAN.get(raw, 0)
_STOP = re.compile(r"^[ \t]*(?:по\s+т(?:\.|очка)\s*\d|по\s+(?:първа|втора|трета|четвърта|пета|шеста)\s+точка|"
                   r"р\s?е\s?ш\s?е\s?н\s?и\s?е|гласували|председател(?:ят|стващ)?\b.{0,30}(?:откри|предложи)|"
                   r"дневният\s+ред\s+(?:беше|бе|се)\s+(?:приет|гласуван)|заседанието\s+(?:бе|беше)\s+открито)", re.I | re.M)


def _continuation_ok(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not _ITEM.match(line) and not _STOP.match(line) and \
        (stripped[0].islower() or stripped[0] in "„\"(" or stripped.startswith(("Докладва", "Вносител", "Докладчик")))


_ITEM_SECTION = re.compile(r"^[ \t]*по[ \t]+т(?:\.|очка)[ \t]*1\b|^[ \t]*по[ \t]+първа[ \t]+точка|^[ \t]*точка[ \t]+(?:1|първа)\b", re.I | re.M)
_BULLET = re.compile(r"^[ \t]*[-•*–][ \t]+(?P<text>\S.*)$", re.M)
_PRESENTER = re.compile(r"^\s*(?:вносител|докладва|докладчик|внася)\b", re.I)


def extract_agenda(doc: Document) -> list[dict]:
    """Agenda items in order, each with its number and text (continuation lines joined).

    Items follow a ``Дневен ред`` heading, numbered or (as web pages render lists) bulleted; a
    protocol without the heading still has one when a numbered list precedes its ``По т. 1`` section.
    """
    for heading in _HEADING.finditer(doc.text) if _HEADING_WORD.search(doc.text) else ():
        items = _items_after(doc, heading.end()) or _bullets_after(doc, heading.end())
        if items:
            return items
    first_section = _ITEM_SECTION.search(doc.text)
    if first_section:
        listed = _ITEM.search(doc.text, 0, first_section.start())
        while listed and item_number(listed["number"]) != 1:
            listed = _ITEM.search(doc.text, listed.end(), first_section.start())
        if listed:
            items = _items_after(doc, listed.start())
            if len(items) >= 2:
                return [{**item, "method": "unheaded_list"} for item in items]
    return []


def _bullets_after(doc: Document, cursor: int) -> list[dict]:
    """Bulleted items right after a heading; presenter lines (``Вносител: ...``) are skipped."""
    text, items = doc.text, []
    cursor = text.find("\n", cursor) + 1 if "\n" in text[cursor:] else len(text)
    for line in re.finditer(r"[^\n]*", text[cursor:]):
        content = line.group(0)
        start = cursor + line.start()
        if not content.strip() or _PRESENTER.match(content):
            continue
        bullet = _BULLET.match(content)
        if not bullet:
            break
        s, e = start + bullet.start("text"), start + len(content.rstrip())
        items.append({"number": str(len(items) + 1), "text": " ".join(text[s:e].split()), "method": "bulleted",
                      "evidence": doc.evidence(s, e)})
    return items if len(items) >= 2 else []


def _items_after(doc: Document, cursor: int) -> list[dict]:
    text = doc.text
    items: list[dict] = []
    expected = 1
    blank_run = 0
    first = _ITEM.search(text, cursor, cursor + 400)
    if not first or item_number(first["number"]) != 1 or _ITEM_SECTION.match(text, first.start()):
        return []
    stop = _STOP.search(text, first.end())
    limit = stop.start() if stop else len(text)
    for line_match in re.finditer(r"[^\n]*\n?", text[cursor:limit]):
        line = line_match.group(0).rstrip("\n")
        line_start = cursor + line_match.start()
        if not line.strip():
            blank_run += 1
            if blank_run >= 3 and items:
                break
            continue
        item = _ITEM.match(line)
        if item and item_number(item["number"]) == expected:
            start = line_start + item.start("text")
            end = line_start + len(line.rstrip())
            items.append({"number": item["number"], "start": start, "end": end})
            expected += 1
            blank_run = 0
        elif items and blank_run == 0 and _continuation_ok(line):
            items[-1]["end"] = line_start + len(line.rstrip())
        elif items:
            if item and item_number(item["number"]) == 1:
                break
            if len(line.strip()) > 3 and blank_run >= 1 and not item:
                break
        blank_run = 0 if line.strip() else blank_run
    return [{"number": i["number"], "text": " ".join(text[i["start"]:i["end"]].split()), "method": "numbered",
             "evidence": doc.evidence(i["start"], i["end"])} for i in items]
