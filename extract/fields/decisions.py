"""Decisions: numbered council decisions, tallied votes without a number, and protocol resolutions."""
from __future__ import annotations

import bisect
import itertools
import re

from extract.document import Document
from extract.fields.common import Span, sentences
from extract.fields.votes import Tally, outcome_of, parse_tally
from extract.lexicon import speech_verbs

_HEADING = re.compile(
    r"(?:^|(?<=\n))[ \t]*(?:[^\n]{0,80}?\b(?:прие|приема|взе|взема)[ \t]+(?:следното[ \t]+)?)?"
    r"(?P<word>Р[ \t]?Е[ \t]?Ш[ \t]?Е[ \t]?Н[ \t]?И[ \t]?Е|Решение)[ \t]*(?:\n[ \t]*){0,2}(?:№|N[o°]?\.?|No\.?)[ \t]*"
    r"(?P<num>\d{1,5}(?:-\d{1,5})?)(?:[ \t]*/[ \t]*\d{1,2}\.\d{1,2}\.\d{2,4}[ \t]*(?:г\.?)?)?"
    r"(?P<rest>[^\n]{0,60})", re.M)
_HEADING_WORD = re.compile(r"Р[ \t]?Е[ \t]?Ш[ \t]?Е[ \t]?Н[ \t]?И[ \t]?Е|Решение")
_OPERATIVE = re.compile(r"Р[ \t]?Е[ \t]?Ш[ \t]?И[ \t]?\s*:|РЕШИ\b|реши\s*:|\bРЕШАВА\s*:", re.M)
_ORDINALS = r"(?:първа|втора|трета|четвърта|пета|шеста|седма|осма|девета|десета|единадесета|дванадесета)"
_BOUNDARY = re.compile(rf"^[ \t]*(?:по[ \t]+т(?:\.|очка)[ \t]*\d|по[ \t]+{_ORDINALS}[ \t]+точка|по[ \t]+точка|точка[ \t]+(?:\d|{_ORDINALS})|"
                       rf"{_ORDINALS}[ \t]+точка|т\.[ \t]*\d+\.?[ \t]|т\.[ \t]*\d+[ \t]*от[ \t]+дневния|"
                       rf"(?:председател|протоколчик|протоколист|изготвил|секретар)[^\n]{{0,30}}:\s*$)", re.I | re.M)
_TALLY_CUE = re.compile(r"гласува|гласа|„за|\"за|за[“”\"]|\bза\s*[–:-]\s*\d|\d\s*/\s*\d+\s*/\s*\d|приема\s*[–-]|единодушно|единогласно|поименно", re.I)
_RESOLUTION = re.compile(
    r"^(?:(?:Работната|Комисията|Общинският|Общински|Съветът|Групата|Събранието|Експертният|Консултативният)[^.]{0,60}?\b"
    r"(?:приема|прие|одобрява|одобри|реши|решава|дава\s+съгласие|възлага|не\s+приема)\b)", re.I)
_ACCEPTED_NOTE = re.compile(r"^(?:Предложението|То|Решението|Това)\s+(?:бе|беше|се|е)\s+(?:прието|прие|приема)|единодушно\s+прието", re.I)
_DIRECTIVE = re.compile(r"^(?!Да\b|Необходимо|Следва|Може|Важно|Предлагам|Моля|Считам)[А-Я][^.\n]{0,150}?\bда\s+(?:бъде|бъдат)\s+[а-я]+н[аио]?\b", re.M)
_GROUPED_LINE = re.compile(r"^гласувал[иа]?\s+[„\"“]?(?:за|против|въздържал)", re.I)
_NUMBER_CLEAN = re.compile(r"[-/.].*$")


def _clip(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


_TALLY_LEAD = re.compile(r"(?:(?:поименно\s+)?гласува(?:ли|не|нето)?[^:\n]{0,60}?:|при\s+гласуването\s*:?|"
                         r"проведе\s+се\s+поименно\s+гласуване\s*:?|с)\s*$", re.I)


def operative_text(text: str) -> str:
    """A decision's wording without its vote count (the tally has its own fields)."""
    tally = parse_tally(text)
    if not tally.found or tally.end - tally.start > 300:
        return text
    lead = _TALLY_LEAD.search(text, max(0, tally.start - 80), tally.start)
    cut_start = lead.start() if lead else tally.start
    remainder = (text[:cut_start].rstrip(" ,;:–-") + " " + text[tally.end:].lstrip(" .,;:–-")).strip()
    return remainder if len(remainder.split()) >= 2 else text


def _decision(doc: Document, number: str | None, span: tuple[int, int], tally: Tally, text_for_outcome: str,
              method: str) -> dict:
    start, end = span
    return {"number": number, "text": _clip(operative_text(doc.text[start:end])),
            "outcome": outcome_of(text_for_outcome, tally),
            "votes_for": tally.votes_for, "votes_against": tally.votes_against,
            "votes_abstained": tally.votes_abstained, "method": method, "evidence": doc.evidence(start, end)}


def _boundaries(text: str, headings: list[re.Match]) -> list[int]:
    marks = {0, len(text)}
    marks.update(m.start() for m in _BOUNDARY.finditer(text))
    marks.update(m.start() for m in headings)
    return sorted(marks)


def _next_mark(marks: list[int], position: int) -> int:
    index = bisect.bisect_right(marks, position)
    return marks[index] if index < len(marks) else marks[-1]


def _previous_mark(marks: list[int], position: int) -> int:
    index = bisect.bisect_left(marks, position)
    return marks[index - 1] if index else 0


def _is_reference(match: re.Match) -> bool:
    """``Решение № 215 по протокол № 18`` in running text cites a decision; it is not one."""
    rest = match["rest"].strip()
    if match["word"].startswith("Р") and match["word"].upper() == match["word"] and " " in match["word"]:
        return False
    if match["word"] == "Решение" and rest and not re.match(r"^(?:/|от\s|:|$)", rest):
        return True
    return bool(re.match(r"^\s*по\s+протокол", rest))


def _headings(text: str) -> list[re.Match]:
    """What ``_HEADING.finditer`` finds, trying the pattern only at the start of lines that hold the word.

    A heading starts a line and has the word on that line, so only those lines can match; one
    search for the word is much cheaper than the pattern's lazy prefix at every line.
    """
    found, taken_until, tried = [], 0, -1
    for word in _HEADING_WORD.finditer(text):
        line_start = text.rfind("\n", 0, word.start()) + 1
        if line_start < taken_until or line_start == tried:
            continue
        tried = line_start
        heading = _HEADING.match(text, line_start)
        if heading:
            found.append(heading)
            taken_until = heading.end()
    return found


def _headed_decisions(doc: Document) -> tuple[list[dict], list[tuple[int, int]]]:
    text = doc.text
    headings = [m for m in _headings(text) if not _is_reference(m)]
    marks = _boundaries(text, headings)
    decisions, claimed = [], []
    claimed_until = 0  # the furthest end in ``claimed``
    for i, heading in enumerate(headings):
        block_end = _next_mark(marks, heading.start())
        body_start = heading.end()
        operative = _OPERATIVE.search(text, body_start, block_end)
        if operative and operative.start() - body_start < 400:
            body_start = operative.end()
        while body_start < block_end and text[body_start].isspace():
            body_start += 1
        after = parse_tally(text[body_start:block_end])
        if after.found:
            tally = after
            tally_span = (body_start + after.start, body_start + after.end)
            body_end = body_start + _sentence_start(text[body_start:block_end], after.start)
            tally_sentence = _sentence_around(text, tally_span, body_start, block_end)
        else:
            before_start = _previous_mark(marks, heading.start())
            before_start = max(before_start, claimed_until)
            tally, tally_span, tally_sentence = _last_tally(text, before_start, heading.start())
            body_end = block_end
        body_end = max(body_start, _trim_end(text, body_start, body_end))
        number = _NUMBER_CLEAN.sub("", heading["num"])
        outcome_text = tally_sentence if tally_span else text[heading.start():block_end]
        record = _decision(doc, number, (body_start, body_end), tally, outcome_text,
                           "numbered_tallied" if tally.found else "numbered")
        decisions.append(record)
        for span in ((heading.start(), block_end if after.found else body_end), tally_span):
            if span:
                claimed.append(span)
                claimed_until = max(claimed_until, span[1])
    return decisions, claimed


def _last_tally(text: str, start: int, end: int) -> tuple[Tally, tuple[int, int] | None, str]:
    """The tally nearest before ``end`` (a vote stated just before ``... прие РЕШЕНИЕ № N``), with its sentence."""
    spans = sentences(text, start, end)
    for index in range(len(spans) - 1, -1, -1):
        sentence = spans[index]
        tally = parse_tally(sentence.text)
        if not tally.found:
            continue
        first = index
        while first > 0 and _GROUPED_LINE.match(spans[first].text) and _GROUPED_LINE.match(spans[first - 1].text):
            first -= 1
        if first < index:
            # A roll-call written as one sentence per vote ("Гласували „за“: ...", "Гласували „против“: ...").
            sentence = Span(spans[first].start, sentence.end, text[spans[first].start:sentence.end])
            tally = parse_tally(sentence.text)
        return tally, (sentence.start + tally.start, sentence.start + tally.end), sentence.text
    return Tally(), None, ""


def _sentence_around(text: str, span: tuple[int, int], start: int, end: int) -> str:
    """The sentence of ``text[start:end]`` that holds ``span``."""
    return next((s.text for s in sentences(text, start, end) if s.start <= span[0] < s.end), text[span[0]:span[1]])


def _sentence_start(block: str, tally_start: int) -> int:
    """Where the sentence carrying a tally begins: the operative text ends there."""
    cut = max(block.rfind("\n", 0, tally_start), block.rfind(". ", 0, tally_start))
    return cut + 1 if cut >= 0 else tally_start


def _trim_end(text: str, start: int, end: int) -> int:
    """Drop a trailing signature/boundary tail and whitespace from a decision body."""
    body = text[start:end]
    cut = re.search(r"\n\s*\n\s*(?:гласували|при\s+гласуването|председател|протоколчик)", body, re.I)
    if cut:
        end = start + cut.start()
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


_STRONG_PROPOSAL = re.compile(r"предложението\s+за|проект(?:ът|а)?\s+(?:за|на)\s+решение|докладн(?:а|ата)\s+записка|становище|"
                              r"комисията\s+предлага|работната\s+група\s+реши", re.I)
_PROPOSAL = re.compile(r"предлага|предложи|предложението\s+(?:на|е)|\bда\s+(?:приеме|одобри|отпусне|предостави|даде|създаде|поеме|възложи|упълномощи)|\bприема\b|"
                       r"решение\s*:|не\s+подкрепя|\bподкрепя\b|\bреши\b|\bрешава\b", re.I)
_PROCEDURAL = re.compile(r"подлагам\s+на\s+гласуване|подложи\s+на\s+гласуване|гласуването\s+е|пристъпи\s+към\s+гласуване", re.I)
_REFERS_BACK = re.compile(r"^(?:Проектът|Предложението|Решението|То)\b", re.I)
_OUTCOME_STATEMENT = re.compile(r"^(?:(?:Становище|Решение|Заключение)\s*:\s*)?(?:Дневният\s+ред|Предложението|Решението|Комисията|Проектът|Съветът|Общинският\s+съвет)[^.]{0,200}?"
                                r"(?:приема|прие|приет|подкрепя|отхвърл|предлага|събра|получи)|"
                                r"^(?:Отхвърля\s+се|Приема\s+се|Не\s+се\s+приема|Прието|Не\s+е\s+прието|Предложението\s+отпада)\b", re.I)
_SPEAKER = re.compile(r"^(?:[А-Я]\.\s?[А-Я][а-я]+|[А-Я][а-я]+\s[А-Я][а-я]+(?:\s[А-Я][а-я]+)?)\s*[–:-]\s")
PROPOSAL_LOOKBACK = 5


class _Claimed:
    """The stretches of text that already belong to a decision, sorted, for tests in log time
    (a protocol has hundreds of sentences to test against dozens of decisions)."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = sorted(spans)
        self._reindex()

    def add(self, start: int, end: int) -> None:
        bisect.insort(self.spans, (start, end))
        self._reindex()

    def _reindex(self) -> None:
        self.starts = [start for start, _ in self.spans]
        self.reach = list(itertools.accumulate((end for _, end in self.spans), max))  # furthest end so far

    def holds(self, span: Span) -> bool:
        """A stretch holds the span's start, or starts inside the span."""
        before = bisect.bisect_right(self.starts, span.start)  # the stretches starting at or before it
        if before and self.reach[before - 1] > span.start:
            return True
        inside = bisect.bisect_left(self.starts, span.start)
        return inside < len(self.starts) and self.starts[inside] < span.end

    def overlaps(self, span: Span) -> bool:
        """A stretch shares a character with the span."""
        before = bisect.bisect_left(self.starts, span.end)  # the stretches starting before its end
        return before > 0 and self.reach[before - 1] > span.start


def _tallied_decisions(doc: Document, claimed: _Claimed) -> list[dict]:
    """Tallies outside numbered decisions: each is a decision on the proposal it settles."""
    text, decisions = doc.text, []
    spans = sentences(text)
    is_claimed = claimed.holds

    for index, sentence in enumerate(spans):
        if is_claimed(sentence) or not _TALLY_CUE.search(sentence.text):
            continue
        tally = parse_tally(sentence.text)
        if not tally.found:
            continue
        start, end = sentence.start, sentence.end
        words_outside = len((sentence.text[:tally.start] + sentence.text[tally.end:]).split())
        if words_outside < 8:
            following = spans[index + 1] if index + 1 < len(spans) else None
            if following and _OUTCOME_STATEMENT.match(following.text) and parse_tally(following.text).votes_for is None \
                    and not is_claimed(following):
                end = following.end
        if words_outside < 8 or _REFERS_BACK.match(sentence.text):
            proposal = _proposal_before(spans, index, is_claimed)
            if proposal is not None:
                start = proposal.start
        decisions.append(_decision(doc, None, (start, end), tally, text[start:end], "tallied"))
        claimed.add(start, end)
    return decisions


def _proposal_before(spans: list[Span], index: int, is_claimed) -> Span | None:
    """The proposal a tally settles: the nearest strongly worded proposal a few sentences back, else a weaker one."""
    weak = None
    for back in range(1, PROPOSAL_LOOKBACK + 1):
        if index - back < 0:
            break
        candidate = spans[index - back]
        if is_claimed(candidate) or parse_tally(candidate.text).found or _BOUNDARY.match(candidate.text):
            break
        if _PROCEDURAL.search(candidate.text):
            continue
        body = _SPEAKER.sub("", candidate.text)
        if _STRONG_PROPOSAL.search(body) and not _SPEAKER.match(candidate.text):
            return candidate
        if weak is None and _PROPOSAL.search(body):
            weak = candidate
    return weak


def _resolutions(doc: Document, claimed: _Claimed) -> list[dict]:
    """Untallied decisions: ``Работната група приема ...``, ``Предложението бе прието.``, and the
    directives that follow them (``Същата да бъде публикувана ...``); sentences that already belong
    to a numbered or tallied decision are left alone."""
    text, decisions = doc.text, []
    spans = sentences(text)
    last_end = -1
    for index, sentence in enumerate(spans):
        if claimed.overlaps(sentence):
            continue
        kind = None
        if _ACCEPTED_NOTE.match(sentence.text) and index > 0:
            kind = "accepted_note"
        elif _RESOLUTION.match(sentence.text):
            kind = "resolution"
        elif _DIRECTIVE.match(sentence.text) and _starts_paragraph(text, sentence.start) and not _is_speech(sentence.text):
            kind = "directive"
        elif _DIRECTIVE.match(sentence.text) and decisions and last_end >= 0 and \
                not text[last_end:sentence.start].strip() and not _is_speech(sentence.text):
            record = decisions[-1]
            start = record["evidence"]["start"]
            decisions[-1] = _decision(doc, None, (start, sentence.end), Tally(), text[start:sentence.end], record["method"])
            decisions[-1]["outcome"] = record["outcome"]
            last_end = sentence.end
            continue
        if kind is None:
            continue
        start = spans[index - 1].start if kind == "accepted_note" else sentence.start
        tally = parse_tally(sentence.text)
        record = _decision(doc, None, (start, sentence.end), tally, text[start:sentence.end], f"resolution_{kind}")
        record["outcome"] = record["outcome"] or "adopted"
        decisions.append(record)
        last_end = sentence.end
    return decisions


def _is_speech(sentence: str) -> bool:
    """A participant's words (``Иван Петров – съветник, предложи ...``), not the body's decision."""
    words = {w.strip(",.;:").lower() for w in sentence.split()}
    return bool(_SPEAKER.match(sentence)) or bool(words & speech_verbs())


def _starts_paragraph(text: str, position: int) -> bool:
    line_start = text.rfind("\n", 0, position) + 1
    return not text[line_start:position].strip()


def _one_per_number(decisions: list[dict]) -> list[dict]:
    """A decision number met again (a title line, a link "Решение № 690 (PDF)") is the same decision:
    keep the mention that carries a tally, else the first."""
    best: dict[str, dict] = {}
    for decision in decisions:
        kept = best.get(decision["number"])
        if kept is None or (kept["votes_for"] is None and decision["votes_for"] is not None):
            best[decision["number"]] = decision
    chosen = {id(d) for d in best.values()}
    return [d for d in decisions if id(d) in chosen]


def extract_decisions(doc: Document, doc_type: str) -> list[dict]:
    """Decision records in text order, with number, operative text, tally and outcome."""
    headed, claimed = _headed_decisions(doc)
    claimed_by_tallies = _Claimed(claimed)
    tallied = _tallied_decisions(doc, claimed_by_tallies)
    decisions = _one_per_number(headed) + tallied
    if doc_type == "protocol" and not headed:
        # Working groups and committees decide without numbered decisions, some by vote, some not.
        decisions += _resolutions(doc, claimed_by_tallies)
    decisions.sort(key=lambda d: d["evidence"]["start"])
    return decisions
