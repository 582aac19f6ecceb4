"""Entity resolution (index/names.py, index/resolve.py, index/pairs.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from index.names import names_compatible, orgs_match, parse_org_name, parse_person_name, project_key, words_match
from index.pairs import read_pairs, score_pairs
from index.resolve import Mention, cluster_organizations, cluster_people

from conftest import REPO


def same(a: str, b: str) -> bool:
    return names_compatible(parse_person_name(a), parse_person_name(b))


@pytest.mark.parametrize("a, b", [
    ("Любка Джонова", "LUBKA DJONOVA"),
    ("Стоян Кирилов", "STOYAN KIRILOV"),
    ("Мария Иванова", "MARIA IVANOVA"),
    ("К. Селска", "Калина Селска"),
    ("Стоян Петров Кирилов", "Стоян Кирилов"),
    ("Галина Петрова-Каменова", "Галина Петрова Каменова"),
    ("Галина Петрова - Каменова", "Галина Стефанова Петрова-Каменова"),
    ("Иван П. Стоев", "Иван Петков Стоев"),
    ("Oлга Петрова", "Олга Петрова"),  # Latin O
])
def test_spellings_of_one_name_are_compatible(a, b):
    assert same(a, b)


@pytest.mark.parametrize("a, b", [
    ("Мария Колева", "Милена Колева"),
    ("Иван Колев", "Иван Колева"),
    ("Мария Иванова", "Мара Иванова"),
    ("Иван Димов Стоев", "Иван Петков Стоев"),
    ("К. Селска", "Мария Селска"),
])
def test_different_names_are_not_compatible(a, b):
    assert not same(a, b)


def test_cyrillic_words_must_be_equal_but_latin_ones_may_vary():
    assert words_match("dzhonova", "джонова") and words_match("djonova", "джонова")
    assert not words_match("колева", "колев")


def mention(i: int, text: str, municipality: str = "Първомай", year: int = 2024, doc: str | None = None,
            projects: frozenset = frozenset(), kind: str | None = None) -> Mention:
    return Mention(id=f"m{i}", document_id=doc or f"d{i}", text=text, municipality=municipality, year=year,
                   date=f"{year}-01-01", projects=projects, extra={"kind": kind} if kind else {})


def groups(mentions: list[Mention], heads: list[int]) -> list[set[str]]:
    found: dict[int, set[str]] = {}
    for m, head in zip(mentions, heads):
        found.setdefault(head, set()).add(m.text)
    return sorted(found.values(), key=lambda g: sorted(g))


def test_initial_joins_the_only_full_name_with_that_initial():
    mentions = [mention(0, "Калина Селска"), mention(1, "К. Селска"), mention(2, "Петър Селски")]
    heads = cluster_people(mentions)
    assert heads[0] == heads[1] != heads[2]


def test_ambiguous_initial_stays_apart():
    mentions = [mention(0, "Мария Колева"), mention(1, "Милена Колева"), mention(2, "М. Колева")]
    heads = cluster_people(mentions)
    assert len(set(heads)) == 3


def test_initial_far_away_in_time_stays_apart():
    heads = cluster_people([mention(0, "Калина Селска", year=2008), mention(1, "К. Селска", year=2024)])
    assert heads[0] != heads[1]


def test_two_word_name_ambiguous_between_father_and_son_stays_apart():
    mentions = [mention(0, "Иван Димов Стоев"), mention(1, "Иван Петков Стоев"), mention(2, "Иван Стоев")]
    heads = cluster_people(mentions)
    assert len(set(heads)) == 3


def test_two_word_name_joins_a_unique_three_word_name():
    heads = cluster_people([mention(0, "Стоян Петров Кирилов"), mention(1, "Стоян Кирилов"),
                            mention(2, "STOYAN KIRILOV")])
    assert len(set(heads)) == 1


def test_same_name_in_two_municipalities_stays_apart_unless_a_project_links_them():
    apart = cluster_people([mention(0, "Ангел Делчев", "Първомай"), mention(1, "Ангел Делчев", "Пазарджик")])
    assert apart[0] != apart[1]
    code = frozenset({"BG16FFPR003-2.001-0078"})
    linked = cluster_people([mention(0, "Ангел Делчев", "Първомай", projects=code),
                             mention(1, "Ангел Делчев", "Пазарджик", projects=code)])
    assert linked[0] == linked[1]


@pytest.mark.parametrize("a, b", [
    ("Сдружение „Зелен Първомай“", "сдружение \"Зелен Първомай\""),
    ("Сдружение ”Бъдеще”", "СДРУЖЕНИЕ „БЪДЕЩЕ“"),
    ("общ. Първомай", "Община Първомай"),
    ("НЧ „Христо Ботев – 1908“", "Народно читалище „Христо Ботев-1908“"),
    ("„Маришки строй“ ЕООД", "\"МАРИШКИ СТРОЙ\" ЕООД"),
    ("Oбщина Първомай", "Община Първомай"),
])
def test_organisation_spellings_match(a, b):
    assert orgs_match(parse_org_name(a), parse_org_name(b))


@pytest.mark.parametrize("a, b", [
    ("Сдружение „Бъдеще“", "Фондация „Бъдеще“"),
    ("НЧ „Просвета – 1901“", "НЧ „Просвета – 1912“"),
    ("Община Първомай", "Общински съвет – Първомай"),
    ("ДГ „Слънце“", "ДГ „Слънчице“"),
])
def test_different_organisations_do_not_match(a, b):
    assert not orgs_match(parse_org_name(a), parse_org_name(b))


def test_local_organisations_of_different_municipalities_stay_apart():
    mentions = [mention(0, "ОУ „Христо Ботев“", "Първомай", kind="school"),
                mention(1, "ОУ „Христо Ботев“", "Пазарджик", kind="school"),
                mention(2, "„Маришки строй“ ЕООД", "Първомай", kind="company"),
                mention(3, "„МАРИШКИ СТРОЙ“ ЕООД", "Пазарджик", kind="company")]
    heads, _, _ = cluster_organizations(mentions)
    assert heads[0] != heads[1] and heads[2] == heads[3]


def test_project_key_folds_damage_and_contract_suffix():
    assert project_key("BG16FFPR003 - 2.001 - 0078") == project_key("ВG16FFPR003-2.001-0078-С01") == \
        "BG16FFPR003-2.001-0078"


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory, extracted):
    """The bundled corpus built into a database, reusing the session's extraction results."""
    from extract import EXTRACTOR_VERSION
    from index.build import build

    db_path = tmp_path_factory.mktemp("resolve") / "letopis.db"
    build([REPO / "corpus" / "documents"], db_path, extract_file=lambda path: extracted[Path(path).name],
          extractor_version=EXTRACTOR_VERSION)
    return sqlite_utils.Database(db_path)


def test_every_mention_is_linked_to_an_entity(corpus_db):
    for table, column, key in (("people", "person_id", "name"), ("organization_mentions", "organization_id", "name"),
                               ("project_mentions", "project_id", "code")):
        assert not list(corpus_db.query(f"select id from {table} where {column} is null and {key} is not null"))
    assert corpus_db["municipalities"].count == 265


def test_seed_person_in_two_scripts_is_one_person(corpus_db):
    rows = list(corpus_db.query("select aliases from persons where aliases like '%DJONOVA%'"))
    assert len(rows) == 1 and "Любка Джонова" in rows[0]["aliases"]


def test_project_pages_press_releases_and_reports_link_to_one_project(corpus_db):
    rows = list(corpus_db.query("select count(*) n from project_documents where project_id = ?",
                                ["BG16FFPR003-2.001-0078"]))
    assert rows[0]["n"] >= 4


def test_pairwise_scores_on_the_labelled_pairs(corpus_db):
    pairs = read_pairs(REPO / "corpus" / "resolution" / "pairs.jsonl")
    assert len(pairs) >= 300 and sum(not p["same"] for p in pairs) >= 100
    score = score_pairs(corpus_db, pairs)["all"]
    assert score.precision >= 0.98 and score.recall >= 0.9


def test_resolution_is_idempotent(corpus_db):
    from index.resolve import resolve

    before = list(corpus_db.query("select id, aliases from persons order by id"))
    resolve(corpus_db)
    assert list(corpus_db.query("select id, aliases from persons order by id")) == before
