"""The web side without a browser: Bulgarian search, highlights, document and entity pages, feeds."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlite_utils
import yaml

from index.lemmas import (WORD, fts_query, highlight, lemma_text, matches, names_query, parse_query, reindex,
                          snippet)
from index.load import load_document
from index.resolve import resolve
from index.schema import LEMMA_COLUMN, TABLES, ensure_schema, lemma_fts_name
from index.serve import DATABASE_NAME, metadata_path
from index.web.highlight import Span, marked_html, money, snippet_html
from index.web.pages import describe, page_breaks

METADATA = yaml.safe_load(metadata_path().read_text(encoding="utf-8"))
ATOM = "{http://www.w3.org/2005/Atom}"


# --- lemmas and queries ------------------------------------------------------------------------


def test_inflected_forms_share_a_lemma():
    assert lemma_text("решение решението решения Решенията") == "решение решение решение решение"
    assert lemma_text("протокол протоколите") == "протокол протокол"
    assert lemma_text("") == ""


def test_lemma_text_keeps_one_lemma_per_word():
    text = "Общинският съвет – Кочериново прие 12/0/2 по т.1, BG16RFOP001-2.002 и по-добре."
    assert len(lemma_text(text).split(" ")) == len(WORD.findall(text))


def test_simplemma_needs_no_network():
    code = ("import socket\n"
            "def refuse(*args, **kwargs): raise OSError('no network in this test')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
            "from index.lemmas import lemma_text\nprint(lemma_text('протоколите'))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "протокол"


def test_query_terms_phrases_and_unknown_words():
    terms = parse_query('решения "работната група" читалищ')
    assert [t.lemmas for t in terms] == [("решение",), ("работен", "група"), (lemma_text("читалищ"),)]
    assert terms[2].prefixes  # an unknown word also matches as a prefix
    assert fts_query("решения") == '"решение"'
    assert fts_query('"работната група"') == '"работен група"'
    assert fts_query("") == fts_query('"') == '""'
    assert names_query("Михайлов") == '("Михайлов" OR "Михайлов"*)'


def test_matches_and_snippets_show_the_original_words():
    text = "Общинският съвет прие решението за отпадъците. Решенията бяха обнародвани."
    lemmas = lemma_text(text)
    assert matches(lemmas, "решения отпадък") and not matches(lemmas, "решение дълг")
    assert snippet(text, lemmas, "решение", width=5) == "… прие **решението** за отпадъците. **Решенията** …"
    assert "**Решенията**" in snippet(text, lemmas, "решения", width=40)
    assert snippet(text, None, "решение отпадъци").count("**") == 6
    assert highlight("Ремонт на читалището", "читалище") == "Ремонт на **читалището**"


# --- HTML building ----------------------------------------------------------------------------


def test_overlapping_highlights_nest_and_text_is_escaped():
    text = "Решение № 5: сума 100 лв. <script>alert(1)</script>"
    html = str(marked_html(text, [Span(0, 12, "decision", "d:1", "decision № 5"),
                                  Span(5, 22, "amount", "a:1", 'amount "100"'),
                                  Span(13, 25, "person", "p:1", "person")], {13: '<span class="page-start"></span>'}))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    depth = 0
    for token in html.replace("<mark", "\0<mark").replace("</mark>", "\0</mark>").split("\0"):
        depth += 1 if token.startswith("<mark") else -1 if token.startswith("</mark>") else 0
        assert depth >= 0
    assert depth == 0 and html.count('id="a:1"') == 1 and 'class="amount continued"' in html
    assert 'title="amount &quot;100&quot;"' in html


def test_descriptions_and_snippet_html():
    assert describe("amount", {"value": 65410.72, "currency": "BGN", "value_eur": 33443.55, "role": "total"}) == \
        "amount: 65\u00a0410,72 BGN = 33\u00a0443,55 EUR, role total"
    assert "12 for / 0 against / 3 abstained" in describe(
        "decision", {"number": "5", "outcome": "adopted", "votes_for": 12, "votes_against": 0, "votes_abstained": 3})
    assert str(snippet_html("a **<b>** c")) == "a <mark>&lt;b&gt;</mark> c"
    assert money(1234.5) == "1\u00a0234,50"
    assert page_breaks("[0, 10, 25]") == {10: 2, 25: 3}


# --- a served sample database -------------------------------------------------------------------


def evidence(text: str, fragment: str) -> dict:
    start = text.index(fragment)
    return {"start": start, "end": start + len(fragment), "page": 1, "text": fragment}


def protocol() -> dict:
    text = ("ПРОТОКОЛ № 7\nДнес, 14.03.2023 г., Общинският съвет – Кочериново проведе заседание.\n"
            "Публикувано: <script>alert('x')</script>\n"
            "РЕШЕНИЕ № 12: Приема наредбата за управление на отпадъците. Гласували: за – 9, против – 3.\n"
            "Сумата е 65 410,72 лв. Кметът Светозар Михайлов докладва.\n")
    return {
        "sha256": "a" * 64, "format": "txt", "title": "Протокол № 7", "text": text, "pages": [0],
        "metadata": {}, "doc_type": "protocol", "municipality": "Кочериново", "document_date": "2023-03-14",
        "extractor_version": "test",
        "dates": [{"value": "2023-03-14", "role": "meeting", "evidence": evidence(text, "14.03.2023 г.")}],
        "people": [{"name": "Светозар Михайлов", "title": None, "role": "кмет", "organization": None,
                    "evidence": evidence(text, "Светозар Михайлов")}],
        "attendance": None, "agenda_items": [],
        "decisions": [{"number": "12", "text": "Приема наредбата за управление на отпадъците.", "outcome": "adopted",
                       "votes_for": 9, "votes_against": 3, "votes_abstained": 0,
                       "evidence": evidence(text, "РЕШЕНИЕ № 12: Приема наредбата за управление на отпадъците. "
                                                  "Гласували: за – 9, против – 3.")}],
        "amounts": [{"value": 65410.72, "currency": "BGN", "value_eur": 33443.55, "role": "other",
                     "evidence": evidence(text, "65 410,72 лв.")}],
        "projects": [],
        "organizations": [{"name": "Общинският съвет – Кочериново", "kind": "council",
                           "evidence": evidence(text, "Общинският съвет – Кочериново")}],
    }


def project_page() -> dict:
    text = ("Проект BG16RFOP001-2.002-0031 „Ремонт на читалището в Кочериново“ по ОП „Региони в растеж“.\n"
            "Обща стойност: 195 583 лв. Протоколите от заседанията са публикувани.\n")
    return {
        "sha256": "b" * 64, "format": "html", "title": "Ремонт на читалището", "text": text, "pages": [0, 90],
        "metadata": {}, "doc_type": "project_page", "municipality": "Кочериново", "document_date": "2023-05-01",
        "extractor_version": "test", "dates": [], "people": [], "attendance": None, "agenda_items": [],
        "decisions": [],
        "amounts": [{"value": 195583.0, "currency": "BGN", "value_eur": 100000.0, "role": "total",
                     "evidence": evidence(text, "195 583 лв.")}],
        "projects": [{"code": "BG16RFOP001-2.002-0031", "procedure": None, "title": "Ремонт на читалището в Кочериново",
                      "programme": "ОП „Региони в растеж“", "beneficiary": "Община Кочериново", "partners": [],
                      "start": None, "end": None, "duration_months": None, "currency": "BGN", "total": 195583.0,
                      "eu": None, "national": None, "own": None, "total_eur": 100000.0,
                      "evidence": evidence(text, "Проект BG16RFOP001-2.002-0031")}],
        "organizations": [],
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """A resolved database of the two documents above, and the archived file of the first."""
    folder = tmp_path_factory.mktemp("web")
    path = folder / f"{DATABASE_NAME}.db"
    db = sqlite_utils.Database(path)
    ensure_schema(db)
    (folder / "docs").mkdir()
    (folder / "docs" / "protocol.txt").write_text(protocol()["text"], encoding="utf-8")
    load_document(db, protocol(), "docs/protocol.txt", "https://kocherinovo.bg/protocol-7")
    load_document(db, project_page(), "docs/project.html", "javascript:alert(1)")
    resolve(db)
    db.close()
    return path


def datasette(db_path: Path):
    from datasette.app import Datasette

    metadata = {**METADATA, "plugins": {**METADATA["plugins"], "letopis": {"archive_root": str(db_path.parent)}}}
    return Datasette([str(db_path)], metadata=metadata,
                     settings={"sql_time_limit_ms": 3000, "max_returned_rows": 1000, "suggest_facets": False})


def get(db_path: Path, *paths: str, **params):
    async def run():
        ds = datasette(db_path)
        return [await ds.client.get(path, params=params or None) for path in paths]

    return asyncio.run(run())


def test_search_finds_inflected_forms_across_kinds(sample):
    (response,) = get(sample, f"/{DATABASE_NAME}/search.json", q="наредби отпадък", _shape="array")
    rows = response.json()
    assert [r["kind"] for r in rows] == ["decision"]
    assert rows[0]["votes_against"] == 3 and "**отпадъците**" in rows[0]["snippet"]
    assert rows[0]["link"].endswith("#" + "a" * 16 + ":decisions:1")
    (response,) = get(sample, f"/{DATABASE_NAME}/search.json", q="протокол", _shape="array")
    kinds = {r["kind"]: r for r in response.json()}
    assert "**Протоколите**" in kinds["document"]["snippet"]  # протокол finds протоколите
    (response,) = get(sample, f"/{DATABASE_NAME}/search.json", q="читалище BG16RFOP001", _shape="array")
    assert [r["kind"] for r in response.json()][0] == "project"
    assert response.json()[0]["link"] == f"/{DATABASE_NAME}/projects/BG16RFOP001-2~2E002-0031"
    (response,) = get(sample, f"/{DATABASE_NAME}/search.json", q="Михайлов", _shape="array")
    assert response.json()[0]["kind"] == "person"


def test_search_page_marks_hits_and_escapes(sample):
    (page,) = get(sample, f"/{DATABASE_NAME}/search", q="отпадъци")
    assert page.status_code == 200
    assert "<mark>отпадъците</mark>" in page.text and "<script>alert" not in page.text


def test_document_page_highlights_records_and_escapes_html(sample):
    doc_id = "a" * 16
    (page,) = get(sample, f"/{DATABASE_NAME}/documents/{doc_id}")
    html = page.text
    assert page.status_code == 200
    assert "<script>alert('x')</script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert f'<mark class="amount" id="{doc_id}:amounts:1" title="amount: 65\u00a0410,72 BGN = 33\u00a0443,55 EUR' in html
    assert f'id="{doc_id}:decisions:1"' in html and 'class="person"' in html and 'class="date"' in html
    assert 'href="https://kocherinovo.bg/protocol-7"' in html
    assert f"/{DATABASE_NAME}/documents/{doc_id}/file" in html
    (other,) = get(sample, f"/{DATABASE_NAME}/documents/{'b' * 16}")
    assert "javascript:alert" not in other.text  # a source URL is linked only if it is http(s)
    assert 'class="page-start" id="page-2"' in other.text


def test_archived_file_is_served_safely(sample):
    doc_id = "a" * 16
    file, missing, unknown = get(sample, f"/{DATABASE_NAME}/documents/{doc_id}/file",
                                 f"/{DATABASE_NAME}/documents/{'b' * 16}/file", f"/{DATABASE_NAME}/documents/ffff/file")
    assert file.status_code == 200 and file.headers["content-security-policy"] == "sandbox"
    assert file.text == protocol()["text"]
    assert missing.status_code == 404 and unknown.status_code == 404


def test_record_rows_link_to_their_place_in_the_document(sample):
    doc_id = "a" * 16
    table, query = get(sample, f"/{DATABASE_NAME}/decisions", f"/{DATABASE_NAME}/decisions_by_municipality")
    assert f'href="/{DATABASE_NAME}/documents/{doc_id}#{doc_id}:decisions:1"' in table.text
    assert f'href="/{DATABASE_NAME}/documents/{doc_id}#{doc_id}:decisions:1"' in query.text


def test_entity_pages_list_every_appearance(sample):
    db = sqlite_utils.Database(sample)
    person = db.execute("select person_id from people").fetchone()[0]
    org = db.execute("select organization_id from organization_mentions").fetchone()[0]
    person_page, project_page_, org_page, json_row, missing = get(
        sample, f"/{DATABASE_NAME}/persons/{person}", f"/{DATABASE_NAME}/projects/BG16RFOP001-2~2E002-0031",
        f"/{DATABASE_NAME}/organizations/{org}", f"/{DATABASE_NAME}/persons/{person}.json",
        f"/{DATABASE_NAME}/persons/p-missing")
    assert person_page.status_code == 200 and "кмет" in person_page.text and "Протокол № 7" in person_page.text
    assert project_page_.status_code == 200 and "Ремонт на читалището в Кочериново" in project_page_.text
    assert "195\u00a0583,00 BGN = 100\u00a0000,00 EUR" in project_page_.text
    assert org_page.status_code == 200 and "Общинският съвет – Кочериново" in org_page.text
    assert json_row.status_code == 200 and json_row.json()["rows"]
    assert missing.status_code == 404


def test_atom_feeds_and_calendar(sample):
    latest, local, saved, calendar = get(
        sample, f"/{DATABASE_NAME}/latest_decisions.atom", f"/{DATABASE_NAME}/latest_decisions.atom?municipality=Рила",
        f"/{DATABASE_NAME}/search_feed.atom?q=читалище", f"/{DATABASE_NAME}/meetings.ics")
    entries = ET.fromstring(latest.content).findall(f"{ATOM}entry")
    assert len(entries) == 1 and entries[0].find(f"{ATOM}title").text == "Решение № 12, Кочериново, 2023-03-14"
    assert entries[0].find(f"{ATOM}link").get("href") == f"http://localhost/{DATABASE_NAME}/documents/{'a' * 16}#{'a' * 16}:decisions:1"
    assert local.status_code == 200 and ET.fromstring(local.content).findall(f"{ATOM}entry") == []
    assert ET.fromstring(local.content).find(f"{ATOM}title").text == "Latest decisions (municipality: Рила)"
    saved_entries = ET.fromstring(saved.content).findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in saved_entries] == ["Ремонт на читалището, Кочериново"]
    assert calendar.status_code == 200 and "BEGIN:VEVENT" in calendar.text and "20230314" in calendar.text


def test_read_only_settings_robots_and_about(sample):
    robots, about, css, charts = get(sample, "/robots.txt", "/-/about", "/-/letopis/letopis.css", "/-/dashboards/letopis")
    assert "Disallow: /letopis/search" in robots.text and "Disallow: /letopis.db" in robots.text
    assert about.status_code == 200 and "/letopis/decisions_search?" in about.text
    assert css.status_code == 200 and "mark.amount" in css.text
    assert charts.status_code == 200 and "vega" in charts.text
    for name, query in METADATA["databases"][DATABASE_NAME]["queries"].items():
        assert query.get("description") and not query.get("write"), name


def test_lemma_index_is_added_to_an_older_database(tmp_path):
    """A database built before the lemma columns gets them, filled, on the next ensure_schema."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    ensure_schema(db)
    load_document(db, protocol(), "docs/protocol.txt")
    for name, spec in TABLES.items():
        if spec.lemmas:  # make it look like an older build: no lemma column, no lemma index
            db.execute(f"drop table [{lemma_fts_name(name)}]")
            for suffix in ("ai", "ad", "au"):
                db.execute(f"drop trigger [{name}_{LEMMA_COLUMN}_{suffix}]")
            db.execute(f"alter table [{name}] drop column [{LEMMA_COLUMN}]")
    assert LEMMA_COLUMN not in db["documents"].columns_dict
    ensure_schema(db)
    assert db.execute("select count(*) from documents_lemmas_fts where documents_lemmas_fts match ?",
                      [fts_query("решенията")]).fetchone()[0] == 1
    assert reindex(db) == {"documents": 1, "decisions": 1, "project_mentions": 0}
    assert db.execute("select count(*) from decisions_lemmas_fts where decisions_lemmas_fts match ?",
                      [fts_query("отпадъци")]).fetchone()[0] == 1


def test_plain_table_search_goes_to_the_bulgarian_search(sample):
    """A documents-table search with nothing else is sent to the ranked, word-form-aware search."""
    database = f"/{DATABASE_NAME}"
    page, api = get(sample, f"{database}/documents?_search=%D0%BF%D1%80%D0%BE%D1%82%D0%BE%D0%BA%D0%BE%D0%BB",
                    f"{database}/documents.json?_search=x%20y&_size=20")
    assert page.status_code == 302
    assert page.headers["location"] == f"{database}/search?q=%D0%BF%D1%80%D0%BE%D1%82%D0%BE%D0%BA%D0%BE%D0%BB"
    assert api.status_code == 302 and api.headers["location"] == f"{database}/search.json?q=x+y"
    narrowed, browse, blank = get(sample, f"{database}/documents?_search=x&municipality=Кочериново",
                                  f"{database}/documents", f"{database}/documents?_search=")
    assert narrowed.status_code == browse.status_code == 200
    assert blank.headers["location"] == f"{database}/search?q="  # Datasette's own search fails on a blank term


@pytest.mark.parametrize("path, query, expected", [
    ("/letopis/documents", "_search=%D0%B1", "/letopis/search?q=%D0%B1"),
    ("/letopis/documents.csv", "_search=a", None),
    ("/letopis/decisions", "_search=a", None),
    ("/letopis/documents", "_search=a&_search=b", None),
    ("/letopis/documents", "_search=a&_facet=year", None),
])
def test_search_redirect_rules(path, query, expected):
    from index.web import search_redirect

    assert search_redirect(path, query) == expected
