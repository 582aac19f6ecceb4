"""Funded projects: codes (repaired), procedure codes, programme, title, beneficiary, partners, period."""
from __future__ import annotations

import re
from functools import lru_cache

from extract.document import Document
from extract.fields.common import fold, quoted_span, strip_quotes
from extract.fields.organizations import organization_mentions
from extract.lexicon import programme_names, programmes
from extract.normalize import to_latin_lookalikes

_D = r"[-–—‑]"
_SP = r"[ \u00a0]?"
# ISUN / UMIS codes: BG05SFOP001-2.025-0007(-C01); damage: spaces, en dashes, Cyrillic look-alikes.
_ISUN = re.compile(
    rf"(?<![\w])(?P<code>[BВ][GГ]{_SP}\d\d{_SP}[A-ZА-Я0-9]{{2,8}}?\d{{3}}{_SP}{_D}{_SP}\d{{1,2}}(?:{_SP}\.{_SP}\d{{1,3}}){{1,3}}"
    rf"(?:{_SP}{_D}{_SP}\d{{4}}(?:{_SP}{_D}{_SP}[CСcс]{_SP}\d{{2}})?)?)(?=[^\d]|$)")
_RRP = re.compile(rf"(?<![\w])(?P<code>BG{_SP}{_D}{_SP}RRP{_SP}{_D}{_SP}\d{{1,2}}\.\d{{3}}(?:{_SP}{_D}{_SP}\d{{4}}"
                  rf"(?:{_SP}{_D}{_SP}C{_SP}\d\d)?)?)")
_OLD = re.compile(r"(?:проект|договор|контракт|№|N)[^\n\d]{0,25}?(?<![\d./-])(?P<code>\d{2}-\d{2}-\d{1,4})(?![\d./-])", re.I)
_RURAL = re.compile(r"(?<![\d/])(?P<code>\d{2}/\d{2,3}/\d/\d/\d{4,5})(?![\d/])")
_INTERREG = re.compile(r"(?<![\w.])(?P<code>(?:CB|ROBG|BGMK|BGRS|GR-BG|BG-TR)[-.]?\d{1,3}(?:\.\d{1,3}){1,3}|ROBG-\d{1,4}"
                       r"|CB\d{2}[A-Z]{4,8}-\d{1,2}(?:\.\d{1,2})?-\d{2,4})(?![\w])")
_DURATION = re.compile(r"(?P<n>\d{1,3})\s*(?:\([а-я ]+\)\s*)?(?:календарни\s+)?месец[аи]?", re.I)


def canonical_code(raw: str) -> str:
    """``BG 05M9ОР001 – 2.004- 0033`` → ``BG05M9OP001-2.004-0033``."""
    code = re.sub(r"[\s\u00a0]", "", raw)
    code = re.sub(r"[–—‑]", "-", code)
    return to_latin_lookalikes(code).upper()


# What a text must hold for each code pattern to match (its fixed letters, its shape), tested
# before the pattern: most texts hold no code, and these tests cost a fraction of the patterns.
_ISUN_LETTERS = ("BG", "BГ", "ВG", "ВГ")
_INTERREG_PREFIXES = ("CB", "ROBG", "BGMK", "BGRS", "GR-BG", "BG-TR")
_RURAL_SHAPE = re.compile(r"/\d/\d/")
_OLD_SHAPE = re.compile(r"\d-\d\d-\d")


def _code_patterns(text: str, latin: str) -> list[tuple[re.Pattern, str]]:
    """The code patterns that can match, in order, each with the text it runs on."""
    candidates = []
    if any(letters in text for letters in _ISUN_LETTERS):
        candidates.append((_ISUN, text))
    if "RR" in text:
        candidates.append((_RRP, latin))
    if _RURAL_SHAPE.search(text):
        candidates.append((_RURAL, text))
    if any(prefix in latin for prefix in _INTERREG_PREFIXES):
        candidates.append((_INTERREG, latin))
    if _OLD_SHAPE.search(text):
        candidates.append((_OLD, text))
    return candidates


def find_codes(text: str) -> list[tuple[int, int, str]]:
    """Project and procedure codes in ``text``: (start, end, canonical code), in order."""
    found = []
    latin = to_latin_lookalikes(text)  # one letter for one, so offsets stay valid: СB007 → CB007
    for pattern, searched in _code_patterns(text, latin):
        for match in pattern.finditer(searched):
            s, e = match.span("code")
            if any(s < fe and fs < e for fs, fe, _ in found):
                continue
            found.append((s, e, canonical_code(match["code"])))
    return sorted(found)


_CODE_FAMILIES = ((re.compile(r"BG-RRP"), "recovery_plan_code"), (re.compile(r"BG\d\d"), "isun_code"),
                  (re.compile(r"\d\d/\d"), "rural_code"), (re.compile(r"[A-Z]"), "interreg_code"))


def code_family(code: str) -> str:
    """Which code pattern found a project (the calibration's method)."""
    return next((name for pattern, name in _CODE_FAMILIES if pattern.match(code)), "numeric_code")


def is_procedure(code: str) -> bool:
    """A procedure code names a call (``BG05SFOP001-2.025``), not a project."""
    return bool(re.fullmatch(r"BG\w+-\d{1,2}(?:\.\d{1,3}){1,3}", code)) or bool(re.fullmatch(r"BG-RRP-\d+\.\d{3}", code))


def base_code(code: str) -> str:
    """A contract code without its ``-C01`` suffix."""
    return re.sub(r"-C\d\d$", "", code)


def programme_for_code(code: str) -> str | None:
    """Programme name from the code prefix table in ``models/``."""
    for row in programmes():
        if code.upper().startswith(row["prefix"].upper()):
            return row["name"]
    return None


@lru_cache(maxsize=None)
def _programme_patterns() -> tuple[re.Pattern, dict[str, re.Pattern], list[str]]:
    """Where a programme name can start, and per first letter one alternation of the names that
    start with it (longest first, group ``p<i>`` for the i-th name); the canonical name of each group.

    Only the names that start with a text's letter can match there, so this tries a few names per
    position where one alternation of all of them tried a hundred.
    """
    rows = programme_names()
    keys = [fold(row["pattern"]).replace('"', "") for row in rows]
    if not all(keys):
        raise ValueError("an empty programme name")
    by_first = {}
    for first in sorted({key[0] for key in keys}):
        alternation = "|".join(f"(?P<p{i}>{re.escape(key)})" for i, key in enumerate(keys) if key[0] == first)
        by_first[first] = re.compile(rf"(?<![а-я])(?:{alternation})(?![а-я])")
    starts = re.compile(rf"(?<![а-я])[{re.escape(''.join(by_first))}]")
    return starts, by_first, [row["name"] for row in rows]


def _first_programme(folded: str) -> re.Match | None:
    """The leftmost programme name in folded text (at one start, the first alternative that matches)."""
    starts, by_first, _ = _programme_patterns()
    for start in starts.finditer(folded):
        match = by_first[start.group()].match(folded, start.start())
        if match:
            return match
    return None


def programme_in_text(text: str) -> tuple[str, int, int] | None:
    """The first programme named in words: (canonical name, start, end).

    At the same start the longer name wins: the alternation tries names longest first.
    """
    names = _programme_patterns()[2]
    match = _first_programme(fold(text).replace('"', ""))
    if match is None:
        return None
    start, end = _map_folded_span(text, match.start(), match.end())
    return names[int(match.lastgroup[1:])], start, end


def _map_folded_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Map an offset in ``fold(text).replace('"','')`` back to ``text`` (approximately, by word count)."""
    folded = fold(text).replace('"', "")
    words_before = len(folded[:start].split())
    words_in = max(1, len(folded[start:end].split()))
    positions = [m.span() for m in re.finditer(r"\S+", text)]
    if words_before >= len(positions):
        return 0, 0
    last = min(len(positions) - 1, words_before + words_in - 1)
    return positions[words_before][0], positions[last][1]


def _title_after(text: str, end: int) -> tuple[str, int, int] | None:
    """A quoted title right after a project code (``BG... „Title“``), not a procedure or programme name."""
    gap = re.match(r"[\s,:–—-]*(?:с\s+(?:наименование|име)\s*)?", text[end:end + 60])
    position = end + gap.end()
    if position >= len(text) or text[position] not in "„«\"“":
        return None
    span = quoted_span(text, position)
    if not span:
        return None
    return strip_quotes(text[span[0]:span[1]]), span[0], span[1]


_TITLE_CUE = re.compile(r"(?:(?:^|\n)[ \t]*(?:наименование|заглавие|проект)\s*:|наименование(?:то)?\s+на\s+проекта|име(?:то)?\s+на\s+проекта|проект(?:ът)?\s+(?:със\s+заглавие|с\s+наименование)|"
                        r"по\s+проект(?:\s+№)?|проектно\s+предложение|проект(?:а|ът)?)\s*(?:е|:)?\s*(?=[„\"“«])", re.I)


def _title_named(text: str) -> tuple[str, int, int] | None:
    """A quoted title introduced by words such as ``Пълното наименование на проекта е``."""
    for match in _TITLE_CUE.finditer(text):
        span = quoted_span(text, match.end())
        if span and span[1] - span[0] >= 8:
            return strip_quotes(text[span[0]:span[1]]), span[0], span[1]
    return None


def _org_after(text: str, cue: re.Pattern, mentions: list[tuple[int, int, str, str]],
               offset: int = 0) -> str | None:
    """The organisation named right after a cue (``Бенефициент на проекта е Сдружение „...“``)."""
    match = cue.search(text)
    if not match:
        return None
    cue_end = offset + match.end()
    return next((name for start, _, name, _ in mentions if cue_end <= start <= cue_end + 40), None)


_BENEFICIARY = re.compile(r"бенефициент(?:ът|а)?(?:\s+на\s+(?:проекта|договора))?\s*(?:е|:|–|-)?|изпълняван(?:\s+е)?\s+от|"
                          r"(?:подписан|сключен)\s+между|изпълнява(?:н)?\s+се\s+от|се\s+изпълнява\s+от|изпълнител\s+(?:на\s+проекта\s+)?е", re.I)
_PARTNER = re.compile(r"партн[ьи]ори?(?:\s+по\s+проекта)?(?:\s+(?:е|са))?\s*:?|в\s+партньорство\s+с", re.I)


_DOES_PROJECT = re.compile(r"[ \t]+(?:стартира|започна|изпълнява|реализира|ще\s+изпълнява|ще\s+реализира)\b", re.I)


def _org_doing_project(text: str, organizations: list[tuple[int, int, str, str]], start: int, end: int) -> str | None:
    """The organisation that is the subject of "... стартира изпълнението на проект" in a section."""
    for org_start, org_end, name, _ in organizations:
        if start <= org_start < end and _DOES_PROJECT.match(text, org_end):
            return name
    return None


def _partners(text: str, mentions: list[tuple[int, int, str, str]]) -> list[str]:
    """Organisations listed after ``Партньори:`` / ``в партньорство с`` up to the end of the sentence."""
    partners = []
    for match in _PARTNER.finditer(text):
        segment = text[match.end():match.end() + 300].split("\n")[0]
        end = match.end() + len(re.split(r"(?<![А-Я])\.\s", segment)[0])
        for start, _, name, _ in mentions:
            if match.end() <= start < end and name not in partners:
                partners.append(name)
    return partners


def _sections(text: str, firsts: list[int]) -> list[tuple[int, int]]:
    """One stretch of text per project: from its first code mention to the next project's."""
    bounds = []
    for i, position in enumerate(firsts):
        line_start = text.rfind("\n\n", 0, position)
        start = 0 if i == 0 else max(firsts[i - 1] + 1, line_start if line_start >= 0 else position)
        end = firsts[i + 1] if i + 1 < len(firsts) else len(text)
        if i + 1 < len(firsts):
            paragraph = text.rfind("\n\n", position, end)
            end = paragraph if paragraph > position else end
        bounds.append((start, end))
    return bounds


def project_budget(amounts: list[dict]) -> dict:
    """Total, EU, national and own contribution stated in a project's section, in its currency."""
    budget = {"currency": None, "total": None, "eu": None, "national": None, "own": None, "total_eur": None}
    for amount in amounts:
        role = amount.get("role")
        if role in ("total", "eu", "national", "own") and budget[role] is None:
            if budget["currency"] not in (None, amount["currency"]):
                continue
            budget["currency"] = amount["currency"]
            budget[role] = amount["value"]
            if role == "total":
                budget["total_eur"] = amount["value_eur"]
    return budget


_PROJECT_PERIOD = re.compile(r"(?<!\w)проект(?:ът|а)?(?!\w)|продължителност|период|изпълн|реализ")


def _period_date(text: str, dates: list[dict], role: str) -> str | None:
    """The project's own start or end among the section's dates of that role.

    A date whose sentence names the project (``Проектът се изпълнява от ...``) wins over an
    activity's (``Строителните работи стартираха на ...``); for the end, an extension
    (``срокът е удължен до ...``) wins over the original end; otherwise the first one.
    """
    candidates = [d for d in dates if d["role"] == role]
    if not candidates:
        return None

    def rank(d: dict) -> tuple:
        window = text[max(0, d["evidence"]["start"] - 160):d["evidence"]["start"]]
        sentence = fold(re.split(r"[.!?]\s+(?=[А-ЯA-Z])|\n", window)[-1])
        return (role == "end" and "удълж" in sentence, bool(_PROJECT_PERIOD.search(sentence)))
    best = max(rank(d) for d in candidates)
    return next(d["value"] for d in candidates if rank(d) == best)


def extract_projects(doc: Document, dates: list[dict], municipality: str | None,
                     amounts: list[dict] | None = None) -> list[dict]:
    """Project records. Contract codes (``-C01``) fold into their project; procedures are kept apart.

    With several projects in one text, each takes its title, programme, period and beneficiary
    from its own section (from its first mention to the next project's).
    """
    text = doc.text
    codes = find_codes(text)
    procedures = [(s, e, c) for s, e, c in codes if is_procedure(c)]
    groups: dict[str, list[tuple[int, int, str]]] = {}
    for s, e, c in codes:
        if not is_procedure(c):
            groups.setdefault(base_code(c), []).append((s, e, c))
    if not groups:
        return []
    ordered = sorted(groups.items(), key=lambda item: item[1][0][0])
    sections = _sections(text, [mentions[0][0] for _, mentions in ordered])
    single = len(ordered) == 1
    organizations = organization_mentions(text)
    partners = _partners(text, organizations) if single else []
    records = []
    for (code, mentions), (start, end) in zip(ordered, sections):
        section = text[start:end]
        title = None
        for s, e, _ in mentions:
            title = title or _title_after(text, e)
        title = title or _title_named(section)
        words = programme_in_text(section)
        procedure = next((c for s, e, c in procedures if code.startswith(c)), None) or \
            next((c for s, e, c in procedures if start <= s < end), None)
        programme = (words[0] if words else None) or programme_for_code(code) or \
            (programme_for_code(procedure) if procedure else None)
        beneficiary = _org_after(section, _BENEFICIARY, organizations, start) or \
            _org_doing_project(text, organizations, start, end)
        owner = beneficiary or (f"Община {municipality}" if municipality else None)
        in_section = [d for d in dates if start <= d["evidence"]["start"] < end]
        section_amounts = [a for a in amounts or [] if start <= a["evidence"]["start"] < end]
        duration = _DURATION.search(section)
        first_start, first_end, _ = mentions[0]
        records.append({
            "code": code,
            "contract_codes": sorted({c for *_, c in mentions if c != code}),
            "procedure": procedure,
            "title": title[0] if title else None,
            "programme": programme,
            "beneficiary": owner,
            "partners": [p for p in partners if p != owner],
            "start": _period_date(text, in_section, "start"),
            "end": _period_date(text, in_section, "end"),
            "duration_months": int(duration["n"]) if duration else None,
            **project_budget(section_amounts),
            "method": code_family(code),
            "evidence": doc.evidence(first_start, first_end),
        })
    return records
