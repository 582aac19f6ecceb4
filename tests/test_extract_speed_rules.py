"""The fast forms of the extraction rules find exactly what their plain forms find.

Each speed-up in ``extract/`` (patterns that open with a
character class instead of a look-behind, an alternation cut down by first letter, a weekday
looked up behind a date instead of tried everywhere) is checked here against the straightforward
form it replaces, on the bundled texts and on strings built to reach the edge cases.
"""
from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest

from extract.fields import decisions, municipality, projects, votes
from extract.fields.common import Span, fold, opening_not_after
from extract.fields.dates import _month_named_dates
from extract.lexicon import date_lexicon, programme_names
from extract.normalize import CYRILLIC_TO_LATIN, CharMap, fix_mixed_script_word, normalize_text, to_latin_lookalikes
from extract.readers import read_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"


def _built(pieces: list[str], count: int, seed: int, most: int = 25) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, most))) for _ in range(count)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The bundled plain-text documents, whole and cut into pieces (pieces start and end anywhere)."""
    whole = [read_document(path).text for path in sorted(CORPUS.glob("*.txt"))]
    rnd = random.Random(7)
    pieces = []
    for text in whole:
        for _ in range(4):
            start = rnd.randrange(len(text) or 1)
            pieces.append(text[start:start + rnd.choice([30, 200, 800])])
    return whole + pieces


def test_char_map_equals_translate():
    texts = _built(list("АаВСсЕеНКМОоРрТХхуAaBGщ 1-") + ["BG05М9ОР001"], 500, seed=1)
    for text in texts:
        assert to_latin_lookalikes(text) == text.translate(CYRILLIC_TO_LATIN)
    with pytest.raises(ValueError):
        CharMap({"a": "b", "b": "c"})


def test_normalize_repairs_the_same_words_as_a_pass_over_every_word():
    pieces = ["Oбщина", "BG05M9ОР001", "Община", "Sofia", "ОOО", "x", " ", "\n", "_", "1", "é", "e\u0301", "\u0483", "Ά"]
    for text in _built(pieces, 2000, seed=2):
        nfc = unicodedata.normalize("NFC", text)
        assert normalize_text(text) == re.sub(r"[^\W_]+", lambda m: fix_mixed_script_word(m.group(0)), nfc)


@pytest.mark.parametrize("first, chars", [(r"\d", r"\d.,"), (r"\d", r"\w.,/-"), ("[А-Я]", r"\w.-"), ("[„\"“”']", "а-яА-Я")])
def test_opening_not_after_equals_the_look_behind(first, chars):
    plain = re.compile(rf"(?<![{chars}]){first}\w*")
    opening = re.compile(rf"{opening_not_after(first, chars)}\w*")
    for text in _built(["1", "12", ".", ",", "/", "-", "а", "Я", "x", "Ив", "„", "'", " ", "\n"], 2000, seed=3):
        assert [m.span() for m in opening.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_headings_are_found_as_the_pattern_finds_them(texts):
    pieces = ["РЕШЕНИЕ № 12", "Решение № 5/12.03.2020 г.", "Р Е Ш Е Н И Е\n№ 7", "\n", " ", "прие следното ",
              "Решение", "текст ", "№", " 3", "\n\n", "По т. 1"]
    for text in texts + _built(pieces, 3000, seed=4):
        expected = [(m.span(), m.groupdict()) for m in decisions._HEADING.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in decisions._headings(text)] == expected


def test_municipality_mentions_equal_one_alternation_of_all_names(texts):
    _, by_name, by_centre = municipality._index()
    words = sorted(set(by_name) | set(by_centre), key=len, reverse=True)
    alternation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    everything = re.compile(rf"(?<![\w-])(?-i:(?=[А-ЯЁA-Z]))(?:{alternation})(?![\w-])", re.I)
    pieces = ["Община ", "Бяла Слатина", "БЯЛА  СЛАТИНА", "Сливен", "гр. Сливен", "-Сливен", "Своге", "Нови пазар",
              "x", " ", "\n", "Бяла", "Ёж", "Sofia"]
    for text in texts + _built(pieces, 2000, seed=5):
        expected = [(m.start(), m.end(), m.group(0)) for m in everything.finditer(text)]
        assert list(municipality._mentions.__wrapped__(text)) == expected


def test_month_named_dates_equal_one_pattern_with_an_optional_weekday(texts):
    names = sorted(date_lexicon()["months"], key=len, reverse=True)
    weekdays = "|".join(date_lexicon()["weekdays"])
    reference = re.compile(
        rf"(?:(?<!\w)(?:{weekdays}),?[ \t]+)?(?<![\d])(?P<d>[0-3]?\d)[ \t]*(?:-?(?:ти|ви|ри|ми))?[ \t\u00a0]+"
        rf"(?P<month>{'|'.join(names)})\.?\s*,?\s+(?P<y>(?:19|20)\d\d)(?!\d)(?:\s?(?:г\.|г(?![а-я])|година))?", re.I)
    pieces = ["петък", "Петък", "неделя", ",", " ", "  ", "\t", "\n", "1", "15", "31", "5-ти", "март", "ЯНУ", "дек.",
              "2024", "1999", "г.", "година", "x", "\u00a0"]
    for text in texts + _built(pieces, 5000, seed=6):
        expected = [(m.start(), m.end(), m.groupdict()) for m in reference.finditer(text)]
        assert [(start, end, m.groupdict()) for start, end, m in _month_named_dates(text)] == expected


def test_counts_split_in_digits_and_words_find_the_first_tally_word_as_before(texts):
    def plain(patterns: list[re.Pattern]) -> list[re.Pattern]:
        words = patterns[-1].pattern
        assert words.startswith(r"(?<![\d/])(?P<n>няма|нула|никой)")
        return patterns[:-2] + [re.compile(r"(?<![\d/])" + votes._N + words[len(r"(?<![\d/])(?P<n>няма|нула|никой)"):], re.I)]

    pieces = ["за", "„за“", "против", "въздържали се", "–", ":", " ", "\n", "0", "11", "123", "1234", "няма", "гласа",
              "(пет)", "/", "7/0/2", "Никой"]
    for patterns in (votes._FOR, votes._AGAINST, votes._ABSTAINED):
        for text in texts + _built(pieces, 3000, seed=8):
            found = votes._first(patterns, text, votes._COUNT_WORD.search(text) is not None)
            expected = min((m for p in plain(patterns) for m in [p.search(text)] if m), key=lambda m: m.start(), default=None)
            assert (found and (found.span(), found["n"])) == (expected and (expected.span(), expected["n"]))


def test_claimed_stretches_answer_as_a_scan_of_all_of_them():
    rnd = random.Random(9)
    for _ in range(500):
        spans = [(s, s + rnd.randint(0, 30)) for s in (rnd.randint(0, 200) for _ in range(rnd.randint(0, 12)))]
        claimed = decisions._Claimed(spans[:len(spans) // 2])
        for start, end in spans[len(spans) // 2:]:
            claimed.add(start, end)
        for start in range(0, 220, 3):
            span = Span(start, start + rnd.randint(1, 25), "")
            assert claimed.holds(span) == any(s <= span.start < e or span.start <= s < span.end for s, e in spans)
            assert claimed.overlaps(span) == any(s < span.end and span.start < e for s, e in spans)


def test_programme_names_are_found_as_one_alternation_finds_them(texts):
    rows = programme_names()
    alternation = "|".join(f"(?P<p{i}>{re.escape(fold(row['pattern']).replace(chr(34), ''))})" for i, row in enumerate(rows))
    everything = re.compile(rf"(?<![а-я])(?:{alternation})(?![а-я])")
    names = [row["pattern"] for row in rows]
    for text in texts + _built(names + [" ", "„", "“", "по ", "програма ", "-", "\n", "а"], 2000, seed=10, most=6):
        folded = fold(text).replace('"', "")
        expected = everything.search(folded)
        found = projects._first_programme(folded)
        assert (found and (found.span(), found.lastgroup)) == (expected and (expected.span(), expected.lastgroup))


def test_table_cells_are_found_where_a_whitespace_joined_pattern_finds_them():
    from extract.readers.pdf import find_words

    rnd = random.Random(7)
    pieces = ["12", "1", "2", " ", "  ", "\n", "\xa0", "а", "аб", "лв.", "12 345,60", "\t"]
    texts = _built(pieces, 400, seed=11, most=40)
    for text in texts:
        for _ in range(8):
            cell = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 5)))
            words = cell.split()
            if not words:
                continue
            start = rnd.randint(0, len(text))
            end = rnd.randint(start, len(text))
            found = re.compile(r"\s+".join(re.escape(w) for w in words)).search(text, start, end)
            assert find_words(text, words, start, end) == (found.span() if found else None), (text, words, start, end)
