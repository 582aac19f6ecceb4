"""Entity resolution (index/names.py, index/resolve.py, index/pairs.py)."""
from __future__ import annotations

import random
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import sqlite_utils

from index.names import names_compatible, orgs_match, parse_org_name, parse_person_name, project_key, words_match
from index.pairs import read_pairs, score_pairs
from index.resolve import Mention, cluster_organizations, cluster_people, resolve
from index.schema import ensure_schema

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


def test_one_project_links_the_same_name_in_three_municipalities():
    code = frozenset({"BG16FFPR003-2.001-0078"})
    heads = cluster_people([mention(0, "Ангел Делчев", "Първомай", projects=code),
                            mention(1, "Ангел Делчев", "Пазарджик", projects=code),
                            mention(2, "Ангел Делчев", "Пещера", projects=code),
                            mention(3, "Ангел Делчев", "Пловдив")])
    assert heads == [0, 0, 0, 3]


def test_a_name_without_middle_name_does_not_chain_two_people_across_municipalities():
    code = frozenset({"BG06RDNP001-19.001"})
    heads = cluster_people([mention(0, "Ангел Петров Делчев", "Първомай", projects=code),
                            mention(1, "Ангел Димов Делчев", "Пазарджик", projects=code),
                            mention(2, "Ангел Делчев", "Пещера", projects=code)])
    assert len(set(heads)) == 3  # "Ангел Делчев" could be either: it joins neither


def test_a_project_does_not_join_different_middle_names_across_municipalities():
    code = frozenset({"BG16FFPR003-2.001-0078"})
    heads = cluster_people([mention(0, "Ангел Петров Делчев", "Първомай", projects=code),
                            mention(1, "Ангел Димов Делчев", "Пазарджик", projects=code)])
    assert heads == [0, 1]


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


# --- resolve() on a database agrees with the in-memory clustering ---------------------------------

PLACES = ["Първомай", "Пазарджик", "Пещера", None]
CODES = ["BG16FFPR003-2.001-0078", "BG16RFOP001-2.002-0031", "BG05M9OP001-1.001-0001"]
ORGANISATIONS = [("ОУ „Христо Ботев“", "school"), ("„Маришки строй“ ЕООД", "company"),
                 ("„МАРИШКИ СТРОЙ“ ЕООД", "company"), ("Община Първомай", "municipality"),
                 ("общ. Първомай", "municipality"), ("НЧ „Просвета – 1912“", "other"), ("НЧ „Просвета“", None)]


def random_case(seed: int) -> tuple[dict, list, list]:
    """Documents (id → municipality, year, project codes), people and organisation mentions, drawn
    from few names, places and codes so that every rule, rule 4 across municipalities included, fires."""
    rng = random.Random(seed)
    documents = {f"d{d:02}": (rng.choice(PLACES), rng.choice([2010, 2015, 2020, 2024]),
                              rng.sample(CODES, rng.choice([0, 1, 1, 2])))
                 for d in range(rng.randint(3, 12))}
    people = []
    for m in range(rng.randint(5, 40)):
        first, middle, last = rng.choice(["Иван", "Ангел", "Мария", "Стоян"]), rng.choice(["Петров", "Димов", None]), \
            rng.choice(["Делчев", "Колев"])
        form = rng.random()
        name = (f"{first[0]}. {last}" if form < 0.15 else f"{first} {last}".upper() if form < 0.2
                else last if form < 0.25 else " ".join(w for w in (first, middle, last) if w))
        people.append((f"m{m:03}", rng.choice(sorted(documents)), name))
    organisations = [(f"o{m:03}", rng.choice(sorted(documents)), *rng.choice(ORGANISATIONS))
                     for m in range(rng.randint(0, 15))]
    return documents, people, organisations


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("resolve-empty") / "empty.db"
    db = sqlite_utils.Database(path)
    ensure_schema(db)
    db.close()
    return path


def database(empty_db: Path, path: Path, documents: dict, people: list,
             organisations: list = ()) -> sqlite_utils.Database:
    shutil.copy(empty_db, path)
    db = sqlite_utils.Database(path)
    db["documents"].insert_all([{"id": d, "path": f"{d}.txt", "sha256": d, "municipality": place, "year": year,
                                 "document_date": f"{year}-05-01", "text": ""}
                                for d, (place, year, _) in documents.items()])
    db["project_mentions"].insert_all([{"id": f"{d}-{n}", "document_id": d, "code": code}
                                       for d, (_, _, codes) in documents.items() for n, code in enumerate(codes)])
    db["people"].insert_all([{"id": m, "document_id": d, "name": name} for m, d, name in people])
    db["organization_mentions"].insert_all([{"id": m, "document_id": d, "name": name, "kind": kind}
                                            for m, d, name, kind in organisations])
    return db


def in_memory(documents: dict, rows: list) -> list[Mention]:
    """The mentions as :func:`cluster_people` and :func:`cluster_organizations` take them, in id order."""
    mentions = []
    for m, d, name, *kind in sorted(rows):
        place, year, codes = documents[d]
        mentions.append(Mention(id=m, document_id=d, text=name, municipality=place, year=year, date=f"{year}-05-01",
                                projects=frozenset(project_key(c) for c in codes),
                                extra={"kind": kind[0] if kind else None}))
    return mentions


def partition(pairs) -> set[frozenset]:
    found = defaultdict(set)
    for mention, entity in pairs:
        found[entity].add(mention)
    return {frozenset(group) for group in found.values()}


def test_resolving_a_database_block_by_block_groups_as_in_memory(empty_db, tmp_path):
    crossing = 0
    for seed in range(40):
        documents, people, organisations = random_case(seed)
        db = database(empty_db, tmp_path / f"{seed}.db", documents, people, organisations)
        resolve(db)
        mentions = in_memory(documents, people)
        heads = cluster_people(mentions)
        assert partition(db.execute("select id, person_id from people").fetchall()) == \
            partition((m.id, head) for m, head in zip(mentions, heads)), seed
        orgs = in_memory(documents, organisations)
        org_heads, _, _ = cluster_organizations(orgs)
        assert partition(db.execute("select id, organization_id from organization_mentions").fetchall()) == \
            partition((m.id, head) for m, head in zip(orgs, org_heads)), seed
        # persons come in the order of their first mention, so rowids do not depend on anything else
        firsts = [r[0] for r in db.execute("select min(m.id) from persons p join people m on m.person_id = p.id "
                                           "group by p.rowid order by p.rowid")]
        assert firsts == sorted(firsts) and len(firsts) == db["persons"].count
        crossing += db.execute("select count(*) from persons where municipalities like '%,%'").fetchone()[0]
    assert crossing  # rule 4 was exercised


def test_a_project_links_one_name_in_three_municipalities_of_a_database(empty_db, tmp_path):
    documents = {"d1": ("Първомай", 2020, [CODES[0]]), "d2": ("Пазарджик", 2021, [CODES[0]]),
                 "d3": ("Пещера", 2022, [CODES[0]]), "d4": ("Пещера", 2022, [])}
    people = [("m1", "d1", "Ангел Делчев"), ("m2", "d2", "Ангел Делчев"), ("m3", "d3", "ANGEL DELCHEV"),
              ("m4", "d3", "Ангел Делчев"), ("m5", "d4", "Ангел Делчев")]
    db = database(empty_db, tmp_path / "three.db", documents, people)
    resolve(db)
    assert len({person for _, person in db.execute("select id, person_id from people")}) == 1
    rows = list(db.query("select name, municipality, municipalities, mentions, documents from persons order by rowid"))
    assert rows[0] == {"name": "Ангел Делчев", "municipality": None, "mentions": 5, "documents": 4,
                       "municipalities": '["Пазарджик", "Пещера", "Първомай"]'}
    assert len(rows) == 1


def test_resolving_twice_gives_the_same_tables_rowids_included(empty_db, tmp_path):
    documents, people, organisations = random_case(7)
    db = database(empty_db, tmp_path / "twice.db", documents, people, organisations)

    def tables():
        return {t: db.execute(f"select rowid, * from [{t}] order by rowid").fetchall()
                for t in ("persons", "organizations", "projects", "project_documents", "municipalities",
                          "people", "organization_mentions", "project_mentions")}
    resolve(db)
    first = tables()
    resolve(db)
    assert tables() == first


def test_colliding_entity_ids_get_a_suffix_in_order(empty_db, tmp_path, monkeypatch):
    import index.resolve

    documents, people, organisations = random_case(3)
    db = database(empty_db, tmp_path / "collide.db", documents, people, organisations)
    resolve(db)
    expected = partition(db.execute("select id, person_id from people").fetchall())
    monkeypatch.setattr(index.resolve, "stable_id", lambda prefix, *parts: f"{prefix}-same")
    resolve(db)
    ids = [r[0] for r in db.execute("select id from persons order by rowid")]
    assert ids == ["p-same"] + [f"p-same-{n}" for n in range(2, len(ids) + 1)]
    assert partition(db.execute("select id, person_id from people").fetchall()) == expected


def test_an_organisation_mention_without_a_name_does_not_stop_resolution(empty_db, tmp_path):
    # Another extractor (the build takes any) may record an organisation with an empty name.
    documents = {"d1": ("Първомай", 2024, [])}
    organisations = [("o1", "d1", "", "company"), ("o2", "d1", "Сдружение „Заедно“", "ngo")]
    db = database(empty_db, tmp_path / "empty-name.db", documents, [], organisations)
    resolve(db)
    assert db.execute("select count(*) from organization_mentions where organization_id is null").fetchone()[0] == 0


def test_legal_forms_come_in_the_same_order_in_every_process():
    # The forms are tried longest first; among forms of one length the order must not follow the
    # per-process hash seed, or a name could parse differently from one build to the next.
    import subprocess
    import sys

    script = "from index.names import _forms; print(_forms())"
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO,
                              env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout
               for seed in range(6)}
    assert len(outputs) == 1


def test_a_project_title_of_quotes_and_three_words_does_not_stop_resolution(empty_db, tmp_path):
    # Five words as written, three once the lone quotes are gone: too short to look for in texts.
    db = database(empty_db, tmp_path / "quoted-title.db", {"d1": ("Първомай", 2024, ["BG16RFOP001-1.001"])}, [])
    db.execute("update project_mentions set title = '„ Зелен град “ 2024'")
    resolve(db)
    assert db.execute("select count(*) from project_mentions where project_id is null").fetchone()[0] == 0
