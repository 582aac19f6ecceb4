"""Dates in every written form, each with the role its context gives it."""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from extract.document import Document
from extract.fields.common import clause_after, clause_before, fold, opening_not_after
from extract.lexicon import date_lexicon


def _day(group: str, not_after: str) -> str:
    """``(?<![not_after])[0-3]?\\d`` as group ``group``, opening with the digit (3× faster to search)."""
    return f"(?P<{group}>" + opening_not_after(r"\d", not_after) + r"(?:(?<=[0-3])\d)?)"


_NUMERIC = re.compile(
    _day("d", r"\d.,") + r"\s?(?P<sep>[./])\s?(?P<m>[01]?\d)\s?(?P=sep)\s?(?P<y>(?:19|20)\d\d|\d\d(?=\s?г))(?![\d])"
    r"(?:\s?(?:г\.|г(?![а-я])|год\.|година))?")
_ISO = re.compile(r"(?<![\d.-])(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?![\d-])")
_ISO_SHAPE = re.compile(r"(?:19|20)\d\d-")  # what _ISO needs, found without trying it at every position
_ROMAN = re.compile(_day("d", r"\d.") + r"\s?\.\s?(?P<m>XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)\s?\.\s?(?P<y>(?:19|20)\d\d)(?!\d)(?:\s?(?:г\.|г(?![а-я])))?")
_ROMAN_MONTHS = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10, "XI": 11, "XII": 12}
_OWN_HEADING = re.compile(r"(?:^|\n)[ \t]*(?:(?:препис[ -]*)?извлечение\s+от\s+)?(?:П\s?Р\s?О\s?Т\s?О\s?К\s?О\s?Л|Р\s?Е\s?Ш\s?Е\s?Н\s?И\s?Е|З\s?А\s?П\s?О\s?В\s?Е\s?Д|Протокол|Решение|Заповед)"
                          r"\s*(?:№|N)\s*[\w.-]+\s*(?:/|от)?\s*$", re.I)
_DATELINE = re.compile(r"(?:^|\n)[ \t]*(?:(?:(?:гр\.|с\.|град|село)[ \t]*)?[А-Я][а-я]+(?:[ -][А-Я][а-я]+)?[ \t]*,[ \t]*|"
                       r"(?:гр\.|с\.|град|село)[ \t]*[А-Я][а-я]+(?:[ -][А-Я][а-я]+)?[ \t]*,?[ \t]*\n[ \t]*|дата[ \t]*:[ \t]*)$", re.I)
_WEEKDAY_PREFIX = re.compile(r"[ \t]*(?:[А-Яа-я]+,?[ \t]*)?")
_TIME_TO_EOL = re.compile(r"[ \t]*(?:г\.)?[ \t]*[|,]?[ \t]*\d{1,2}:\d{2}[ \t]*(?:ч\.?)?[ \t]*(?:\|[^\n]*)?(?:\n|$)")
_RANGE_BETWEEN = re.compile(r"^\s*(?:г\.|г)?\s*(?:[-–—]|до|to)\s*$", re.I)
_FROM = re.compile(r"(?:^|\s)(?:от|считано от|начало|начална дата|стартира(?:ла|ше)? на)\s*:?\s*$", re.I)
_UNTIL_NEXT = re.compile(r"\s*(?:г\.)?\s*(?:,?\s*(?:и\s+)?(?:[а-я]+\s+){1,3})?до\s*$")  # "от D1 г. и ще продължи до D2"
_SENTENCE_FROM = re.compile(r"(?:^|[.!?\n]\s*)от\s*$", re.I)
_PROJECT_WORDS = re.compile(r"проект|изпълнява|реализира|стартира")
_UNTIL = re.compile(r"(?:^|[\s(])(?:до|краен срок|крайна дата|приключва(?:не)? на|завършва на|край)\s*:?\s*$", re.I)


@lru_cache(maxsize=None)
def _month_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, int]:
    """Dates with the month in words (``15 март 2024 г.``); the same with a shared year (``от 1
    януари до 31 декември 2024 г.``: the first date takes the second one's year); a weekday written
    before a date (``петък, 15 март``); the length of the longest weekday."""
    names = "|".join(sorted(date_lexicon()["months"], key=len, reverse=True))
    weekdays = date_lexicon()["weekdays"]
    month_named = re.compile(
        _day("d", r"\d") + r"[ \t]*(?:-?(?:ти|ви|ри|ми))?[ \t\u00a0]+"
        rf"(?P<month>{names})\.?\s*,?\s+(?P<y>(?:19|20)\d\d)(?!\d)(?:\s?(?:г\.|г(?![а-я])|година))?", re.I)
    shared_year = re.compile(_day("d1", r"\d") + rf"\s+(?P<m1>{names})\s*(?:до|[-–—])\s*[0-3]?\d\s+(?:{names})\s+"
                             r"(?P<y>(?:19|20)\d\d)", re.I)
    weekday = re.compile(rf"(?<!\w)(?:{'|'.join(weekdays)}),?[ \t]+\Z", re.I)
    return month_named, shared_year, weekday, max(map(len, weekdays))


def _weekday_start(text: str, day: int, not_before: int) -> int:
    """Where a weekday written right before the date at ``day`` starts (``петък, 15 март``), else ``day``."""
    _, _, weekday, longest = _month_patterns()
    spaces = day
    while spaces > not_before and text[spaces - 1] in " \t":
        spaces -= 1
    if spaces == day:
        return day
    before = weekday.search(text, max(not_before, spaces - 1 - longest), day)
    return before.start() if before else day


def _month_named_dates(text: str) -> list[tuple[int, int, re.Match]]:
    """(start, end, match) of each date with the month in words, a weekday before it included.

    The same dates as one pattern with an optional weekday in front, found by searching from
    digit to digit and looking back for the weekday, instead of trying the weekdays everywhere.
    """
    found, previous_end = [], 0
    for match in _month_patterns()[0].finditer(text):
        found.append((_weekday_start(text, match.start(), previous_end), match.end(), match))
        previous_end = match.end()
    return found


def _valid(year: int, month: int, day: int) -> str | None:
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, int, str, str]]:
    """Every full calendar date written in ``text``: (start, end, ISO value, method), in order."""
    months = date_lexicon()["months"]
    found = []
    for match in _NUMERIC.finditer(text):
        value = _valid(int(match["y"]), int(match["m"]), int(match["d"]))
        if value:
            found.append((match.start(), match.end(), value, "numeric"))
    for start, end, match in _month_named_dates(text):
        value = _valid(int(match["y"]), months[match["month"].lower()], int(match["d"]))
        if value:
            found.append((start, end, value, "month_name"))
    for match in _month_patterns()[1].finditer(text):
        value = _valid(int(match["y"]), months[match["m1"].lower()], int(match["d1"]))
        if value:
            found.append((match.start("d1"), match.end("m1"), value, "shared_year"))
    for match in _ROMAN.finditer(text):
        value = _valid(int(match["y"]), _ROMAN_MONTHS[match["m"]], int(match["d"]))
        if value:
            found.append((match.start(), match.end(), value, "roman_month"))
    for match in _ISO.finditer(text) if _ISO_SHAPE.search(text) else ():
        value = _valid(int(match["y"]), int(match["m"]), int(match["d"]))
        if value:
            found.append((match.start(), match.end(), value, "iso"))
    found.sort()
    result, last_end = [], -1
    for start, end, value, method in found:
        if start >= last_end:
            result.append((start, end, value, method))
            last_end = end
    return result


def _cue_role(before: str, after: str, raw_before: str, timestamp_line: bool) -> str | None:
    cues = date_lexicon()["role_cues"]
    before = re.sub(r"\([^()]*\)", "", before)  # "Крайна дата (съгласно Анекс № 3 от ...): DATE"
    before = re.sub(r"(?:^|\n)([^\n:.]{2,40})\n[ \t]*$", r"\n\1:", before)  # a label on its own line: "Начало\nDATE"
    near = re.sub(r"\s*\|\s*$", ":", fold(before[-60:]).rstrip())  # "| Край | 30.09.2025 |" reads as "Край:"
    found = [(near.rfind(cue), near.rfind(cue) + len(cue.rstrip(":")), role)
             for role in ("start", "end", "published", "updated", "deadline", "signed") for cue in cues[role] if cue in near]
    # The closest cue wins ("дата на стартиране: ..., дата на приключване: 30.09.2025"); a cue inside a
    # longer one ("дата:" inside "Начална дата:") does not count.
    found = [f for f in found if not any(o[0] <= f[0] and f[1] <= o[1] and (o[1] - o[0]) > (f[1] - f[0]) for o in found)]
    if _OWN_HEADING.search(raw_before):
        return "meeting"
    if re.search(r"(?:№|n)\s*[\w./-]+\s+от\s*$", near):  # "(съгласно Анекс № 3 от 09.05.2023 г.)" cites an act
        return "reference"
    if found:
        return max(found, key=lambda f: (f[1], f[1] - f[0]))[2]
    if re.search(r"(?:^|\s)днес\s*,?\s*$", near):  # "Днес, 15.10.2021 г., се проведе" is not a dateline
        return "meeting"
    if _DATELINE.search(before[-60:]) and re.match(r"\s*(?:\n|$|,)", after):
        return "signed"
    if re.search(r"№\s*[\w./-]*\s*[/]\s*$|(?:изх|вх)\.?\s*№", before[-40:]):  # "№ X от" is caught above
        return "reference"
    if re.search(r"(?:заповед|решение|протокол|договор|писмо|указ|наредба)\b[^.\n]{0,40}$", near) and \
            re.search(r"(?:№|n)\s*\S*\s*(?:от|/)?\s*$", near):
        return "reference"
    if timestamp_line and not any(cue in near for cue in cues["meeting"]):
        return "published"
    if re.match(r"\s*(?:г\.)?\s*(?:от|в|,)?\s*\d{1,2}[:.,]\d{2}\s*(?:ч|часа)", after):
        return "meeting"
    if any(cue in near for cue in cues["meeting"]):
        return "meeting"
    return None


def extract_dates(doc: Document) -> list[dict]:
    """Date records: ISO value, role (start/end of periods, meeting, published, ...) and evidence."""
    text = doc.text
    found = find_dates(text)
    roles: list[str | None] = [None] * len(found)
    for i, (start, end, *_) in enumerate(found):
        if i + 1 < len(found) and _RANGE_BETWEEN.match(text[end:found[i + 1][0]]):
            roles[i], roles[i + 1] = "start", "end"
    for i, (start, end, *_) in enumerate(found):
        if roles[i]:
            continue
        before, after = clause_before(text, start), clause_after(text, end, 40)
        if _FROM.search(before) and i + 1 < len(found) and _UNTIL_NEXT.match(text[end:found[i + 1][0]]):
            roles[i], roles[i + 1] = "start", "end"
            continue
        if _SENTENCE_FROM.search(before) and _PROJECT_WORDS.search(fold(clause_after(text, end, 80))):
            roles[i] = "start"  # "От 01.03.2024 г. Община Банско изпълнява проект ..."
            continue
        if _UNTIL.search(before) and re.search(r"(?:продължителност|срок|период|изпълнение|изпълнява|реализация|реализира|приключ|продължи|проект)", fold(before)):
            roles[i] = "end"
            continue
        line_start = text.rfind("\n", 0, start) + 1
        timestamp_line = bool(_WEEKDAY_PREFIX.fullmatch(text, line_start, start)) and bool(_TIME_TO_EOL.match(text, end))
        roles[i] = _cue_role(before, after, text[max(0, start - 80):start], timestamp_line) or "other"
    return [{"value": value, "role": role, "method": method, "evidence": doc.evidence(start, end)}
            for (start, end, value, method), role in zip(found, roles)]


def choose_document_date(doc: Document, dates: list[dict], doc_type: str, head_chars: int = 600) -> str | None:
    """The meeting date of a protocol or decision; the stated publication date of anything else."""
    if not dates:
        return None
    head = [d for d in dates if d["evidence"]["start"] < head_chars]

    def first(items: list[dict], *roles: str) -> str | None:
        return next((d["value"] for d in items if d["role"] in roles), None)

    dateline = next((d["value"] for d in dates if d["role"] == "signed" and
                     _DATELINE.search(doc.text, max(0, d["evidence"]["start"] - 60), d["evidence"]["start"])), None)

    if doc_type in ("protocol", "decision"):
        return first(head, "meeting") or first(head, "signed") or first(dates, "meeting") or \
            first(head, "other", "published") or dateline
    published = doc.metadata.get("published")
    return first(dates, "published") or dateline or \
        (published if any(d["value"] == published for d in dates) else None) or first(head, "other", "meeting")
