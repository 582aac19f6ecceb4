"""Comparable forms of person names, organisation names and project codes (pure functions).

These are the keys entity resolution (:mod:`index.resolve`) blocks and compares on. A person's
name becomes a :class:`PersonName` (first, middle, last; initials kept as initials; Latin
script kept as such and compared through Bulgarian transliteration); an organisation's name
becomes an :class:`OrgName` (legal form + the name's core words); a project code its base
code without contract suffix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from extract.fields.common import fold
from extract.fields.projects import base_code, canonical_code
from extract.lexicon import legal_forms, municipalities
from extract.normalize import fix_mixed_script_word
from extract.translit import to_latin

_SKELETON_STEPS = (("dzh", "j"), ("dj", "j"), ("zh", "j"), ("sht", "st"), ("tch", "c"), ("ch", "c"),
                   ("tz", "c"), ("ts", "c"), ("sh", "s"), ("kh", "h"), ("yu", "u"), ("iu", "u"), ("ju", "u"),
                   ("ya", "ia"), ("ja", "ia"), ("y", "i"), ("w", "v"), ("x", "ks"), ("q", "k"))


@lru_cache(maxsize=1 << 16)
def is_latin_word(word: str) -> bool:
    """True when every letter of ``word`` is ASCII Latin (``DJONOVA``), False for Cyrillic."""
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and all(c.isascii() for c in letters)


@lru_cache(maxsize=1 << 16)
def latin_form(word: str) -> str:
    """A word in lower-case Latin: Cyrillic through the official transliteration, Latin as is."""
    word = word.lower()
    return word if is_latin_word(word) else to_latin(word).lower()


@lru_cache(maxsize=1 << 16)
def skeleton(word: str) -> str:
    """A loose Latin key that spelling variants share (``Джонова``, ``DJONOVA``, ``Dzhonova`` → ``jonova``;
    ``Любка``, ``LUBKA`` → ``lubka``), while ``Мария`` (``maria``) and ``Мара`` (``mara``) stay apart."""
    key = latin_form(word)
    for old, new in _SKELETON_STEPS:
        key = key.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[^a-z]", "", key))


def words_match(a: str, b: str) -> bool:
    """Whether two name words are the same word, allowing only transliteration variance.

    Two Cyrillic words must be equal (``Колева`` is not ``Колев``); a Latin word matches a word
    with the same skeleton, which absorbs the usual transliteration variants (DJ/DZH, LU/LYU, IA/YA).
    """
    if a == b:
        return True
    if not (is_latin_word(a) or is_latin_word(b)):
        return False
    return skeleton(a) == skeleton(b)


def initial_matches(initial: str, word: str) -> bool:
    """``К`` (or Latin ``K``) is the initial of ``Калина``/``KALINA``; ``Ж``/``ZH`` of ``Живко``."""
    return bool(initial) and latin_form(word).startswith(latin_form(initial))


@dataclass(frozen=True)
class PersonName:
    """A person's name split for comparison. Words are lower case, Cyrillic look-alikes repaired;
    ``first`` is a bare letter when the name gives only an initial (``К. Селска``)."""

    first: str
    middle: str | None
    last: str
    first_is_initial: bool
    middle_is_initial: bool

    @property
    def surname_key(self) -> str:
        """The blocking key: the skeleton of the surname's last part (``Петрова-Каменова`` → ``kamenova``)."""
        return skeleton(self.last.rsplit("-", 1)[-1])

    @property
    def is_full(self) -> bool:
        return not self.first_is_initial

    def readings(self) -> list["PersonName"]:
        """This name, and for ``Галина Петрова Каменова`` also the double-surname reading
        ``Галина Петрова-Каменова`` (a space often replaces the hyphen)."""
        found = [self]
        if self.has_double_surname_reading:
            found.append(PersonName(self.first, None, f"{self.middle}-{self.last}", self.first_is_initial, False))
        return found

    @property
    def has_double_surname_reading(self) -> bool:
        """Whether :meth:`readings` gives a second reading (a full middle name and a single surname)."""
        return bool(self.middle) and not self.middle_is_initial and "-" not in self.last


_DASH = re.compile(r"\s*[‐‑–—-]\s*")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*\.?")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04FF]")


def _name_words(name: str) -> list[str]:
    name = _DASH.sub("-", name)
    words = _NAME_WORD.findall(name)
    return [fix_mixed_script_word(w) for w in words] if _may_mix_scripts(name) else words


def _may_mix_scripts(text: str) -> bool:
    """Whether ``fix_mixed_script_word`` may change a word of ``text`` (it changes only words that
    hold both a Latin and a Cyrillic letter); most texts hold one script only."""
    return bool(_LATIN_LETTER.search(text) and _CYRILLIC_LETTER.search(text))


def parse_person_name(name: str) -> PersonName | None:
    """Split a name as extracted (titles already removed) into first/middle/last; ``None`` when it
    has fewer than two words, since a surname alone cannot be resolved. A hyphenated double
    surname stays one word."""
    words = _name_words(name)
    if len(words) < 2:
        return None
    cleaned = [w.rstrip(".").lower() for w in words]
    is_initial = [len(c) <= 2 and (w.endswith(".") or len(c) == 1) and c.isalpha() for w, c in zip(words, cleaned)]
    if is_initial[-1]:
        return None
    first, last = cleaned[0], cleaned[-1]
    middle = cleaned[1] if len(cleaned) >= 3 else None
    return PersonName(first=first, middle=middle, last=last, first_is_initial=is_initial[0],
                      middle_is_initial=len(cleaned) >= 3 and is_initial[1])


def _word_or_initial_match(a: str, a_initial: bool, b: str, b_initial: bool) -> bool:
    if a_initial and b_initial:
        return latin_form(a)[:1] == latin_form(b)[:1]
    if a_initial:
        return initial_matches(a, b)
    if b_initial:
        return initial_matches(b, a)
    return words_match(a, b)


def middles_compatible(a: PersonName, b: PersonName) -> bool:
    """Middle names agree, or at least one name has none (a middle name is optional)."""
    if a.middle is None or b.middle is None:
        return True
    return _word_or_initial_match(a.middle, a.middle_is_initial, b.middle, b.middle_is_initial)


def firsts_compatible(a: PersonName, b: PersonName) -> bool:
    """First names agree, with an initial matching any name it abbreviates."""
    return _word_or_initial_match(a.first, a.first_is_initial, b.first, b.first_is_initial)


def lasts_match(a: PersonName, b: PersonName) -> bool:
    """Surnames agree word for word (a double surname's parts each)."""
    if a.last == b.last:
        return True
    parts_a, parts_b = a.last.split("-"), b.last.split("-")
    return len(parts_a) == len(parts_b) and all(words_match(x, y) for x, y in zip(parts_a, parts_b))


def names_compatible(a: PersonName, b: PersonName, *, middle: bool = True) -> bool:
    """Whether two names can be the same person's on their own (context decides the rest):
    surnames agree, first names agree (an initial agrees with the names it abbreviates), and
    middle names agree where both have one; a double surname written with a space counts."""
    if _readings_compatible(a, b, middle):  # the first pair of readings: most answers need no other
        return True
    if not (a.has_double_surname_reading or b.has_double_surname_reading):
        return False
    return any(_readings_compatible(x, y, middle) for x in a.readings() for y in b.readings())


def _readings_compatible(a: PersonName, b: PersonName, middle: bool) -> bool:
    # equal words agree whatever they are: most pairs are decided without the general comparisons
    return ((a.last == b.last or lasts_match(a, b))
            and (a.first == b.first and a.first_is_initial == b.first_is_initial or firsts_compatible(a, b))
            and (not middle or a.middle is None or b.middle is None or middles_compatible(a, b)))


# ---------------------------------------------------------------------------------------------
# Organisations

_QUOTES = "„“”\"«»'‘’`"
_MUNICIPAL_ABBREVIATIONS = ((r"\bобщ\.\s*", "община "), (r"\bобщината\b", "община"),
                            (r"\bобщинския(?:т)? съвет\b", "общински съвет"), (r"\bобс\b", "общински съвет"))
TRAILING_FUNCTION_WORDS = frozenset({"на", "за", "по", "от", "в", "във", "с", "със", "и", "към", "беше", "е", "са",
                                      "се", "ще", "да"})
LOCAL_KINDS = frozenset({"school", "other", "council", "municipality", "association"})
"""Kinds whose names repeat across the country (every town has an ОУ „Христо Ботев“ and an
НЧ „Просвета“): they are resolved within one municipality only."""


@dataclass(frozen=True)
class OrgName:
    """An organisation's name reduced for comparison: canonical legal form and core words."""

    form: str
    core: str

    @property
    def block(self) -> str:
        return f"{self.form}|{self.core[:3]}"


@lru_cache(maxsize=None)
def _forms() -> tuple[tuple[str, str], ...]:
    """(written form, canonical form) pairs, longest first: ``НЧ``, ``читалище`` and ``Народно
    читалище`` share one canonical form (the ``canonical`` column of ``legal_forms.tsv``)."""
    pairs = {(fold(row["form"]), fold(row.get("canonical") or row["form"])) for row in legal_forms()}
    # Ties in length are broken by the forms themselves: set order changes with every process.
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p)))


def _strip_trailing_function_words(words: list[str]) -> list[str]:
    while words and words[-1] in TRAILING_FUNCTION_WORDS:
        words = words[:-1]
    return words


@lru_cache(maxsize=None)
def _form_positions() -> dict[str, tuple[int, str]]:
    """Each written form's position in :func:`_forms` (the first, if it is there twice) and canonical form."""
    found: dict[str, tuple[int, str]] = {}
    for position, (written, canonical) in enumerate(_forms()):
        found.setdefault(written, (position, canonical))
    return found


def _legal_form(text: str) -> tuple[str, str]:
    """The canonical form of the first of :func:`_forms` that ``text`` starts with (followed by a
    space, or alone) or else ends with (after a space), and ``text`` without it; ``""`` and
    ``text`` when there is none.

    Instead of trying every form on the text, every start and end of the text that ends (starts)
    at a space is looked up among the forms, and the match with the first form wins.
    """
    positions = _form_positions()
    matches = []  # (position of the form, 0 for a start or 1 for an end, canonical form, rest of the text)
    if text in positions:
        position, canonical = positions[text]
        matches.append((position, 0, canonical, ""))
    space = text.find(" ")
    while space >= 0:
        start, end = text[:space], text[space + 1:]
        if start in positions:
            position, canonical = positions[start]
            matches.append((position, 0, canonical, text[space:]))
        if end in positions:
            position, canonical = positions[end]
            matches.append((position, 1, canonical, text[:space + 1]))
        space = text.find(" ", space + 1)
    if not matches:
        return "", text
    _, _, canonical, rest = min(matches)
    return canonical, rest


_MUNICIPAL_ABBREVIATION_PATTERNS = tuple((re.compile(pattern), repl) for pattern, repl in _MUNICIPAL_ABBREVIATIONS)
_QUOTE_CHARACTER = re.compile(rf"[{re.escape(_QUOTES)}]")
_DASH_AND_PLACE_PREFIX = re.compile(r"\s*[-–]\s*(?:гр\.|с\.)?\s*")
_PUNCTUATION = re.compile(r"[.,;:()]")


def parse_org_name(name: str) -> OrgName:
    """``Сдружение “Заедно за успех“`` and ``сдружение "Заедно за успех"`` give one OrgName; so do
    ``общ. Пещера`` and ``Община Пещера``. The legal form is found at the start or the end."""
    words = name.split()
    text = fold(" ".join([fix_mixed_script_word(w) for w in words] if _may_mix_scripts(name) else words))
    for pattern, repl in _MUNICIPAL_ABBREVIATION_PATTERNS:
        text = pattern.sub(repl, text)
    text = _QUOTE_CHARACTER.sub(" ", text)
    text = _DASH_AND_PLACE_PREFIX.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    form, text = _legal_form(text)
    words = _strip_trailing_function_words(text.split())
    return OrgName(form=form, core=" ".join(words))


def orgs_match(a: OrgName, b: OrgName) -> bool:
    """Same legal form and the same core, allowing a small typo or a founding year on one side
    only (``НЧ „Просвета“`` and ``НЧ „Просвета – 1912“``)."""
    if a.form != b.form or not a.core or not b.core:
        return False
    if a.core == b.core:
        return True
    words_a = [w for w in a.core.split() if not w.isdigit()]
    words_b = [w for w in b.core.split() if not w.isdigit()]
    years_a = {w for w in a.core.split() if w.isdigit()}
    years_b = {w for w in b.core.split() if w.isdigit()}
    if years_a and years_b and years_a != years_b:
        return False
    if words_a == words_b:
        return True
    return len(a.core) >= 8 and fuzz.ratio(" ".join(words_a), " ".join(words_b)) >= 94


@lru_cache(maxsize=None)
def _municipality_by_folded_name() -> dict[str, str]:
    found = {}
    for row in municipalities():
        for alias in [row["name"], *(row.get("aliases") or "").split("|")]:
            if alias.strip():
                found[fold(alias)] = row["name"]
    return found


def municipality_named(org: OrgName) -> str | None:
    """The municipality an ``Община X`` / ``Общински съвет – X`` name stands for, if any."""
    if org.form not in ("община", "общински съвет", "общинска администрация", "столична община"):
        return None
    core = re.sub(r"^(?:гр|град)\s+", "", org.core)
    return _municipality_by_folded_name().get(core)


# ---------------------------------------------------------------------------------------------
# Projects

def project_key(code: str) -> str:
    """The identity of a project: its canonical base code (no contract ``-C01``, look-alikes fixed)."""
    return base_code(canonical_code(code))
