"""index/: schema, loading and incremental builds, with a fake extractor (no real extractors needed)."""
from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

import index.load
from index.build import build, is_under, iter_files, stored_path
from index.load import document_id, load_document, read_manifest
from index.schema import RECORD_TABLES, SCHEMA_VERSION, TABLES, ensure_schema, fts_table_names

VERSION = "fake-1"


class FakeReadError(Exception):
    """Stands in for extract.ReadError: str() is a reason a person understands."""


def fake_extract_file(path: Path) -> dict:
    """A contract dict built from a tiny line format, with real evidence spans.

    Lines: ``TITLE:``, ``TYPE:``, ``MUNICIPALITY:``, ``DATE:``, ``PERSON: name | role``,
    ``DECISION: text | outcome | for | against | abstained``, ``AMOUNT: value currency | role``,
    ``PROJECT: title | partner, partner``, ``ATTENDANCE: present/total``, ``BROKEN: reason``.
    """
    import hashlib

    raw = path.read_bytes()
    text = raw.decode("utf-8")
    doc: dict = {
        "source": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "format": "txt", "title": None,
        "text": text, "pages": [0], "metadata": {"size": len(raw)}, "doc_type": "other",
        "municipality": None, "document_date": None, "dates": [], "people": [], "attendance": None,
        "agenda_items": [], "decisions": [], "amounts": [], "projects": [], "organizations": [],
        "extractor_version": fake_extract_file.extractor_version,
    }
    offset = 0
    for line in text.splitlines(keepends=True):
        start, body = offset, line.rstrip("\n")
        offset += len(line)
        key, _, value = body.partition(": ")
        evidence = {"start": start, "end": start + len(body), "page": 1, "text": body}
        fields = [f.strip() for f in value.split("|")]
        if key == "BROKEN":
            raise FakeReadError(value)
        if key == "TITLE":
            doc["title"] = value
        elif key == "TYPE":
            doc["doc_type"] = value
        elif key == "MUNICIPALITY":
            doc["municipality"] = value
            doc["organizations"].append({"name": f"Община {value}", "kind": "municipality", "evidence": evidence})
        elif key == "DATE":
            doc["document_date"] = value
            doc["dates"].append({"value": value, "role": "meeting", "evidence": evidence})
        elif key == "PERSON":
            doc["people"].append({"name": fields[0], "title": None, "role": fields[1], "organization": None,
                                  "evidence": evidence})
        elif key == "AGENDA":
            doc["agenda_items"].append({"number": str(len(doc["agenda_items"]) + 1), "text": value,
                                        "evidence": evidence})
        elif key == "DECISION":
            doc["decisions"].append({"number": None, "text": fields[0], "outcome": fields[1] or None,
                                     "votes_for": int(fields[2]), "votes_against": int(fields[3]),
                                     "votes_abstained": int(fields[4]), "evidence": evidence})
        elif key == "AMOUNT":
            number, currency = fields[0].split()
            value_eur = float(number) / (1.95583 if currency == "BGN" else 1)
            doc["amounts"].append({"value": float(number), "currency": currency, "value_eur": round(value_eur, 2),
                                   "role": fields[1], "evidence": evidence})
        elif key == "PROJECT":
            doc["projects"].append({"code": None, "procedure": None, "title": fields[0], "programme": "ПРСР",
                                    "beneficiary": "Община", "partners": [p.strip() for p in fields[1].split(",")],
                                    "start": "2021-01", "end": "2022-12", "duration_months": 24,
                                    "evidence": evidence})
        elif key == "ATTENDANCE":
            present, total = (int(n) for n in value.split("/"))
            doc["attendance"] = {"present": present, "absent": total - present, "total": total, "evidence": evidence}
    return doc


fake_extract_file.extractor_version = VERSION

PROTOCOL = """TITLE: Протокол № 2
TYPE: protocol
MUNICIPALITY: Кочериново
DATE: 2021-10-14
ATTENDANCE: 12/15
PERSON: Светозар Михайлов | председател
AGENDA: Запознаване с хода на изготвяне на ОПР.
DECISION: Приема предварителната оценка. | adopted | 12 | 0 | 0
DECISION: Протоколът да бъде публикуван. | adopted | 11 | 0 | 1
"""

PROJECT = """TITLE: Проект за читалище
TYPE: project_page
MUNICIPALITY: Рила
DATE: 2022-03-01
PROJECT: Ремонт на читалище | Сдружение А, Фондация Б
AMOUNT: 195583 BGN | total
AMOUNT: 80000 EUR | eu
PERSON: Светозар Михайлов | кмет
"""

BROKEN = "TITLE: Сканиран документ\nBROKEN: Файлът е сканиран PDF без текстов слой; текстът не може да бъде прочетен.\n"


class Clock:
    """A fake utc_now that never repeats, so any rewrite of a timestamp shows in a dump."""

    def __init__(self):
        self.ticks = itertools.count()

    def __call__(self) -> str:
        return f"2024-01-01T00:00:{next(self.ticks):02d}+00:00"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(index.load, "utc_now", fake)
    return fake


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """A corpus directory with two good documents and one unreadable one; cwd = tmp_path."""
    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "corpus" / "documents"
    docs.mkdir(parents=True)
    (docs / "001_protocol.txt").write_text(PROTOCOL, encoding="utf-8")
    (docs / "002_project.txt").write_text(PROJECT, encoding="utf-8")
    (docs / "003_broken.txt").write_text(BROKEN, encoding="utf-8")
    (docs / ".hidden.txt").write_text("TITLE: hidden\n", encoding="utf-8")
    return Path("corpus/documents")


class CountingExtractor:
    """Wraps the fake extractor and remembers which files it was asked to read."""

    def __init__(self, version: str = VERSION):
        self.calls: list[str] = []
        self.extractor_version = version

    def __call__(self, path: Path) -> dict:
        self.calls.append(Path(path).name)
        fake_extract_file.extractor_version = self.extractor_version
        try:
            return fake_extract_file(path)
        finally:
            fake_extract_file.extractor_version = VERSION


def run(corpus: Path, db_path: Path, extractor=None, **kwargs):
    return build([corpus], db_path, extract_file=extractor or CountingExtractor(), **kwargs)


def dump(db_path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (FTS tables included), in primary-key order."""
    conn = sqlite3.connect(db_path)
    try:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")]
        return {name: conn.execute(f'select * from "{name}" order by 1').fetchall() for name in names}
    finally:
        conn.close()


def rows(db_path: Path, sql: str, params=()) -> list[dict]:
    db = sqlite_utils.Database(db_path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def assert_no_orphans(db_path: Path) -> None:
    for spec in RECORD_TABLES.values():
        orphans = rows(db_path, f"select id from {spec.name} where document_id not in (select id from documents)")
        assert orphans == [], spec.name


def schema_dump(db: sqlite_utils.Database) -> list[tuple]:
    return db.execute("select type, name, tbl_name, sql from sqlite_master order by type, name").fetchall()


# --- schema ---------------------------------------------------------------------------------


def test_schema_applied_twice_is_identical(tmp_path):
    db = sqlite_utils.Database(tmp_path / "s.db")
    ensure_schema(db)
    first = schema_dump(db)
    ensure_schema(db)
    assert schema_dump(db) == first
    db.close()
    reopened = sqlite_utils.Database(tmp_path / "s.db")
    ensure_schema(reopened)
    assert schema_dump(reopened) == first


def test_schema_declares_tables_keys_indexes_and_fts():
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    for name, spec in TABLES.items():
        table = db[name]
        assert list(table.columns_dict) == list(spec.columns)
        assert table.pks == ([spec.pk] if isinstance(spec.pk, str) else list(spec.pk))
    for spec in RECORD_TABLES.values():
        assert ("document_id", "documents", "id") in [
            (fk.column, fk.other_table, fk.other_column) for fk in db[spec.name].foreign_keys]
        assert any(ix.columns == ["document_id"] for ix in db[spec.name].indexes)
    documents_indexes = {tuple(ix.columns): ix.unique for ix in db["documents"].indexes}
    assert documents_indexes[("path",)] == 1
    for columns in (("municipality", "document_date"), ("doc_type",), ("document_date",)):
        assert columns in documents_indexes
    assert db["documents"].detect_fts() == "documents_fts"
    assert db["decisions"].detect_fts() == "decisions_fts"
    assert "documents_fts_data" in fts_table_names(db)


def test_schema_adds_missing_columns_to_an_older_table():
    db = sqlite_utils.Database(memory=True)
    db.execute(f"pragma user_version = {SCHEMA_VERSION}")
    db["failures"].create({"path": str, "reason": str}, pk="path")
    ensure_schema(db)
    assert list(db["failures"].columns_dict) == ["path", "reason", "sha256", "error_type", "failed_at"]


def test_a_database_of_an_older_schema_version_is_emptied_not_patched():
    db = sqlite_utils.Database(memory=True)
    db["projects"].insert({"id": "x", "document_id": "d", "code": "BG"}, pk="id")  # version 1: mentions
    ensure_schema(db)
    assert db["projects"].count == 0 and "document_id" not in db["projects"].columns_dict
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION


# --- build ----------------------------------------------------------------------------------


def test_build_indexes_documents_records_and_failures(corpus, tmp_path):
    extractor = CountingExtractor()
    report = run(corpus, tmp_path / "letopis.db", extractor)
    assert (report.added, report.updated, report.unchanged, report.removed, report.failed) == (2, 0, 0, 0, 1)
    assert sorted(extractor.calls) == ["001_protocol.txt", "002_project.txt", "003_broken.txt"]

    docs = rows(tmp_path / "letopis.db", "select * from documents order by path")
    assert [d["path"] for d in docs] == ["corpus/documents/001_protocol.txt", "corpus/documents/002_project.txt"]
    protocol = docs[0]
    assert protocol["id"] == protocol["sha256"][:16]
    assert (protocol["doc_type"], protocol["municipality"], protocol["document_date"], protocol["year"]) == (
        "protocol", "Кочериново", "2021-10-14", 2021)
    assert protocol["pages"] == "[0]" and protocol["extractor_version"] == VERSION

    decisions = rows(tmp_path / "letopis.db", "select * from decisions order by id")
    assert [d["id"] for d in decisions] == [f"{protocol['id']}:decisions:1", f"{protocol['id']}:decisions:2"]
    assert (decisions[1]["votes_for"], decisions[1]["votes_abstained"], decisions[1]["outcome"]) == (11, 1, "adopted")
    assert decisions[0]["municipality"] == "Кочериново"
    attendance = rows(tmp_path / "letopis.db", "select * from attendance")
    assert [(a["present"], a["absent"], a["total"]) for a in attendance] == [(12, 3, 15)]
    project = rows(tmp_path / "letopis.db", "select * from project_mentions")[0]
    assert project["partners"] == '["Сдружение А", "Фондация Б"]'
    assert rows(tmp_path / "letopis.db", "select value_eur from amounts where role = 'total'") == [{"value_eur": 100000.0}]

    failures = rows(tmp_path / "letopis.db", "select * from failures")
    assert [(f["path"], f["error_type"]) for f in failures] == [("corpus/documents/003_broken.txt", "FakeReadError")]
    assert failures[0]["reason"].startswith("Файлът е сканиран PDF")
    assert report.failures[0].reason == failures[0]["reason"]
    assert rows(tmp_path / "letopis.db", "select count(*) n from documents where path like '%hidden%'") == [{"n": 0}]


def test_evidence_columns_point_into_the_document_text(corpus, tmp_path):
    run(corpus, tmp_path / "letopis.db")
    checked = 0
    for spec in RECORD_TABLES.values():
        for row in rows(tmp_path / "letopis.db",
                        f"select r.*, d.text as doc_text from {spec.name} r join documents d on d.id = r.document_id"):
            assert row["evidence_page"] == 1
            assert row["evidence_text"] and row["doc_text"][row["evidence_start"]:row["evidence_end"]] == row["evidence_text"]
            checked += 1
    assert checked >= 10


def test_building_the_same_corpus_twice_changes_nothing(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    before = dump(db_path)
    extractor = CountingExtractor()
    report = run(corpus, db_path, extractor)
    assert dump(db_path) == before  # indexed_at and failed_at included
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 0, 2, 0)
    assert extractor.calls == ["003_broken.txt"]  # only the failure is retried
    assert report.failed == 1


def test_a_new_file_is_added(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "004_new.txt").write_text("TITLE: Нов\nTYPE: decision\nDECISION: Ново. | rejected | 1 | 9 | 0\n",
                                              encoding="utf-8")
    extractor = CountingExtractor()
    report = run(corpus, db_path, extractor)
    assert (report.added, report.updated, report.unchanged) == (1, 0, 2)
    assert "004_new.txt" in extractor.calls
    new = rows(db_path, "select * from documents where path = 'corpus/documents/sub/004_new.txt'")
    assert len(new) == 1
    assert rows(db_path, "select outcome from decisions where document_id = ?", [new[0]["id"]]) == [{"outcome": "rejected"}]


def test_a_changed_file_replaces_its_rows(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    old_id = rows(db_path, "select id from documents where path like '%001_protocol.txt'")[0]["id"]
    changed = PROTOCOL.replace("DECISION: Протоколът да бъде публикуван. | adopted | 11 | 0 | 1\n", "")
    (corpus / "001_protocol.txt").write_text(changed.replace("12/15", "10/15"), encoding="utf-8")
    report = run(corpus, db_path)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 1, 0)
    docs = rows(db_path, "select id, path from documents where path like '%001_protocol.txt'")
    assert len(docs) == 1 and docs[0]["id"] != old_id
    for spec in RECORD_TABLES.values():
        assert rows(db_path, f"select id from {spec.name} where document_id = ?", [old_id]) == [], spec.name
    assert len(rows(db_path, "select id from decisions where document_id = ?", [docs[0]["id"]])) == 1
    assert rows(db_path, "select present from attendance where document_id = ?", [docs[0]["id"]]) == [{"present": 10}]
    assert_no_orphans(db_path)
    hits = rows(db_path, "select rowid from documents_fts where documents_fts match 'публикуван'")
    assert hits == []  # the full-text index follows the replacement


def test_a_deleted_file_is_removed(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    gone = rows(db_path, "select id from documents where path like '%002_project.txt'")[0]["id"]
    (corpus / "002_project.txt").unlink()
    (corpus / "003_broken.txt").unlink()
    report = run(corpus, db_path)
    assert (report.removed, report.unchanged, report.failed) == (1, 1, 0)
    for table in ("documents", *(spec.name for spec in RECORD_TABLES.values())):
        column = "id" if table == "documents" else "document_id"
        assert rows(db_path, f"select * from {table} where {column} = ?", [gone]) == [], table
    assert rows(db_path, "select * from failures") == []  # failures of gone files go too
    assert_no_orphans(db_path)


def test_documents_outside_the_walked_roots_are_kept(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    other = Path("elsewhere")
    other.mkdir()
    (other / "x.txt").write_text("TITLE: Другаде\n", encoding="utf-8")
    build([other], db_path, extract_file=CountingExtractor())
    report = run(corpus, db_path)
    assert report.removed == 0
    assert rows(db_path, "select path from documents where path = 'elsewhere/x.txt'") == [{"path": "elsewhere/x.txt"}]


def test_a_failing_file_is_recorded_and_cleared_when_it_later_succeeds(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    report = run(corpus, db_path)
    assert report.failed == 1 and len(rows(db_path, "select * from documents")) == 2
    (corpus / "003_broken.txt").write_text("TITLE: Поправен\nTYPE: report\n", encoding="utf-8")
    report = run(corpus, db_path)
    assert (report.added, report.failed) == (1, 0)
    assert rows(db_path, "select * from failures") == []
    assert len(rows(db_path, "select * from documents")) == 3


def test_an_indexed_file_that_starts_failing_leaves_documents(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    (corpus / "002_project.txt").write_text(PROJECT + "BROKEN: Повреден файл.\n", encoding="utf-8")
    report = run(corpus, db_path)
    assert report.failed == 2
    assert rows(db_path, "select count(*) n from documents where path like '%002_project.txt'") == [{"n": 0}]
    assert rows(db_path, "select reason from failures where path like '%002_project.txt'") == [{"reason": "Повреден файл."}]
    assert_no_orphans(db_path)


def test_any_exception_is_a_failure_with_its_text_as_reason(corpus, tmp_path):
    def explode(path: Path) -> dict:
        if path.name == "002_project.txt":
            raise RuntimeError("unexpected table layout on page 3")
        return fake_extract_file(path)

    explode.extractor_version = VERSION
    report = build([corpus], tmp_path / "letopis.db", extract_file=explode)
    assert report.added == 1 and report.failed == 2
    reasons = {f.path.rsplit("/", 1)[-1]: (f.error_type, f.reason) for f in report.failures}
    assert reasons["002_project.txt"] == ("RuntimeError", "unexpected table layout on page 3")


def test_a_new_extractor_version_re_extracts(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    report = run(corpus, db_path, CountingExtractor("fake-2"))
    assert (report.updated, report.unchanged) == (2, 0)
    assert {r["extractor_version"] for r in rows(db_path, "select extractor_version from documents")} == {"fake-2"}
    assert run(corpus, db_path, CountingExtractor("fake-2")).unchanged == 2


def test_identical_files_are_indexed_once(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    (corpus / "005_copy.txt").write_text(PROTOCOL, encoding="utf-8")
    report = run(corpus, db_path)
    assert report.added == 2 and report.failed == 2
    dup = rows(db_path, "select * from failures where error_type = 'DuplicateContent'")
    assert [d["path"] for d in dup] == ["corpus/documents/005_copy.txt"]
    assert "corpus/documents/001_protocol.txt" in dup[0]["reason"]
    before = dump(db_path)
    run(corpus, db_path)
    assert dump(db_path) == before


def test_manifest_supplies_source_url(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    manifest = Path("corpus/manifest.csv")
    manifest.write_text(
        "file,source_url,municipality,retrieved,sha256\n"
        "documents/001_protocol.txt,https://kocherinovo.bg/p2.pdf,Кочериново,2024-05-01,\n",
        encoding="utf-8",
    )
    assert read_manifest(manifest)["001_protocol.txt"]["source_url"] == "https://kocherinovo.bg/p2.pdf"
    run(corpus, db_path)  # found one level above corpus/documents
    assert rows(db_path, "select path, source_url from documents where source_url is not null") == [
        {"path": "corpus/documents/001_protocol.txt", "source_url": "https://kocherinovo.bg/p2.pdf"}]
    assert "manifest.csv" not in [p.name for p in iter_files(Path("corpus"))]
    # a corrected URL updates the row without re-extracting
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("p2.pdf", "p2-final.pdf"), encoding="utf-8")
    extractor = CountingExtractor()
    report = run(corpus, db_path, extractor)
    assert report.updated == 1 and extractor.calls == ["003_broken.txt"]
    assert rows(db_path, "select source_url from documents where source_url is not null") == [
        {"source_url": "https://kocherinovo.bg/p2-final.pdf"}]


def test_load_document_is_all_or_nothing(corpus, tmp_path):
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    before = dump(db_path)
    db = sqlite_utils.Database(db_path)
    db.execute("create trigger no_amounts before insert on amounts begin select raise(abort, 'boom'); end")
    extracted = fake_extract_file(corpus / "002_project.txt")
    extracted["decisions"] = [{"number": "1", "text": "Ново", "outcome": None, "votes_for": None,
                               "votes_against": None, "votes_abstained": None,
                               "evidence": {"start": 0, "end": 4, "page": 1, "text": "TITL"}}]
    with pytest.raises(sqlite3.IntegrityError):
        load_document(db, extracted, "corpus/documents/002_project.txt")
    db.execute("drop trigger no_amounts")
    db.close()
    assert dump(db_path) == before


def test_a_new_document_failing_inside_an_open_transaction_leaves_no_trace(corpus, tmp_path):
    # The build stores new documents without a savepoint (cheaper for the full-text indexes) and
    # deletes what a failing one wrote: tables and search indexes end as they were.
    db_path = tmp_path / "letopis.db"
    run(corpus, db_path)
    searchable = lambda d: {name: rows for name, rows in d.items() if "_fts" not in name}  # noqa: E731
    before = dump(db_path)
    db = sqlite_utils.Database(db_path)
    db.execute("create trigger no_amounts before insert on amounts begin select raise(abort, 'boom'); end")
    extracted = {**fake_extract_file(corpus / "002_project.txt"), "sha256": "cd" * 32}
    assert extracted["amounts"], "the failure must come after the document row is written"
    db.conn.execute("begin")
    with pytest.raises(sqlite3.IntegrityError):
        load_document(db, extracted, "corpus/documents/new.txt")
    db.conn.commit()
    db.execute("drop trigger no_amounts")
    for name in fts_table_names(db):
        if db[name].exists() and name.endswith("_fts"):
            db.execute(f"insert into [{name}]([{name}]) values ('integrity-check')")
    db.close()
    assert searchable(dump(db_path)) == searchable(before)


def test_load_document_returns_the_id_and_moves_a_renamed_file(tmp_path):
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    text = "DECISION: Да. | adopted | 5 | 0 | 0"
    extracted = {"sha256": "ab" * 32, "text": text, "doc_type": "decision", "extractor_version": VERSION,
                 "decisions": [{"text": "Да.", "outcome": "adopted",
                                "evidence": {"start": 0, "end": len(text), "page": 1, "text": text}}]}
    assert load_document(db, extracted, "a.txt") == document_id("ab" * 32) == "ab" * 8
    load_document(db, extracted, "b.txt")
    assert [r["path"] for r in db["documents"].rows] == ["b.txt"]
    assert db["decisions"].count == 1


def test_paths_are_stored_as_given_and_normalised(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("corpus/documents").mkdir(parents=True)
    Path("corpus/documents/a.txt").write_text("x", encoding="utf-8")
    for spelling in ("corpus/documents", "./corpus/documents/", "corpus/./documents"):
        root = Path(spelling)
        assert stored_path(root, root / "a.txt") == "corpus/documents/a.txt"
    assert stored_path(Path("./corpus/documents/a.txt"), Path("corpus/documents/a.txt")) == "corpus/documents/a.txt"
    assert is_under("corpus/documents/a.txt", Path("./corpus/documents"))
    assert not is_under("corpus/documents2/a.txt", Path("corpus/documents"))
    assert is_under("corpus/documents/a.txt", Path("."))


def test_a_missing_root_is_an_error_before_anything_is_written(tmp_path):
    with pytest.raises(FileNotFoundError):
        build([tmp_path / "nope"], tmp_path / "letopis.db", extract_file=CountingExtractor())
    assert not (tmp_path / "letopis.db").exists()
