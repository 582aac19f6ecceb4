"""People: names (full, initial + surname, Latin script) with titles, roles and organisations."""
from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import process, fuzz

from extract.document import Document
from extract.fields.common import fold, opening_not_after
from extract.lexicon import (ambiguous_first_names, first_names, municipalities, name_markers, name_stopwords,
                             speech_verbs)
from extract.nlp import hits_ending_at, hits_starting_at
from extract.translit import to_cyrillic

_CAP = r"[А-Я][а-яѝјљњѓќџ]+(?:-[А-Я][а-яѝјљњѓќџ]+)?"
_UPPER = r"[А-Я]{2,}(?:-[А-Я]{2,})?"
_SURNAME_END = re.compile(r"(?:ов|ова|ев|ева|ски|ска|цки|цка|ин|ина|ян|ич|ъв|ърва|иев|иева|ийски|ийска|ова-\w+|ева-\w+)$", re.I)
_FULL = re.compile(rf"(?<![\w-])(?<![А-Яа-яA-Za-z]\.)(?P<name>(?P<first>{_CAP})[ \u00a0]{{1,2}}(?:(?P<middle>{_CAP})[ \u00a0]{{1,2}})?(?P<last>{_CAP}))(?![\w]|-[А-Я])")
# The patterns searched over the whole text open with their first letter (see ``opening_not_after``).
_CAPITAL_ALONE = opening_not_after("[А-Я]", r"\w.-")
_FULL_UPPER = re.compile(rf"(?P<name>(?P<first>{_CAPITAL_ALONE}[А-Я]+(?:-[А-Я]{{2,}})?)[ \u00a0]{{1,2}}"
                         rf"(?:(?P<middle>{_UPPER})[ \u00a0]{{1,2}})?(?P<last>{_UPPER}))(?![\w-])")
_INITIAL = re.compile(rf"(?P<name>(?P<first>{_CAPITAL_ALONE}[а-я]?\.)\s?(?:[А-Я]\.\s?)?(?P<last>{_CAP}))(?![\w-])")
_LATIN_CAPITAL_ALONE = opening_not_after("[A-Z]", r"\w.-")
_LATIN = re.compile(rf"(?P<name>(?P<first>{_LATIN_CAPITAL_ALONE}(?:[A-Za-z]{{2,}}|[A-Z]{{2,}}))\s"
                    r"(?:(?P<middle>[A-Z][A-Za-z]+)\s)?(?P<last>[A-Z][A-Za-z]{2,}|[A-Z]{3,}))(?![\w-])")
_LATIN_SURNAME_END = re.compile(r"(?:ov|ova|ev|eva|ski|ska|in|ina|ian|yan|ich|ieva|iev)$", re.I)
_ROLE_LEAD = re.compile(r"[ \t]*(?:[,–—-]|\(|:)\s*")


@lru_cache(maxsize=None)
def _first_name_list() -> list[str]:
    return sorted(first_names())


def is_first_name(word: str) -> bool:
    """A given name from the gazetteer (case-insensitive); names that are also words are not."""
    return word[:1].upper() + word[1:].lower() in first_names()


@lru_cache(maxsize=None)
def _place_names() -> frozenset[str]:
    names = set()
    for row in municipalities():
        names.update(fold(n) for n in [row["name"], row.get("centre") or ""] + (row.get("aliases") or "").split("|") if n)
    return frozenset(names)


def is_place_name(words: str) -> bool:
    """A municipality or its centre (``Велинград``, ``Бяла Слатина``): never a person's name."""
    return fold(words) in _place_names()


def looks_like_surname(word: str) -> bool:
    """A word with a Bulgarian surname ending (-ов, -ева, -ски, ...)."""
    return bool(_SURNAME_END.search(word)) and word.lower() not in name_stopwords()


def _latin_first_name(word: str) -> bool:
    guess = to_cyrillic(word.capitalize())
    if guess in first_names():
        return True
    match = process.extractOne(guess, _first_name_list(), scorer=fuzz.ratio, score_cutoff=80)
    return match is not None


_OPENING_QUOTE_BEFORE = re.compile(r"(?:^|[\s(])[„\"“«]\s*$")
_LAST_WORD = re.compile(r"(\S+)\s*$")


def _after_marker(text: str, start: int) -> bool:
    """True when the words at ``start`` follow a street/school/saint marker or an opening quote."""
    before = text[max(0, start - 25):start]
    if _OPENING_QUOTE_BEFORE.search(before):
        return True
    word = _LAST_WORD.search(before)
    return bool(word) and word.group(1).lower().strip("„\"“”«»(") in name_markers()


def _skip_back(text: str, position: int, chars: str = " \t\u00a0") -> int:
    while position > 0 and text[position - 1] in chars:
        position -= 1
    return position


def _title_before(text: str, start: int) -> tuple[str | None, int]:
    """Titles written just before ``start`` (``Д-р инж.``) and where they begin."""
    cursor, found = start, []
    while True:
        hits = hits_ending_at(text, _skip_back(text, cursor), "TITLE")
        if not hits:
            break
        found.insert(0, hits[0].text)
        cursor = hits[0].start
    return (" ".join(found), cursor) if found else (None, start)


def _role_at(text: str, position: int) -> tuple[str | None, str | None]:
    """A role phrase starting at ``position`` (after a dash or comma), and an organisation it names."""
    lead = _ROLE_LEAD.match(text, position)
    if not lead:
        return None, None
    hits = hits_starting_at(text, lead.end(), "ROLE")
    if not hits:
        return None, None
    rest = text[lead.end():lead.end() + 160].split("\n")[0]
    phrase = _extend_role(rest, hits[0].end - hits[0].start)
    org = re.search(r"\bна\s+((?:[А-Я„\"][\w„“\".-]*\s?){1,5})", phrase)
    return phrase, org.group(1).strip() if org else None


def _extend_role(rest: str, base_len: int) -> str:
    """Extend a listed role with its complement (``... на работната група``), stopping at a verb."""
    phrase_words, length = [], 0
    for word in rest.split():
        clean = word.strip(",.;:()")
        if length >= base_len and (clean.lower() in speech_verbs() or len(phrase_words) >= 10):
            break
        phrase_words.append(word)
        length += len(word) + 1
        if word.endswith((",", ".", ";", ":", ")", "/")) and length >= base_len:
            break
    return " ".join(phrase_words).strip(" ,.;:()–-/")


def _role_before(text: str, start: int) -> str | None:
    """A role written just before a name (``кметът инж. Иван Петров``), as its gazetteer entry."""
    _, cursor = _title_before(text, start)
    hits = hits_ending_at(text, _skip_back(text, cursor, " \t\u00a0:,–-"), "ROLE")
    return hits[0].entry if hits else None


# A capitalised word followed by another: where _FULL or _FULL_TWO can match (most capitalised
# words start a sentence and are followed by a lower-case one).
_NAME_START = re.compile(opening_not_after("[А-Я]", r"\w-") + r"[а-яѝ](?=[а-яѝјљњѓќџ]*(?:-[А-Я][а-яѝјљњѓќџ]+)?[ \u00a0\n]+[А-Я])")
_FULL_TWO = re.compile(rf"(?P<name>(?P<first>{_CAP})(?:[ \u00a0]{{1,2}}|[ ]*\n[ ]*)(?P<last>{_CAP}))(?![\w]|-[А-Я])")


_PATRONYMIC = re.compile(r"(?:ов|ев|ова|ева|ич|овна|евна|ски|ска)$")


def _full_kind(first: str, middle: str | None, last: str) -> str | None:
    """'full' or 'weak' when the words read as a person's name, else None."""
    stop = name_stopwords()
    if first.lower() in stop or last.lower() in stop or (middle and middle.lower() in stop):
        return None
    surname = looks_like_surname(last)
    known = is_first_name(first) or (first in ambiguous_first_names() and surname)
    if middle and (not _PATRONYMIC.search(middle) or (is_first_name(last) and not surname)):
        return None  # a middle word must read as a father's name, and the last as a surname
    if known and (surname or not is_first_name(last) or middle):
        return "full"
    if known and is_first_name(last):
        return "pair"
    if surname and (not middle or (looks_like_surname(middle) and not is_first_name(middle))) and \
            re.match(r"[А-Я][а-я]+[аяо]?$", first) and not is_place_name(first) and \
            not is_place_name(f"{first} {last}"):
        return "weak"
    return None


def _full_names(text: str):
    """Two- and three-word names, tried at every capitalised word (so ``Община Велинград Огнян Бечев`` works)."""
    for start in _NAME_START.finditer(text):
        if start.start() and text[start.start() - 1] == "." and start.start() > 1 and text[start.start() - 2].isalpha():
            continue
        match = _FULL.match(text, start.start())
        if match and match["middle"]:
            kind = _full_kind(match["first"], match["middle"], match["last"])
            if kind:
                yield match.start("name"), match.end("name"), match["name"], kind
                continue
        match = _FULL_TWO.match(text, start.start())
        if match:
            wrapped = "\n" in match["name"]
            kind = _full_kind(match["first"], None, match["last"])
            if kind and not (wrapped and (kind != "full" or not looks_like_surname(match["last"]))):
                yield match.start("name"), match.end("name"), match["name"], kind


def _candidates(text: str):
    yield from _full_names(text)
    for match in _FULL_UPPER.finditer(text):
        middle = match["middle"].capitalize() if match["middle"] else None
        kind = _full_kind(match["first"].capitalize(), middle, match["last"].capitalize())
        if kind:
            yield match.start("name"), match.end("name"), match["name"], kind
    for match in _INITIAL.finditer(text):
        if len(match["first"]) == 3 and not _two_letter_initial(match["first"][:2]):
            continue
        if looks_like_surname(match["last"]) and not is_first_name(match["last"]):
            yield match.start("name"), match.end("name"), match["name"], "initial"
    for match in _LATIN.finditer(text):
        if _LATIN_SURNAME_END.search(match["last"]) and _latin_first_name(match["first"]):
            yield match.start("name"), match.end("name"), match["name"], "latin"


_NOT_INITIALS = frozenset({"Св", "Гр", "Ул", "Бл", "Кв", "Пл", "Об", "Чл", "Ап", "Ет", "Вх"})


@lru_cache(maxsize=None)
def _two_letter_initial(pair: str) -> bool:
    """``Ст.``, ``Ел.``, ``Хр.``: the start of a given name, not an abbreviation like ``Св.`` or ``Ул.``."""
    return pair not in _NOT_INITIALS and any(name.startswith(pair) for name in first_names())


def _line_start(text: str, position: int) -> bool:
    return not text[text.rfind("\n", 0, position) + 1:position].strip()


def _in_list(text: str, start: int, end: int) -> bool:
    """Two given names in a row (``Юксел Мустафа``) count as a name inside a list of names."""
    before = text[max(0, start - 3):start]
    after = text[end:end + 4]
    return bool(re.search(r"[,:;]\s*$", before)) or bool(re.match(r"\s*(?:[,;]|и\s)", after))


_ATTENDANCE_BEFORE = re.compile(r"(?:отсъства(?:т|ха|щи)?|присъства(?:т|ха|щи)?|гласувал[иа]?|председателства)\s*:?\s*$", re.I)


def _has_context(text: str, start: int, end: int) -> bool:
    """Evidence that two capitalised words are a person: a title, a role, a verb of speaking after
    them, a speaker's colon, an attendance word before them, or a line of their own."""
    if _title_before(text, start)[0] or _role_at(text, end)[0] or _role_before(text, start) or _in_list(text, start, end):
        return True
    following = re.match(r"\s*(?P<colon>:)?\s*(?P<word>[а-я]+)?", text[end:end + 30])
    if following["word"] in speech_verbs() or (following["colon"] and _line_start(text, start)):
        return True
    if _ATTENDANCE_BEFORE.search(text[max(0, start - 30):start]):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if re.fullmatch(r"\s*\d{1,3}[.)]\s*", text[line_start:start]):
        return True
    line_end = text.find("\n", end)
    line = text[line_start:len(text) if line_end < 0 else line_end]
    line = re.sub(r"/п/|\(п\)|\(подпис\)|подпис", "", line)
    return len(line.strip(" /,.-–()")) <= (end - start) + 2


def extract_people(doc: Document) -> list[dict]:
    """Person records, one per distinct name (first mention's evidence; title/role from any mention)."""
    text = doc.text
    taken_until = -1  # candidates come sorted by start, so one accepted span ends before the next
    people: dict[str, dict] = {}
    for start, end, name, kind in sorted(_candidates(text)):
        if start < taken_until or _after_marker(text, start):
            continue
        if kind == "weak" and not _has_context(text, start, end):
            continue
        if kind == "pair" and not (_in_list(text, start, end) or _has_context(text, start, end)):
            continue
        taken_until = end
        title, _ = _title_before(text, start)
        role, organization = _role_at(text, end)
        role = role or _role_before(text, start)
        key = fold(name)
        if key in people:
            record = people[key]
            record["title"] = record["title"] or title
            record["role"] = record["role"] or role
            record["organization"] = record["organization"] or organization
            continue
        people[key] = {"name": " ".join(name.split()), "title": title, "role": role, "organization": organization,
                       "method": kind, "evidence": doc.evidence(start, end)}
    return list(people.values())
