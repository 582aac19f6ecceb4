"""metadata.yml agrees with the schema, its canned queries run, and Datasette serves the database."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import sqlite_utils
import yaml

from index.load import load_document, record_failure
from index.resolve import resolve
from index.schema import TABLES, ensure_schema, fts_table_names
from index.serve import DATABASE_NAME, metadata_path, serve_command

METADATA = yaml.safe_load(metadata_path().read_text(encoding="utf-8"))
DATABASE = METADATA["databases"][DATABASE_NAME]
QUERIES = DATABASE["queries"]

SAMPLE_PARAMS = {
    "municipality": "Кочериново",
    "date_from": "2021",
    "date_to": "2021-12",
    "min_eur": "1000",
    "kind": "budget_parts_mismatch",
    "programme": "ПРСР",
    "name": "Михайлов",
    "q": "работната група",
}


def evidence(text: str, fragment: str, page: int = 1) -> dict:
    start = text.index(fragment)
    return {"start": start, "end": start + len(fragment), "page": page, "text": fragment}


def protocol() -> dict:
    text = (
        "ПРОТОКОЛ № 2\nДнес 14.10.2021 г. се проведе втора среща на работната група в община Кочериново.\n"
        "Присъствали 12 членове от 15.\nД-р инж. Светозар Михайлов – председател на работната група.\n"
        "Дневен ред: 1. Запознаване с хода на изготвяне на ОПР.\n"
        "РЕШЕНИЕ № 1: Работната група приема предварителната оценка. Гласували: за – 12, против – 0, въздържали се – 0.\n"
    )
    return {
        "sha256": "1" * 64, "format": "txt", "title": "Протокол № 2", "text": text, "pages": [0],
        "metadata": {}, "doc_type": "protocol", "municipality": "Кочериново", "document_date": "2021-10-14",
        "extractor_version": "test",
        "dates": [{"value": "2021-10-14", "role": "meeting", "evidence": evidence(text, "14.10.2021")}],
        "people": [{"name": "Светозар Михайлов", "title": "д-р инж.", "role": "председател", "organization": None,
                    "evidence": evidence(text, "Светозар Михайлов")}],
        "attendance": {"present": 12, "absent": 3, "total": 15, "evidence": evidence(text, "Присъствали 12 членове от 15")},
        "agenda_items": [{"number": "1", "text": "Запознаване с хода на изготвяне на ОПР.",
                          "evidence": evidence(text, "Запознаване с хода на изготвяне на ОПР.")}],
        "decisions": [{"number": "1", "text": "Работната група приема предварителната оценка.", "outcome": "adopted",
                       "votes_for": 12, "votes_against": 0, "votes_abstained": 0,
                       "evidence": evidence(text, "Работната група приема предварителната оценка.")}],
        "amounts": [], "projects": [],
        "organizations": [{"name": "община Кочериново", "kind": "municipality",
                           "evidence": evidence(text, "община Кочериново")}],
    }


def project_page() -> dict:
    text = ("Проект „Ремонт на читалище“ по ПРСР. Бенефициент: Община Кочериново. Партньори: Сдружение А.\n"
            "Обща стойност: 195 583 лв. Срок: 24 месеца. Кмет: Светозар Михайлов.\n")
    return {
        "sha256": "2" * 64, "format": "html", "title": "Ремонт на читалище", "text": text, "pages": [0],
        "metadata": {"lang": "bg"}, "doc_type": "project_page", "municipality": "Кочериново",
        "document_date": "2022-03-01", "extractor_version": "test", "dates": [],
        "people": [{"name": "Светозар Михайлов", "title": None, "role": "кмет", "organization": "Община Кочериново",
                    "evidence": evidence(text, "Светозар Михайлов")}],
        "attendance": None, "agenda_items": [], "decisions": [],
        "amounts": [{"value": 195583.0, "currency": "BGN", "value_eur": 100000.0, "role": "total",
                     "evidence": evidence(text, "195 583 лв.")}],
        "projects": [{"code": None, "procedure": None, "title": "Ремонт на читалище", "programme": "ПРСР",
                      "beneficiary": "Община Кочериново", "partners": ["Сдружение А"], "start": None, "end": None,
                      "duration_months": 24, "currency": "BGN", "total": 195583.0, "eu": None, "national": None,
                      "own": None, "total_eur": 100000.0, "evidence": evidence(text, "Проект „Ремонт на читалище“")}],
        "organizations": [],
    }


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A small built database named letopis.db, as `letopis serve` serves it."""
    path = tmp_path / f"{DATABASE_NAME}.db"
    db = sqlite_utils.Database(path)
    ensure_schema(db)
    load_document(db, protocol(), "corpus/documents/000_protocol.txt", "https://kocherinovo.bg/protocol-2.pdf")
    project_id = load_document(db, project_page(), "corpus/documents/001_project.html")
    resolve(db)
    db["flags"].insert({"id": "budget_parts_mismatch:1", "kind": "budget_parts_mismatch", "document_id": project_id,
                        "municipality": None, "explanation": "The parts add up to 1 250 000, the total is 250 000.",
                        "evidence": "[]", "other_document_id": None}, pk="id")
    record_failure(db, "corpus/documents/002_scan.pdf", "3" * 64,
                   "Файлът е сканиран PDF без текстов слой.", "ReadError")
    db.close()
    return path


def datasette(db_path: Path):
    from datasette.app import Datasette

    return Datasette([str(db_path)], metadata=METADATA)


def described_tables(db: sqlite_utils.Database) -> list[str]:
    return [t for t in db.table_names() if t not in fts_table_names(db)]


def test_every_table_and_column_is_described():
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    tables = DATABASE["tables"]
    for table in described_tables(db):
        assert table in tables, f"metadata.yml does not describe table {table}"
        assert tables[table].get("description", "").strip(), f"table {table} has no description"
        columns = tables[table].get("columns") or {}
        for column in db[table].columns_dict:
            assert str(columns.get(column) or "").strip(), f"column {table}.{column} has no description"
        assert set(columns) <= set(db[table].columns_dict), f"metadata.yml describes missing columns of {table}"
    assert set(tables) == set(described_tables(db)) == set(TABLES)


def test_facets_sorts_and_labels_name_real_columns():
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    for table, meta in DATABASE["tables"].items():
        columns = set(db[table].columns_dict)
        for facet in meta.get("facets", []):
            assert facet in columns, (table, facet)
        for key in ("sort", "sort_desc", "label_column"):
            if key in meta:
                assert meta[key] in columns, (table, key)


def test_top_level_metadata():
    assert METADATA["title"] == "letopis"
    assert "Apache-2.0" in METADATA["license"]
    assert METADATA.get("description") or METADATA.get("description_html")
    assert set(QUERIES) >= {"decisions_by_municipality", "project_budgets", "person_documents", "search",
                            "protocol_search", "failures"}
    for name, query in QUERIES.items():
        assert query.get("title") and query.get("description") and query.get("sql"), name


def params_of(sql: str) -> list[str]:
    return sorted(set(re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql)))


@pytest.mark.parametrize("name", list(QUERIES))
def test_canned_query_runs_with_sample_and_empty_params(db_path, name):
    sql = QUERIES[name]["sql"]
    for param in params_of(sql):
        assert param in SAMPLE_PARAMS, f"{name}: add a sample value for :{param}"

    async def run():
        ds = datasette(db_path)
        sample = await ds.execute(DATABASE_NAME, sql, {p: SAMPLE_PARAMS[p] for p in params_of(sql)})
        empty = await ds.execute(DATABASE_NAME, sql, {p: "" for p in params_of(sql)})
        return sample.rows, empty.rows

    sample_rows, empty_rows = asyncio.run(run())
    assert sample_rows, f"{name} found nothing in the sample database"
    if name not in ("search", "protocol_search"):
        assert len(empty_rows) >= len(sample_rows), f"{name}: empty parameters should mean 'any'"


def test_canned_query_results_are_right(db_path):
    async def run(query, **params):
        ds = datasette(db_path)
        sql = QUERIES[query]["sql"]
        full = {p: params.get(p, "") for p in params_of(sql)}
        return [dict(r) for r in (await ds.execute(DATABASE_NAME, sql, full)).rows]

    decisions = asyncio.run(run("decisions_by_municipality", municipality="Кочериново", date_to="2021-10-14"))
    assert [(d["votes_for"], d["present"], d["members"]) for d in decisions] == [(12, 12, 15)]
    assert asyncio.run(run("decisions_by_municipality", date_from="2022")) == []
    assert asyncio.run(run("decisions_by_municipality", municipality="кочериново")) == []  # exact match only
    budgets = asyncio.run(run("project_budgets"))
    assert [(b["project"], b["total_eur"]) for b in budgets] == [("Ремонт на читалище", 100000.0)]
    people = asyncio.run(run("person_documents", name="Михайлов"))
    assert sorted(p["roles"] for p in people) == ["кмет", "председател"]
    assert asyncio.run(run("person_documents", name="михайлов")) == people  # any case, as the search
    assert asyncio.run(run("person_documents", name="Михайл")) == people  # the start of a word
    assert len(asyncio.run(run("search", q="читалищ"))) == 1  # prefix match: читалищ → читалище
    assert len(asyncio.run(run("search", q='"работната група"'))) == 1
    assert asyncio.run(run("search", q='ОПР 2021-2027 "unbalanced')) == []  # odd input is not an error
    assert asyncio.run(run("protocol_search", q="читалище")) == []
    assert [f["error_type"] for f in asyncio.run(run("failures"))] == ["ReadError"]


def test_datasette_serves_tables_and_canned_queries(db_path):
    async def run():
        ds = datasette(db_path)
        responses = {}
        for table in TABLES:
            responses[table] = await ds.client.get(f"/{DATABASE_NAME}/{table}.json")
        for name in QUERIES:
            responses[name] = await ds.client.get(f"/{DATABASE_NAME}/{name}.json")
        search = await ds.client.get(f"/{DATABASE_NAME}/search.json", params={"q": "работната група", "_shape": "array"})
        html = await ds.client.get(f"/{DATABASE_NAME}/decisions")
        return responses, search, html

    responses, search, html = asyncio.run(run())
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.text[:500])
    assert len(responses["documents"].json()["rows"]) == 2
    rows = search.json()
    assert search.status_code == 200 and rows and "**" in rows[0]["snippet"]
    assert html.status_code == 200 and "Decisions (решения)" in html.text


def test_serve_command_uses_the_repo_metadata_and_settings(tmp_path):
    command = serve_command(tmp_path / "letopis.db", port=8123)
    assert command[1:4] == ["-m", "datasette", "serve"]
    assert str(metadata_path()) in command and metadata_path().is_file()
    settings = {command[i + 1]: command[i + 2] for i, arg in enumerate(command) if arg == "--setting"}
    assert settings["sql_time_limit_ms"] == "3000" and settings["suggest_facets"] == "off"
    assert "8123" in command and "-i" in command
