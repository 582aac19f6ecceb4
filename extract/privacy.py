"""Personal data found and redacted before anything is extracted or stored.

Always: personal numbers (ЕГН, ЛНЧ). With the setting ``LETOPIS_REDACT_CONTACTS=1``: private
e-mail addresses and mobile numbers too, while an institution's contacts stay (the rule and its
word lists are data, ``models/patterns/institutional_contacts.json``).

Redaction replaces characters with ``█`` one for one (digits only, for numbers written with
spaces), so every offset into the text stays valid; the archived file itself is never changed.
A number counts as an ЕГН only when its checksum holds and its date is a real one, and not when
it is labelled as something else (``Фактура № …``, ``ЕИК …``, an amount in leva), so phone
numbers, registry numbers and the like are left alone.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import replace
from functools import lru_cache
from typing import Any

from extract.fields.common import opening_not_after

EGN_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6)
LNCH_WEIGHTS = (21, 19, 17, 13, 11, 9, 7, 3, 1)
MASK = "█"

REDACT_CONTACTS_ENV = "LETOPIS_REDACT_CONTACTS"
"""The environment variable that turns on redaction of private e-mail addresses and mobile numbers."""

# Ten digits not inside a longer number, a date or a code; opening with the digit rather than the
# look-behind lets ``re`` skip from digit to digit (see ``opening_not_after``).
_FIRST_DIGIT = opening_not_after(r"\d", r"\d/.-")
_TEN_DIGITS = re.compile(_FIRST_DIGIT + r"\d{9}(?![\d/-]|[.,]\d)")
# Only right after the word ЕГН: the 6 + 4 split some forms print (``ЕГН: 750101 0010``).
_SPLIT_EGN = re.compile("(" + _FIRST_DIGIT + r"\d{5})[ \u00a0](\d{4})(?![\d/-]|[.,]\d)")
_EGN_CUE = re.compile(r"егн|единен\s+граждански\s+номер|egn", re.I)
_LNCH_CUE = re.compile(r"лнч|личен\s+номер\s+на\s+чужденец", re.I)
# A number labelled as something else right before it (only spaces, ``№``, ``:`` between).
_OTHER_LABEL = re.compile(
    r"(?<!\w)(?:фактур\w*|ф-р[аи]|ф\.|еик|булстат|идентификационен\s+номер|iban|сметк\w*|с-ка|уин|урн|рег\.?\s*индекс|"
    r"вх\.?|изх\.?|входящ\w*|изходящ\w*|тел\w*\.?|факс|gsm|моб\.?\w*|телефон\w*|поръчк\w*|договор\w*|партид\w*|"
    r"кадастрал\w*|идентификатор\w*|ид\.?|код|абонат\w*|клиентски\s+номер|баркод)"
    r"[\s.:]*(?:№|n[o°º]\.?|номер)?[\s.:#]*$",
    re.I,
)
_AMOUNT_AFTER = re.compile(r"\s*(?:лв|лева|евро|eur|bgn|€|\$|usd|%|кв\.\s*м|м2|кг|бр\.)", re.I)
_CUE_WINDOW = 40

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,24}(?![\w-])")
_SEPARATOR = r"[ \u00a0\-/.()]{0,2}"
# A mobile-shaped digit group inside a bank account number is part of the account.
_ACCOUNT_BEFORE = re.compile(r"(?:iban|сметк\w*|с-ка|BG\d\d ?[A-Z]{4})[^\n]{0,30}$", re.I)
_PHONE_CUE_WINDOW = 60


# --- personal numbers ------------------------------------------------------------------------


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


def labelled_otherwise(text: str, start: int, end: int) -> bool:
    """Whether the number at ``text[start:end]`` is labelled as an invoice, registry or phone number, an
    account, or is an amount or a measure (the unit follows it)."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - _CUE_WINDOW):start]
    return bool(_OTHER_LABEL.search(before) or _AMOUNT_AFTER.match(text, end))


def _cue_before(cue: re.Pattern, text: str, start: int) -> bool:
    return bool(cue.search(text, max(0, start - _CUE_WINDOW), start))


def find_personal_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every ЕГН or ЛНЧ in the text; kind is ``egn`` or ``lnch``.

    An ЕГН is recognised anywhere unless the number is labelled as something else (the word ЕГН
    before it always wins); an ЛНЧ only next to the word ЛНЧ, because its checksum alone accepts
    one ten-digit number in ten. Next to the word ЕГН, a number split 6 + 4 by a space counts too.
    """
    found = []
    for match in _TEN_DIGITS.finditer(text):
        number, start, end = match.group(0), match.start(), match.end()
        if is_egn(number):
            if _cue_before(_EGN_CUE, text, start) or not labelled_otherwise(text, start, end):
                found.append((start, end, "egn"))
        elif is_lnch(number) and _cue_before(_LNCH_CUE, text, start):
            found.append((start, end, "lnch"))
    for match in _SPLIT_EGN.finditer(text):
        if is_egn(match.group(1) + match.group(2)) and _cue_before(_EGN_CUE, text, match.start()):
            found.append((match.start(), match.end(), "egn"))
    return sorted(found)


# --- contacts --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def contact_rules() -> dict[str, Any]:
    """The institutional-contact rule's word lists, with municipality names in Latin letters added."""
    from extract.lexicon import municipalities
    from models import data_path

    rules = json.loads(data_path("patterns", "institutional_contacts.json").read_text(encoding="utf-8"))
    places: set[str] = set()
    for row in municipalities():
        for name in (row["name"], row["centre"]):
            places |= latin_spellings(name)
    return {
        "suffixes": tuple(s.lower() for s in rules["public_domain_suffixes"]),
        "institution_words": frozenset(w.lower() for w in rules["institution_words"]),
        "roles": frozenset(w.lower() for w in rules["role_local_parts"]),
        "free_mail": frozenset(d.lower() for d in rules["free_mail_domains"]),
        "phone_cue": re.compile("|".join(re.escape(c) for c in sorted(rules["institutional_phone_cues"], key=len,
                                                                          reverse=True)), re.I),
        "mobile": re.compile(
            r"(?<![\w+])(?:(?:\+|00)359" + _SEPARATOR + r"|0)"
            + r"(?:" + "|".join(rules["private_mobile_prefixes"]) + r")"
            + r"(?:" + _SEPARATOR + r"\d){7}(?![\d])"
        ),
        "places": frozenset(places),
    }


def latin_spellings(name: str) -> set[str]:
    """How a place name is spelt in a domain: official transliteration and common variants, no spaces."""
    from extract.translit import to_latin

    lowered = name.lower()
    official = re.sub(r"[^a-z]", "", to_latin(lowered))
    variant = re.sub(r"[^a-z]", "", to_latin(lowered.replace("ъ", "у").replace("щ", "шт").replace("й", "и")))
    return {official, variant, official.replace("ts", "c").replace("zh", "j"), official.replace("iya", "ia")} - {""}


def _parts(label: str) -> list[str]:
    """Words of a domain label or local part: split at separators and digits."""
    return [p for p in re.split(r"[^a-z]+", label.lower()) if p]


def is_institutional_domain(domain: str) -> bool:
    """A public-sector or municipal domain (see ``institutional_contacts.json``)."""
    rules = contact_rules()
    domain = domain.lower().rstrip(".")
    if any(domain == s or domain.endswith("." + s) for s in rules["suffixes"]):
        return True
    labels = domain.split(".")
    if any(part in rules["institution_words"] for label in labels[:-1] for part in _parts(label)):
        return True
    if labels[-1] == "bg" and len(labels) >= 2:
        core = [p for p in _parts(labels[-2]) if p not in rules["institution_words"]]
        return "".join(core) in rules["places"]
    return False


def is_institutional_email(address: str) -> bool:
    """Whether an e-mail address is an institution's (kept) rather than a person's (masked)."""
    rules = contact_rules()
    local, _, domain = address.lower().rpartition("@")
    if is_institutional_domain(domain):
        return True
    parts = _parts(local)
    if any(p in rules["institution_words"] for p in parts):
        return True
    return domain not in rules["free_mail"] and bool(parts) and all(p in rules["roles"] for p in parts)


def find_private_emails(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ``email``) of every e-mail address that is not an institution's."""
    return [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text) if not is_institutional_email(m.group(0))]


def find_private_phones(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ``phone``) of every mobile number with no institutional cue before it on its line."""
    rules = contact_rules()
    found = []
    for match in rules["mobile"].finditer(text):
        start = match.start()
        line_start = text.rfind("\n", 0, start) + 1
        before = text[max(line_start, start - _PHONE_CUE_WINDOW):start]
        if rules["phone_cue"].search(before) is None and _ACCOUNT_BEFORE.search(before) is None:
            found.append((start, match.end(), "phone"))
    return found


# --- redaction -------------------------------------------------------------------------------


def redact_contacts_enabled(environ: dict[str, str] | None = None) -> bool:
    """Whether ``LETOPIS_REDACT_CONTACTS`` asks for private e-mail addresses and phones to be masked."""
    value = (os.environ if environ is None else environ).get(REDACT_CONTACTS_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def version_tag(contacts: bool) -> str:
    """What the privacy setting adds to the extractor version, so a build redoes documents when it changes."""
    return "+contacts" if contacts else ""


def find_redactions(text: str, contacts: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, kind) of everything to mask, in order; overlapping finds are merged into one span."""
    spans = find_personal_numbers(text)
    if contacts:
        spans = sorted(spans + find_private_emails(text) + find_private_phones(text))
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if kept and start < kept[-1][1]:  # overlapping finds (an ЕГН inside an address) mask as one
            first = kept[-1]
            kept[-1] = (first[0], max(first[1], end), "email" if "email" in (first[2], kind) else first[2])
        else:
            kept.append((start, end, kind))
    return kept


def mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with the characters of each span replaced by ``█``; spaces and number punctuation stay."""
    if not spans:
        return text
    chars = list(text)
    for start, end, kind in spans:
        for i in range(start, end):
            if kind == "email" or chars[i].isdigit():
                chars[i] = MASK
    return "".join(chars)


def redact(text: str, contacts: bool = False) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with every personal number (and, if ``contacts``, private contact) masked, and where."""
    spans = find_redactions(text, contacts)
    return mask(text, spans), spans


def redact_value(value: Any, contacts: bool = False) -> Any:
    """A reader's metadata, table cells or title with the same masking applied to every string in it."""
    if isinstance(value, str):
        return redact(value, contacts)[0]
    if isinstance(value, list):
        return [redact_value(v, contacts) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_value(v, contacts) for v in value)
    if isinstance(value, dict):
        return {k: redact_value(v, contacts) for k, v in value.items()}
    return value


def redact_document(doc, contacts: bool = False):
    """The Document with its text masked, and its title, metadata, tables and links too (a table
    cell or a PDF's metadata can carry an ЕГН as well); returns ``(document, spans in the text)``."""
    text, spans = redact(doc.text, contacts)
    tables = [replace(t, rows=redact_value(t.rows, contacts)) for t in doc.tables]
    return replace(doc, text=text, title=redact_value(doc.title, contacts),
                   metadata=redact_value(doc.metadata, contacts), tables=tables,
                   links=redact_value(doc.links, contacts)), spans
