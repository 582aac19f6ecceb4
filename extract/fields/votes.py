"""Vote tallies in the common wordings: ``за – 12, против – 0, въздържали се – 1``, ``7/0/2``, roll-calls."""
from __future__ import annotations

import re
from dataclasses import dataclass

from extract.fields.common import opening_not_after

_Q = r"[„\"“”']?"
_N = r"(?P<n>\d{1,3}|няма|нула|никой)"
_COUNT_WORD = re.compile(r"няма|нула|никой", re.I)


def _after_count(wording: str) -> list[re.Pattern]:
    """``(?<![\\d/])`` + ``_N`` + ``wording`` as two patterns: the count in digits, opening with the
    digit (see ``opening_not_after``), and the count in words, searched only in texts that hold such a word."""
    digits = "(?P<n>" + opening_not_after(r"\d", r"\d/") + r"\d{0,2})"
    return [re.compile(digits + wording, re.I), re.compile(rf"(?<![\d/])(?P<n>няма|нула|никой){wording}", re.I)]


_QUOTE_NOT_IN_WORD = opening_not_after("[„\"“”']", "а-яА-Я")
_FOR = [re.compile(rf"{_QUOTE_NOT_IN_WORD}за[“”\"']?[ \t\u00a0]*(?:[–:=-][ \t\u00a0]*)?{_N}(?![\d/]|\.\d)", re.I),
        re.compile(rf"(?<![а-яА-Я„\"“])за[ \t\u00a0]*[–:=-][ \t\u00a0]*{_N}(?![\d/]|\.\d)", re.I),
        # "13 гласа „за“" or "27 „за“": a bare "2 за" in running text is not a vote.
        *_after_count(rf"\s*(?:\([а-я ]+\)\s*)?(?:[–-]\s*)?(?:гласа?\s*{_Q}|[„\"“”'])за{_Q}(?![а-я])")]
_AGAINST = [re.compile(rf"{_Q}против{_Q}\s*[ \t\u00a0]*(?:[–:=-]|[ \t\u00a0])[ \t\u00a0]*{_N}(?![\d/]|\.\d)", re.I),
            *_after_count(rf"\s*(?:\([а-я ]+\)\s*)?(?:[–-]\s*)?(?:гласа?\s*)?{_Q}против{_Q}")]
_ABSTAINED = [re.compile(rf"{_Q}въздърж(?:ал[иа]?|али)\s+се{_Q}\s*[ \t\u00a0]*(?:[–:=-]|[ \t\u00a0])[ \t\u00a0]*{_N}(?![\d/]|\.\d)", re.I),
              *_after_count(rf"\s*(?:\([а-я ]+\)\s*)?(?:[–-]\s*)?(?:гласа?\s*|глас\s*)?{_Q}въздърж(?:ал[иа]?|али)\s+се{_Q}")]
_COUNT_IN_WORDS = frozenset(patterns[-1] for patterns in (_FOR, _AGAINST, _ABSTAINED))
_SLASH = re.compile(r"(?:приема|прие|гласуване|гласува(?:ли|не)?|гласа|с|решение|не\s+приема|резултат)\s*[:–-]?\s*"
                    r"(?P<f>\d{1,3})\s*/\s*(?P<a>\d{1,3})\s*/\s*(?P<ab>\d{1,3})(?![\d/]|\.\d)", re.I)
_SLASH_LOOSE = re.compile(r"(?:гласува[^\n]{0,60}?[:–-]\s*)?(?<![\d/.])(?P<f>\d{1,3})\s*/\s*(?P<a>\d{1,3})\s*/\s*(?P<ab>\d{1,3})(?![\d/]|\.\d)"
                          r"(?=\s*[–-]\s*(?:не\s+)?(?:се\s+)?(?:приема|прие|подкрепя))", re.I)
_GROUPED = re.compile(r"гласувал[иа]?\s+[„\"“]?(?P<vote>за|против|въздържал[аи]?\s+се)[“”\"]?\s*:\s*(?P<names>[^\n]+)", re.I)
_UNANIMOUS = re.compile(r"единодушно|единогласно|с\s+пълно\s+мнозинство", re.I)
_ROLL_CALL = re.compile(r"^[ \t]*\d{0,3}[.)]?[ \t]*[А-Я][а-я]+(?:[ \t]+[А-Я][а-я]+){1,2}[ \t]*[–|:-]?[ \t]*"
                        r"(?P<vote>за|против|въздържал(?:а)?[ \t]+се|въздържа(?:ла)?[ \t]+се)[ \t]*$", re.I | re.M)
_REJECTED = re.compile(r"не\s+получи\s+подкрепа|не\s+(?:се\s+)?подкрепя|не\s+подкрепи|не\s+(?:се\s+)?прием[аа]|не\s+(?:е|бе|беше)\s+приет|не\s+прие|отхвърл[яи]|не\s+събра|"
                       r"не\s+получи\s+необходимото|не\s+се\s+(?:прие|одобри)", re.I)
_ADOPTED = re.compile(r"(?<!не )(?:приема|прие|приет[оа]?|одобрява|одобри|реши|решава|дава\s+съгласие|упълномощава|възлага)", re.I)


@dataclass
class Tally:
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstained: int | None = None
    start: int = 0
    end: int = 0

    @property
    def found(self) -> bool:
        return any(v is not None for v in (self.votes_for, self.votes_against, self.votes_abstained))


def _value(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0


def _first(patterns: list[re.Pattern], text: str, count_words: bool = True) -> re.Match | None:
    """The earliest match of any of ``patterns`` (on a tie, of the first listed); without
    ``count_words`` the patterns for a count in words are left out."""
    matches = [m for p in patterns if count_words or p not in _COUNT_IN_WORDS for m in [p.search(text)] if m]
    return min(matches, key=lambda m: m.start()) if matches else None


_MARK = re.compile(r"^[ХXхx✓✔+]$")
_AGAINST_OR_ABSTAINED = re.compile("против|въздърж", re.I)
_COLUMN_SPLIT = re.compile(r"\t|\s*\|\s*")


def _vote_column(cell: str) -> str | None:
    cell = cell.strip(" „“\"").lower()
    if cell == "за":
        return "for"
    if cell.startswith("против"):
        return "against"
    if cell.startswith("въздърж"):
        return "abstained"
    return None


def parse_marked_table(text: str) -> Tally:
    """A roll-call table with an ``Х`` under „за“, „против“ or „въздържал се“ for each councillor.

    Columns are separated by tabs or ``|`` (Word and web tables), or aligned with spaces, in
    which case a mark belongs to the header column nearest to it.
    """
    lines = text.split("\n")
    for index, header in enumerate(lines):
        if not _AGAINST_OR_ABSTAINED.search(header):
            continue  # two vote columns, so "против" or "въздържал се" is one of them
        cells = _COLUMN_SPLIT.split(header.strip().strip("|"))
        columns = {i: _vote_column(c) for i, c in enumerate(cells) if _vote_column(c)}
        aligned = {m.start(): _vote_column(m.group(0)) for m in re.finditer(r"(?<![\w])(?:за|против|въздърж\w*(?:\s+се)?)(?![\w])", header, re.I)}
        if len(set(columns.values())) < 2 and len(set(aligned.values())) < 2:
            continue
        counts = {"for": 0, "against": 0, "abstained": 0}
        marked_rows, offset = 0, sum(len(l) + 1 for l in lines[:index])
        end = offset + len(header)
        for line in lines[index + 1:]:
            if not line.strip():
                if marked_rows:
                    break
                continue
            vote = None
            if len(set(columns.values())) >= 2:
                row = _COLUMN_SPLIT.split(line.strip().strip("|"))
                vote = next((columns[i] for i, cell in enumerate(row) if i in columns and _MARK.match(cell.strip())), None)
            else:
                mark = re.search(r"(?<=\s)[ХXхx✓✔+](?=\s|$)", line)
                if mark:
                    vote = aligned[min(aligned, key=lambda position: abs(position - mark.start()))]
            if vote is None and not re.search(r"[А-Я][а-я]+\s+[А-Я][а-я]+", line):
                break
            if vote:
                counts[vote] += 1
                marked_rows += 1
            end = text.find(line, end) + len(line)
        if marked_rows >= 3:
            return Tally(counts["for"], counts["against"], counts["abstained"], offset, end)
    return Tally()


# Every wording below needs one of these; most sentences have none, and this one search is
# cheaper than the dozen patterns it spares them.
_MAYBE_TALLY = re.compile(r"\d|няма|нула|никой|гласувал|против|единодуш|единоглас|мнозинство|(?:за|се)[ \t]*$",
                          re.I | re.M)
# Words each group of patterns needs, searched as the patterns search them (case-insensitively):
# one literal search is far cheaper than a pattern tried at every position.
_AGAINST_WORD = re.compile("против", re.I)
_SLASH_SHAPE = re.compile(r"\d\s*/\s*\d{1,3}\s*/\s*\d")  # what _SLASH and _SLASH_LOOSE need
_ABSTAINED_WORD = re.compile("въздърж", re.I)
_MARK_CHAR = re.compile(r"[ХXхx✓✔+]")
_NAME_SEPARATOR = re.compile(r",|\sи\s")


def _grouped_tally(groups: list[re.Match]) -> Tally:
    """``Гласували „за“: Иван Петров, Мария Колева ...``: one vote per name listed."""
    counts = {"за": 0, "против": 0, "въздърж": 0}
    for group in groups:
        names = [n for n in _NAME_SEPARATOR.split(group["names"].rstrip(". ")) if n.strip()]
        counts["въздърж" if group["vote"].lower().startswith("въздърж") else group["vote"].lower()] += len(names)
    return Tally(counts["за"], counts["против"], counts["въздърж"], groups[0].start(), groups[-1].end())


def parse_tally(text: str) -> Tally:
    """The first tally stated in ``text`` with its span; empty when there is none."""
    if not _MAYBE_TALLY.search(text):
        return Tally()
    has_against = _AGAINST_WORD.search(text) is not None
    marked = parse_marked_table(text) if has_against and _MARK_CHAR.search(text) else Tally()
    if marked.found:
        return marked
    groups = list(_GROUPED.finditer(text))
    if groups:
        return _grouped_tally(groups)
    roll = list(_ROLL_CALL.finditer(text))
    if len(roll) >= 3:
        votes = [m["vote"].lower() for m in roll]
        return Tally(sum(v == "за" for v in votes), sum(v == "против" for v in votes),
                     sum(v.startswith("въздърж") for v in votes), roll[0].start(), roll[-1].end())
    slash = (_SLASH.search(text) or _SLASH_LOOSE.search(text)) if _SLASH_SHAPE.search(text) else None
    count_words = _COUNT_WORD.search(text) is not None
    for_m = _first(_FOR, text, count_words)
    against_m = _first(_AGAINST, text, count_words) if has_against else None
    abst_m = _first(_ABSTAINED, text, count_words) if _ABSTAINED_WORD.search(text) else None
    worded = [m for m in (for_m, against_m, abst_m) if m]
    if slash and (not worded or slash.start() <= min(m.start() for m in worded)):
        return Tally(int(slash["f"]), int(slash["a"]), int(slash["ab"]), slash.start("f"), slash.end("ab"))
    if worded and (for_m or (against_m and abst_m)):
        anchor = min(m.start() for m in worded)
        near = [m for m in worded if m.start() - anchor < 200]
        tally = Tally(start=min(m.start() for m in near), end=max(m.end() for m in near))
        if for_m in near:
            tally.votes_for = _value(for_m["n"])
        if against_m in near:
            tally.votes_against = _value(against_m["n"])
        if abst_m in near:
            tally.votes_abstained = _value(abst_m["n"])
        around = text[tally.start:tally.end + 60]
        if _UNANIMOUS.search(text, max(0, tally.start - 60), tally.end + 60) and tally.votes_for is not None:
            tally.votes_against = 0 if tally.votes_against is None else tally.votes_against
            tally.votes_abstained = 0 if tally.votes_abstained is None else tally.votes_abstained
        if tally.votes_against is None and re.search(rf"{_Q}против{_Q}\s*(?:–|-)?\s*няма|против\s+няма|(?:няма|без)\s+{_Q}против", around, re.I):
            tally.votes_against = 0
        if tally.votes_abstained is None and re.search(rf"(?:няма|без)\s+{_Q}против{_Q}\s+(?:и|или|,)\s+{_Q}въздърж|"
                                                      rf"(?:няма|без)\s+{_Q}въздърж|въздърж\w*\s+се{_Q}\s*(?:–|-)?\s*няма", around, re.I):
            tally.votes_abstained = 0
        return tally
    unanimous = _UNANIMOUS.search(text)
    if unanimous:
        count = re.search(r"(\d{1,3})\s*(?:гласа|присъства)", text[max(0, unanimous.start() - 40):unanimous.end() + 40])
        return Tally(int(count.group(1)) if count else None, 0, 0, unanimous.start(), unanimous.end())
    return Tally()


def outcome_of(text: str, tally: Tally) -> str | None:
    """``rejected`` when the text says so (or the tally fails), ``adopted`` when adopted, else None."""
    if _REJECTED.search(text):
        return "rejected"
    if tally.found and tally.votes_for is not None and tally.votes_against is not None and \
            tally.votes_for <= tally.votes_against:
        return "rejected"
    if tally.found or _ADOPTED.search(text):
        return "adopted"
    return None
