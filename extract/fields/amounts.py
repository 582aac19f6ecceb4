"""Money amounts: ``65 410,72 лв.``, ``лв.2 340 100``, ``1,2 млн. лв.``, ``45 хил. лева``, euro."""
from __future__ import annotations

import bisect
import re

from extract.contract import BGN_PER_EUR
from extract.document import Document
from extract.fields.common import clause_before, fold, opening_not_after
from extract.lexicon import amount_lexicon

# A number: "65 410,72", "1.250.000", "59875.20", its first digit taken out of both alternatives
# so that a pattern can open with it (see ``opening_not_after``).
_NUMBER_REST = r"(?:\d{0,2}(?:(?:[ \u00a0\u202f]|\.(?=\d{3}(?!\d)))\d{3}){1,4}(?:[,.]\d{1,2})?|\d{0,14}(?:[,.]\d{1,3})?)"
_NUMBER = rf"(?P<num>\d{_NUMBER_REST})"
# Not right after a word, a code or another number.
_NUMBER_ALONE = "(?P<num>" + opening_not_after(r"\d", r"\w.,/-") + _NUMBER_REST + ")"
_MULT = r"(?P<mult>хил\.|хиляди|хиляда|хил(?![а-я])|млн\.|млн|милиона|милион|млрд\.|млрд|милиарда)"
_CUR_AFTER = r"(?P<cur>лв\.?(?![а-я])|лева|лев(?![а-я])|BGN|евро|EUR|€|euro)"
_CUR_BEFORE = r"(?P<cur>лв\.?|BGN|EUR|€)"
_IN_WORDS = r"(?:\([а-яА-Я ,-]{3,60}\)\s?)?"
_AFTER = re.compile(rf"{_NUMBER_ALONE}(?:\.-)?\s?(?:{_MULT}\s?)?{_IN_WORDS}{_CUR_AFTER}", re.I)
# "от 1 000 до 5 000 лв.", "1 000 – 5 000 лв.": the first number shares the second one's currency.
_RANGE_STARTS = (
    re.compile(rf"(?:\bот|\bмежду)\s+(?<![\w.,/-]){_NUMBER}\s?(?:{_MULT}\s?)?(?=\s*(?:до|и)\s+\d)", re.I),
    re.compile(rf"{_NUMBER_ALONE}(?=\s*[–-]\s*\d[\d \u00a0.,]*\s?(?:{_MULT}\s?)?{_CUR_AFTER})", re.I),
)
_BEFORE = re.compile(rf"(?<![\w]){_CUR_BEFORE}[ \t\u00a0]?(?<![\d]){_NUMBER}(?:\s?{_MULT})?(?![\d])", re.I)
_TABLE_NUMBER = re.compile(rf"^\s*{_NUMBER}\s*(?:{_CUR_AFTER})?\s*$", re.I)
DEFAULT_ROLE = "other"
_EQUIVALENT = re.compile(r"\s*\((?:около|или|равностойност(?:та)?\s+на|=|≈)?\s*", re.I)
_TOTAL_FOLLOWS = re.compile(r"\s*(?:\([^)]{0,40}\)\s*)?,?\s*(?:от\s+които|в\s+т\.\s?ч\.|включително|разпределени\s+както\s+следва)", re.I)
_CLAUSE_BREAK = re.compile(r",\s*(?:от\s+(?:които|тях)|като|а\s|в\s+т\.\s*ч\.|включително)|;|\n|\.\s", re.I)
_FUNDING_WORDS = re.compile(r"европейск|национал|собствен|\bес\b|ефрр|есф|еэфрср|езфрср|републиканск|държавн|съфинансиран|бфп|безвъзмездн", re.I)


def parse_number(raw: str, scaled: bool = False) -> float:
    """``65 410,72`` → 65410.72; ``1.250.000`` → 1250000; ``59875.20`` → 59875.2.

    ``scaled``: a multiplier follows (``1.250 млн.``), so a dot is a decimal point.
    """
    compact = re.sub(r"[ \u00a0\u202f]", "", raw)
    if scaled and re.fullmatch(r"\d+\.\d+", compact):
        return float(compact)
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", compact):
        compact = compact.replace(".", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+\.\d{1,2}", compact):
        # "1.250.000.12 лв.": thousands dotted and the decimals after a dot too.
        whole, _, decimals = compact.rpartition(".")
        compact = whole.replace(".", "") + "." + decimals
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", compact):
        # "12,000 лв.": money has two decimals, so three digits after a comma are thousands.
        compact = compact.replace(",", "")
    return float(compact.replace(",", "."))


def readable_number(raw: str, scaled: bool = False) -> float | None:
    """:func:`parse_number`, or None for digits and separators no convention explains
    (``1.523 443.6``): such an amount is left out rather than guessed, and the document is kept."""
    try:
        return parse_number(raw, scaled)
    except ValueError:
        return None


def _currency(raw: str) -> str:
    return amount_lexicon()["currencies"].get(raw.lower().rstrip(".") if raw.lower() != "лв." else "лв.", None) \
        or amount_lexicon()["currencies"].get(raw.lower(), "BGN")


def _multiplier_word(amount_text: str) -> str | None:
    """The multiplier word inside an amount's own text (``5 хил. лв.`` → ``хил.``), if any."""
    found = re.search(_MULT, amount_text, re.I)
    return found.group(0) if found else None


def _multiplier(raw: str | None) -> int:
    if not raw:
        return 1
    return amount_lexicon()["multipliers"].get(raw.lower(), 1)


def role_from_context(before: str, after: str) -> str | None:
    """The role the sentence gives an amount: a cue right after it wins, then one before it."""
    cues = amount_lexicon()["role_cues"]
    after_clause = fold(_CLAUSE_BREAK.split(after, 1)[0])[:80]
    for role in ("eu", "national", "own"):
        if any(cue in after_clause for cue in cues[role]):
            return role
    breaks = list(_CLAUSE_BREAK.finditer(before))
    before_clause = fold(before[breaks[-1].end():] if breaks else before)[-90:]
    best, best_pos = None, -1
    for role in ("eu", "national", "own", "total"):
        for cue in cues[role]:
            pos = before_clause.rfind(cue)
            if pos > best_pos:
                best, best_pos = role, pos
    return best


def amount_record(doc: Document, start: int, end: int, value: float, currency: str, role: str | None,
                  method: str = "currency_after") -> dict:
    """One amount record with its EUR value at the fixed rate."""
    value_eur = value if currency == "EUR" else value / BGN_PER_EUR
    return {"value": round(value, 2), "currency": currency, "value_eur": round(value_eur, 2), "role": role,
            "method": method, "evidence": doc.evidence(start, end)}


def _column_currency(header: str) -> str | None:
    folded = fold(header)
    if "%" in folded or "дял" in folded or "процент" in folded:
        return "none"
    if re.search(r"(?<![а-я])(?:лв|лева|bgn)(?![а-я])", folded):
        return "BGN"
    if re.search(r"(?<![а-я])(?:евро|eur)(?![а-я])|€", folded):
        return "EUR"
    return None


def _table_amounts(doc: Document, taken: list[tuple[int, int]]) -> list[dict]:
    """Numbers in table cells whose column header (or the caption above) names the currency."""
    records = []
    for table in doc.tables:
        header = table.rows[0] if table.rows else []
        caption = _column_currency(doc.text[max(0, table.start - 120):table.start])
        cursor = table.start
        for row in table.rows[1:]:
            label = " ".join(cell for cell in row if cell and not _TABLE_NUMBER.match(cell))
            for column, cell in enumerate(row):
                match = _TABLE_NUMBER.match(cell or "")
                if not match or not re.search(r"\d{3}|,\d\d", cell):
                    continue
                currency = _column_currency(header[column]) if column < len(header) else None
                currency = currency or (caption if caption != "none" else None)
                if match["cur"]:
                    currency = _currency(match["cur"])
                found = doc.text.find(cell.strip(), cursor, max(table.end, cursor) + 1)
                if found < 0:
                    continue
                cursor = found + len(cell.strip())
                if currency in (None, "none") or any(s <= found < e for s, e in taken):
                    continue
                value = readable_number(match["num"])
                if value is None:
                    continue
                records.append(amount_record(doc, found, found + len(cell.strip()), value, currency,
                                             role_from_context(label, "") or DEFAULT_ROLE, "table"))
    return records


_MONEY_CELL = re.compile(r"(?<![\w.,/-])(?P<num>\d{1,3}(?:[ \u00a0]\d{3}){1,4}(?:,\d{2})?|\d{1,15},\d{2})(?![\d,.%]|\s?%)")
_HEADER_CURRENCY = re.compile(r"\((?:в\s+|сума\s*,?\s*)?(?P<cur>лв\.?|лева|евро|EUR|BGN|€)\)|[,:]\s*(?P<cur2>лв\.|лева|евро|EUR|BGN|€)\s*$", re.I)


def _layout_table_amounts(doc: Document, taken: list[tuple[int, int]]) -> list[dict]:
    """Budget tables laid out as text lines: a header naming the currency (``Сума (лв.)``), then
    rows of figures without it (``Европейско финансиране   212 500,00   210 300,45``)."""
    text, records = doc.text, []
    in_tables = [(t.start, t.end) for t in doc.tables]
    lines = list(re.finditer(r"[^\n]+", text))
    for index, header in enumerate(lines):
        line = header.group(0)
        currency_word = _HEADER_CURRENCY.search(line)
        if not currency_word or _MONEY_CELL.search(line) or _AFTER.search(line) or len(line) > 160 or \
                any(s <= header.start() < e for s, e in in_tables):
            continue
        currency = _currency(currency_word["cur"] or currency_word["cur2"])
        for row in lines[index + 1:index + 30]:
            cells = [m for m in _MONEY_CELL.finditer(row.group(0))
                     if not any(s <= row.start() + m.start() < e for s, e in taken)]
            if not cells or row.group(0)[cells[-1].end():].strip():
                break
            if _HEADER_CURRENCY.search(row.group(0)):
                break
            label = row.group(0)[:cells[0].start()]
            for cell in cells:
                start, end = row.start() + cell.start(), row.start() + cell.end()
                value = readable_number(cell["num"])
                if value is None:
                    continue
                records.append(amount_record(doc, start, end, value, currency,
                                             role_from_context(label, "") or DEFAULT_ROLE, "layout_table"))
    return records


def _is_exchange_rate(text: str, record: dict) -> bool:
    """The fixed rate (``1 евро = 1,95583 лв.``, ``1,95583 лв. за 1 евро``) is not an amount of money."""
    if record["value"] not in (1.0, 1.96, 1.95583) and abs(record["value"] - 1.95583) > 1e-6:
        return False
    start, end = record["evidence"]["start"], record["evidence"]["end"]
    return "1,95583" in text[max(0, start - 30):end + 30] or "1.95583" in text[max(0, start - 30):end + 30]


def deduplicate(records: list[dict]) -> list[dict]:
    """One record per (value, currency): the first mention, with the first role any mention gives."""
    kept: dict[tuple[float, str], dict] = {}
    for record in records:
        key = (record["value"], record["currency"])
        if key not in kept:
            kept[key] = record
        elif kept[key]["role"] in (None, DEFAULT_ROLE) and record["role"] not in (None, DEFAULT_ROLE):
            kept[key]["role"] = record["role"]
    return list(kept.values())


def extract_amounts(doc: Document) -> list[dict]:
    """Amount records (value, currency, EUR value, role) in text order, one per distinct amount."""
    text, found = doc.text, []
    for pattern, method in ((_AFTER, "currency_after"), (_BEFORE, "currency_before")):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e, *_ in found):
                continue
            number = readable_number(match["num"], scaled=bool(match["mult"]))
            if number is None:
                continue
            value = number * _multiplier(match["mult"])
            found.append((match.start(), match.end(), value, _currency(match["cur"]),
                          "multiplier" if match["mult"] else method))
    # A range start takes the currency of the amount right after it: with no amount, none is read.
    ordered = sorted(found)
    for match in (m for pattern in _RANGE_STARTS for m in pattern.finditer(text)) if found else ():
        index = bisect.bisect_left(ordered, (match.end(),))  # the first amount starting at or after the match end
        following = ordered[index] if index < len(ordered) else None
        if following is None or following[0] - match.end() > 6 or any(s <= match.start("num") < e for s, e, *_ in found):
            continue
        multiplier = match.groupdict().get("mult") or _multiplier_word(text[following[0]:following[1]])
        number = readable_number(match["num"], scaled=bool(multiplier))
        if number is None:
            continue
        value = number * _multiplier(multiplier)
        end = match.end()
        while text[end - 1].isspace():
            end -= 1
        found.append((match.start("num"), end, value, following[3], "range_start"))
        bisect.insort(ordered, found[-1])
    found.sort()
    records = []
    for i, (start, end, value, currency, method) in enumerate(found):
        if records and _EQUIVALENT.fullmatch(text, found[i - 1][1], start):
            # "148 600 лв. (75 977,97 евро)": the same money in the other currency, same role.
            records.append(amount_record(doc, start, end, value, currency, records[-1]["role"], method))
            continue
        next_start = found[i + 1][0] if i + 1 < len(found) else len(text)
        previous_end = found[i - 1][1] if i else 0
        before = clause_before(text, start, 160)[-(start - previous_end):] if start > previous_end else ""
        # "X лв., от които ..." is a total only when the parts that follow are funding sources.
        role = "total" if _TOTAL_FOLLOWS.match(text, end) and _FUNDING_WORDS.search(text, end, end + 200) else \
            role_from_context(before, text[end:min(end + 80, next_start)])
        records.append(amount_record(doc, start, end, value, currency, role or DEFAULT_ROLE, method))
    records += _table_amounts(doc, [(s, e) for s, e, *_ in found])
    records += _layout_table_amounts(doc, [(s, e) for s, e, *_ in found] +
                                     [(r["evidence"]["start"], r["evidence"]["end"]) for r in records])
    records.sort(key=lambda r: r["evidence"]["start"])
    return deduplicate([r for r in records if not _is_exchange_rate(text, r)])
