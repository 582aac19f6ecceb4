"""The shortcuts that make entity resolution fast give exactly what the plain forms give.

Each test compares a fast path of ``index/resolve.py`` or ``index/names.py`` with the plain
computation it replaces (written out here as the reference), on hostile and random inputs.
"""
from __future__ import annotations

import json
import random
import sqlite3

import pytest

from extract.normalize import fix_mixed_script_word
from index import resolve as R
from index.names import (OrgName, PersonName, _forms, _name_words, firsts_compatible, lasts_match, middles_compatible,
                         names_compatible, parse_org_name, parse_person_name)

WORDS = ["Иван", "Ангел", "Мария", "MARIA", "Maria", "К.", "К", "Петров", "Петрова", "Petrova", "П.", "Колев",
         "Колева", "Петрова-Каменова", "Каменова", "Djonova", "Джонова", "Oлга", "Олга", "ЕООД", "Oбщина", "на"]


def random_names(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    separators = [" ", " ", " ", " - ", "-", "  ", ". "]
    return ["".join(rng.choice(WORDS) + rng.choice(separators) for _ in range(rng.randint(1, 4))).strip()
            for _ in range(n)]


# --- JSON ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    [], [""], ["Иван Петров"], ["a", "б", "c"], ['"quoted"', "back\\slash", "tab\there", "new\nline"],
    ["\x00\x1f control", "\u2028\u2029 separators", "emoji \U0001F600", "surrogate-free ünïcödé"],
    [1, "x"], [1.5, 2], [None], [True], ["a", ["nested"]], {"b": 1, "a": "x"}, "plain string", 3,
])
def test_json_is_what_json_dumps_writes(value):
    assert R._json(value) == json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- persons -----------------------------------------------------------------------------------------

def best_person_name_reference(counts, is_full) -> str:
    def score(text: str) -> tuple:
        cyrillic = any("\u0400" <= c <= "\u04ff" for c in text)
        return (cyrillic, is_full(text), len(text.split()), counts[text])
    best = max(sorted(counts), key=score)
    return best.title() if best.isupper() else best


def test_best_person_name_is_the_plain_maximum():
    rng = random.Random(5)
    texts = ["Иван Петров", "IVAN PETROV", "ИВАН ПЕТРОВ", "И. Петров", "Ivan Петров", "Иван Петров Колев", "ӿ x",
             "Ѐ y", "Џ z"]
    for _ in range(500):
        counts = {t: rng.randint(1, 3) for t in rng.sample(texts, rng.randint(1, 4))}
        full = {t: rng.random() < 0.5 for t in counts}
        assert R._best_person_name(counts, full.__getitem__) == best_person_name_reference(counts, full.__getitem__)


# --- names -------------------------------------------------------------------------------------------

def name_words_reference(name: str) -> list[str]:
    import re
    name = re.sub(r"\s*[‐‑–—-]\s*", "-", name)
    return [fix_mixed_script_word(w) for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*\.?", name)]


def test_name_words_repair_mixed_scripts_as_before():
    for name in random_names(1, 3000) + ["Oлга Петрова", "OЛГA", "Иван Petrov", "BG05M9ОР001", "ÉМИЛ"]:
        assert _name_words(name) == name_words_reference(name), name


def names_compatible_reference(a: PersonName, b: PersonName, *, middle: bool = True) -> bool:
    return any(lasts_match(x, y) and firsts_compatible(x, y) and (not middle or middles_compatible(x, y))
               for x in a.readings() for y in b.readings())


def test_names_compatible_is_the_plain_comparison_of_all_readings():
    blocks: dict[str, list[PersonName]] = {}  # compared as resolution compares them: within a surname block
    for name in filter(None, map(parse_person_name, random_names(2, 3000))):
        blocks.setdefault(name.surname_key, []).append(name)
    rng = random.Random(3)
    compatible = 0
    for _ in range(20000):
        block = rng.choice(list(blocks.values()))
        a, b = rng.choice(block), rng.choice(block)
        for middle in (True, False):
            expected = names_compatible_reference(a, b, middle=middle)
            assert names_compatible(a, b, middle=middle) == expected, (a, b, middle)
            compatible += expected
    assert compatible > 1000  # the pairs are not all trivially different


def parse_org_name_reference(name: str) -> OrgName:
    import re

    from extract.fields.common import fold
    from index.names import _MUNICIPAL_ABBREVIATIONS, _QUOTES, _strip_trailing_function_words
    text = fold(" ".join(fix_mixed_script_word(w) for w in name.split()))
    for pattern, repl in _MUNICIPAL_ABBREVIATIONS:
        text = re.sub(pattern, repl, text)
    text = re.sub(rf"[{re.escape(_QUOTES)}]", " ", text)
    text = re.sub(r"\s*[-–]\s*(?:гр\.|с\.)?\s*", " ", text)
    text = re.sub(r"[.,;:()]", " ", text)
    form = ""
    for written, canonical in _forms():
        if text.startswith(written + " ") or text == written:
            form, text = canonical, text[len(written):]
            break
        if text.endswith(" " + written):
            form, text = canonical, text[: -len(written)]
            break
    return OrgName(form=form, core=" ".join(_strip_trailing_function_words(text.split())))


def test_organisation_names_find_the_first_legal_form_as_before():
    rng = random.Random(4)
    forms = [written for written, _ in _forms()]
    pieces = forms + ["„Просвета“", "общ.", "Пещера", "гр.", "-", " – ", "ОУ", '"X"', "ООД", "Oбщина", "EOOД", "на",
                      "за", "", "  ", "(1912)", "с.", "Смолян", "Христо Ботев", "НЧ", "читалище"]
    names = ["", " ", "ЕООД", "„Маришки строй“ ЕООД", "общ. Първомай", "Общински съвет – Пещера", "ЕТ ЕТ"]
    for _ in range(5000):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 5))]
        names.append((" " if rng.random() < 0.8 else "").join(parts))
    for name in names:
        assert parse_org_name(name) == parse_org_name_reference(name), name


# --- project titles ------------------------------------------------------------------------------------

def title_links_reference(titles: dict[str, str], texts: list[str]) -> list[tuple[int, str]]:
    """The former search: every document's word trigrams looked up among the titles' 2nd to 4th words."""
    by_inner: dict[tuple, list[str]] = {}
    for key, title in titles.items():
        words = title.split(" ")
        by_inner.setdefault((words[1], words[2], words[3]), []).append(key)
    order = {key: n for n, key in enumerate(titles)}
    found = []
    for doc, raw in enumerate(texts):
        text = R._normalized_title(raw)
        words = text.split(" ")
        candidates = {key for inner in zip(words, words[1:], words[2:]) for key in by_inner.get(inner, ())}
        found += [(doc, key) for key in sorted(candidates, key=order.__getitem__) if titles[key] in text]
    return found


def title_links(titles: dict[str, str], texts: list[str]) -> list[tuple[int, str]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table documents (id, text)")
    conn.execute("create table project_documents (project_id, document_id, link)")
    conn.executemany("insert into documents values (?, ?)", [(doc, text) for doc, text in enumerate(texts)])
    R._link_projects_by_title(conn, titles, "insert into project_documents values (?, ?, ?)")
    return [(doc, key) for key, doc, _ in conn.execute("select * from project_documents order by rowid")]


def test_documents_link_to_the_titles_they_contain_as_before():
    rng = random.Random(6)
    vocabulary = ["ремонт", "на", "улица", "улицата", "в", "община", "село", "моста", "и", "рехабилитация", "пътя",
                  "центъра", "за", "деца", "„", "“", '"', "-", "–", "Ремонт", "НА"]
    raw_titles = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 9))) for _ in range(60)]
    raw_titles += ['Проект " ремонт на улицата', "Ремонт на улица в село Бяла", "Ремонт на улица в село Бяла"]
    titles = {f"K{n:02}": R._normalized_title(t) for n, t in enumerate(raw_titles)
              if len(t.split()) >= 5 and len(R._normalized_title(t).split()) >= 4}
    texts = []
    for _ in range(400):
        words = [rng.choice(vocabulary + ["xx", "ремонтът", "улицатаxyz"]) for _ in range(rng.randint(0, 40))]
        for _ in range(rng.randint(0, 2)):  # a title, whole or with its first and last words cut from longer ones
            title = rng.choice(raw_titles).split()
            if rng.random() < 0.3:
                title = ["пре" + title[0]] + title[1:-1] + [title[-1] + "та"]
            at = rng.randint(0, len(words))
            words[at:at] = title
        texts.append(" ".join(words))
    texts += ["", "проект ремонт на улицатаxyz", "проект ремонт на улицатаxyz и ремонт на улицата ."]
    expected = title_links_reference(titles, texts)
    assert len(expected) > 50
    assert title_links(titles, texts) == expected
