"""Personal numbers (ЕГН, ЛНЧ) found and redacted before anything is extracted or stored.

Redaction replaces each digit with ``█`` one for one, so every offset into the text stays valid;
the archived file itself is never changed. A number counts only when its checksum holds (and, for
an ЕГН, its date is a real one), so phone numbers, registry numbers and the like are left alone.
"""
from __future__ import annotations

import datetime as dt
import re

EGN_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6)
LNCH_WEIGHTS = (21, 19, 17, 13, 11, 9, 7, 3, 1)
MASK = "█"
_TEN_DIGITS = re.compile(r"(?<![\d/.-])\d{10}(?![\d/-]|\.\d)")


def egn_birth_date(number: str) -> dt.date | None:
    """The birth date an ЕГН encodes (months +20 for the 1800s, +40 for the 2000s), or None."""
    year, month, day = int(number[:2]), int(number[2:4]), int(number[4:6])
    if 41 <= month <= 52:
        year, month = 2000 + year, month - 40
    elif 21 <= month <= 32:
        year, month = 1800 + year, month - 20
    else:
        year += 1900
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def is_egn(number: str) -> bool:
    """A valid ЕГН: ten digits, a real birth date and the mod-11 checksum."""
    if not re.fullmatch(r"\d{10}", number) or egn_birth_date(number) is None:
        return False
    check = sum(int(d) * w for d, w in zip(number, EGN_WEIGHTS)) % 11
    return (0 if check == 10 else check) == int(number[9])


def is_lnch(number: str) -> bool:
    """A valid ЛНЧ (personal number of a foreigner): ten digits and the mod-10 checksum."""
    if not re.fullmatch(r"\d{10}", number):
        return False
    return sum(int(d) * w for d, w in zip(number, LNCH_WEIGHTS)) % 10 == int(number[9])


def find_personal_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every ЕГН or ЛНЧ in the text; kind is ``egn`` or ``lnch``.

    An ЕГН is recognised anywhere; an ЛНЧ only next to the word ЛНЧ, because its checksum alone
    accepts one ten-digit number in ten.
    """
    found = []
    for match in _TEN_DIGITS.finditer(text):
        number = match.group(0)
        before = text[max(0, match.start() - 25):match.start()].lower()
        if is_egn(number):
            found.append((match.start(), match.end(), "egn"))
        elif is_lnch(number) and re.search(r"лнч|личен\s+номер\s+на\s+чужденец", before):
            found.append((match.start(), match.end(), "lnch"))
    return found


def redact(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with every personal number masked, and where the masks are."""
    spans = find_personal_numbers(text)
    if not spans:
        return text, []
    chars = list(text)
    for start, end, _ in spans:
        chars[start:end] = MASK * (end - start)
    return "".join(chars), spans
