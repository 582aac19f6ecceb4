"""Attendance of a meeting: members present, absent and the body's total."""
from __future__ import annotations

import re

from extract.document import Document
from extract.fields.common import sentences
from extract.lexicon import number_words

_PRESENT_CUE = re.compile(r"присъства(?:ха|т|ли|щи|ше)?|са\s+налице|налице\s+са|участва(?:ха|т|ли)?|взеха участие|вземат участие|на заседанието са|регистрира(?:ха|ли|ни)\s+се|регистрирани|кворум", re.I)
_ABSENT_CUE = re.compile(r"отсъства(?:ха|т|щи|ли|ше)?|не присъства(?:ха|т)?|отсъстващи", re.I)
_MEMBERS = r"(?:общински\s+)?(?:съветници|членове|члена|души|представители|участници|от\s+членовете)"
_X_OF_Y = re.compile(r"(?<!\d)(?P<present>\d{1,3})\s*(?:\([а-я ]+\)\s*)?(?:" + _MEMBERS + r"\s*)?(?:от|/)\s*(?:общо\s+|всичко\s+|определените[^\d]{0,40}?)?(?P<total>\d{1,3})(?!\d)", re.I)
_TOTAL = re.compile(r"(?:от\s+общо|общо|от\s+всичко|от\s+определените[^\d\n]{0,60}?|състав\s+от|от\s+избраните)\s*(?P<total>\d{1,3})\s*(?:\([а-я ]+\)\s*)?" + _MEMBERS, re.I)
_BARE_COUNT = re.compile(r"\s*(?:на\s+заседанието\s*)?[–:-]?\s*(?P<n>\d{1,3})(?=\s*(?:[.,;)]|$|\s+(?:от|души|членове|съветници|общински)))", re.I)
_STATED_TOTAL = re.compile(r"общ(?:ият|ия)?\s+(?:брой|състав)[^\d\n]{0,80}?(?:[–:-]|\bе)\s*(?P<total>\d{1,3})(?!\d)", re.I)
_COUNT_BEFORE_CUE = re.compile(r"(?:от|с)\s+(?P<n>\d{1,3})\s+присъства(?:щи|ли|ха)", re.I)
_ROLL_ROW = re.compile(r"^[ \t]*\d{1,3}[.)]?[ \t]+[А-Я][а-я]+(?:[ \t]+[А-Я][а-я]+){1,2}[ \t|–-]+(?P<vote>за|против|въздържал[а]?[ \t]+се|отсъства|присъства|не[ \t]+гласува)[ \t]*$",
                       re.I | re.M)
_COUNT_AFTER_CUE = re.compile(r"(?P<n>\d{1,3}|[а-я]+)\s*(?:\([а-я ]+\)\s*)?(?:" + _MEMBERS + r")", re.I)


_DATE_AFTER = re.compile(r"\s*\d{1,2}\.\d{1,2}")
_NONE_ABSENT = re.compile(r"\s*(?:няма|не\s+отсъства)")


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return number_words().get(word.lower())


def _count_named(sentence: str) -> int | None:
    """Names listed after an absence cue: ``Отсъстваха Иван Колев и Петър Стоев.`` → 2."""
    tail = _ABSENT_CUE.split(sentence, 1)[-1]
    tail = re.sub(r"^[\s:–-]*(?:общински\s+съветници|съветниците|членовете)?\s*:?", "", tail, flags=re.I)
    names = re.findall(r"[А-Я][а-я]*\.?\s+[А-Я][а-я]+(?:-[А-Я][а-я]+)?", tail)
    return len(names) or None


def extract_attendance(doc: Document) -> dict | None:
    """The attendance record of a meeting, or None when the text states none."""
    present = absent = total = None
    spans = []
    for sentence in sentences(doc.text):
        text = sentence.text
        if len(text) > 600:
            text = text[:600]
        stated = _STATED_TOTAL.search(text) if total is None else None
        if stated:
            total = int(stated["total"])
            spans.append((sentence.start + stated.start(), sentence.start + stated.end()))
        before_cue = _COUNT_BEFORE_CUE.search(text) if present is None else None
        if before_cue:
            present = int(before_cue["n"])
            spans.append((sentence.start + before_cue.start(), sentence.start + before_cue.end()))
        cue = _PRESENT_CUE.search(text) if present is None else None
        if cue and not _ABSENT_CUE.match(text):
            x_of_y = _X_OF_Y.search(text, max(0, cue.start() - 40))
            if x_of_y and not _DATE_AFTER.match(text, x_of_y.end()) and int(x_of_y["present"]) <= int(x_of_y["total"]):
                present, total = int(x_of_y["present"]), int(x_of_y["total"])
                spans.append((sentence.start + x_of_y.start(), sentence.start + x_of_y.end()))
            else:
                count = _COUNT_AFTER_CUE.search(text, cue.end())
                bare = _BARE_COUNT.match(text, cue.end())
                if count and count.start() - cue.end() < 40 and _number(count["n"]):
                    present = _number(count["n"])
                    spans.append((sentence.start + count.start(), sentence.start + count.end()))
                elif bare:
                    present = int(bare["n"])
                    spans.append((sentence.start + cue.start(), sentence.start + bare.end()))
            if total is None:
                stated = _TOTAL.search(text) or _STATED_TOTAL.search(text)
                if stated:
                    total = int(stated["total"])
                    spans.append((sentence.start + stated.start(), sentence.start + stated.end()))
        cue = _ABSENT_CUE.search(text) if absent is None else None
        if cue:
            count = _COUNT_AFTER_CUE.search(text, cue.end())
            if count and count.start() - cue.end() < 30 and _number(count["n"]) is not None:
                absent = _number(count["n"])
            elif _NONE_ABSENT.match(text, cue.end()):
                absent = 0
            else:
                absent = _count_named(text)
            if absent is not None:
                spans.append((sentence.start + cue.start(), sentence.end))
    rows = list(_ROLL_ROW.finditer(doc.text))
    if len(rows) >= 3:
        missing = sum(1 for row in rows if row["vote"].lower() == "отсъства")
        total = total if total is not None else len(rows)
        absent = absent if absent is not None else missing
        present = present if present is not None else len(rows) - missing
        spans.append((rows[0].start(), rows[-1].end()))
    if present is None and absent is None and total is None:
        return None
    method = "roll_call" if len(rows) >= 3 and spans[-1] == (rows[0].start(), rows[-1].end()) else "stated"
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    if end - start > 400:
        start, end = spans[0]
    return {"present": present, "absent": absent, "total": total, "method": method, "evidence": doc.evidence(start, end)}
