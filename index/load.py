"""Save extracted documents into the database: pure row builders plus transactional writes.

The row builders (:func:`document_row`, :func:`record_rows`, :func:`prepare_document`) turn one
contract dict (``extract/contract.py``) into table rows and touch no database. The writers
(:func:`load_document`, :func:`remove_document`, :func:`record_failure`) each run in one
transaction (``db.atomic()``), so a reader never sees a document half-loaded.
"""
from __future__ import annotations

import csv
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import sqlite_utils

from .lemmas import row_lemmas
from .schema import DOCUMENTS, ENTITY_TABLES, FAILURES, LEMMA_COLUMN, RECORD_TABLES, SINGLE_RECORD_KINDS

MANIFEST_COLUMNS = ("file", "source_url", "municipality", "retrieved", "sha256")


def utc_now() -> str:
    """The current UTC time as ISO 8601 to the second, e.g. ``2024-05-01T09:30:00+00:00``."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def document_id(sha256: str) -> str:
    """A document's id: the first 16 hex characters of its file's sha256."""
    if not sha256 or len(sha256) < 16:
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256[:16].lower()


def record_id(doc_id: str, kind: str, n: int) -> str:
    """A record's id, ``<document_id>:<kind>:<n>`` with ``n`` counting from 1 in document order."""
    return f"{doc_id}:{kind}:{n}"


def to_json(value: Any) -> str | None:
    """JSON text for a list/dict column (``None`` stays NULL); UTF-8, not ``\\u`` escapes."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def year_of(date: str | None) -> int | None:
    """The year of an ISO date such as ``2021-10-14`` (or ``2021``), else ``None``."""
    if date and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


def evidence_columns(item: dict) -> dict[str, Any]:
    """The four ``evidence_*`` columns of one record."""
    evidence = item.get("evidence") or {}
    return {
        "evidence_start": evidence.get("start"),
        "evidence_end": evidence.get("end"),
        "evidence_page": evidence.get("page"),
        "evidence_text": evidence.get("text"),
    }


def document_row(extracted: dict, path: str, source_url: str | None, indexed_at: str) -> dict[str, Any]:
    """The ``documents`` row for one extracted document."""
    sha256 = extracted["sha256"]
    row = {
        "id": document_id(sha256),
        "path": path,
        "source_url": source_url,
        "sha256": sha256,
        "format": extracted.get("format"),
        "title": extracted.get("title"),
        "doc_type": extracted.get("doc_type"),
        "doc_type_confidence": extracted.get("doc_type_confidence"),
        "municipality": extracted.get("municipality"),
        "document_date": extracted.get("document_date"),
        "year": year_of(extracted.get("document_date")),
        "text": extracted.get("text", ""),
        "pages": to_json(extracted.get("pages") or [0]),
        "metadata": to_json(extracted.get("metadata") or {}),
        "extractor_version": extracted.get("extractor_version"),
        "indexed_at": indexed_at,
    }
    row[LEMMA_COLUMN] = row_lemmas(row, DOCUMENTS.lemmas)
    return row


def items_of(extracted: dict, kind: str) -> list[dict]:
    """The records of one kind as a list (``attendance`` is a single object or ``None``)."""
    value = extracted.get(kind)
    if value is None:
        return []
    if kind in SINGLE_RECORD_KINDS and isinstance(value, dict):
        return [value]
    return list(value)


def record_rows(extracted: dict, doc_id: str, kind: str) -> list[dict[str, Any]]:
    """The rows of table ``kind`` for one extracted document, in document order."""
    spec = RECORD_TABLES[kind]
    links = {column for column, _, _ in spec.foreign_keys}
    fields = [c for c in spec.columns if c not in ("id", "document_id", "municipality", LEMMA_COLUMN)
              and c not in links and not c.startswith("evidence_")]
    rows = []
    for n, item in enumerate(items_of(extracted, kind), start=1):
        row: dict[str, Any] = {"id": record_id(doc_id, kind, n), "document_id": doc_id}
        for name in fields:
            value = item.get(name)
            row[name] = to_json(value) if name in spec.json_columns else value
        row["municipality"] = extracted.get("municipality")
        row.update(evidence_columns(item))
        if spec.lemmas:
            row[LEMMA_COLUMN] = row_lemmas(row, spec.lemmas)
        rows.append(row)
    return rows


def delete_document_rows(db: sqlite_utils.Database, doc_ids: set[str]) -> None:
    """Delete the documents ``doc_ids`` and every record row that points at them (no transaction)."""
    for doc_id in sorted(doc_ids):
        for spec in RECORD_TABLES.values():
            db[spec.name].delete_where("document_id = ?", [doc_id])
        for spec in ENTITY_TABLES.values():
            for column, other, _ in spec.foreign_keys:
                if other == DOCUMENTS.name and db[spec.name].exists():
                    db[spec.name].delete_where(f"[{column}] = ?", [doc_id])
        db[DOCUMENTS.name].delete_where("id = ?", [doc_id])


@dataclass(frozen=True)
class PreparedDocument:
    """A document's rows, built where it was extracted (a build's worker), ready for the single writer.

    ``document`` is the ``documents`` row without the columns only the writer knows (``path``,
    ``source_url``, ``indexed_at`` and the file's stat); ``records`` maps each record table to
    its column names and its rows as tuples (compact to send between processes). Building the
    rows, lemma texts included, in the workers leaves the writer, which no second core can
    help, only the SQL.
    """

    document: dict[str, Any]
    records: dict[str, tuple[tuple[str, ...], list[tuple]]]

    @property
    def page_count(self) -> int:
        """Pages of the document (1 for formats without pages)."""
        return max(1, len(json.loads(self.document["pages"] or "[0]")))


def prepare_document(extracted: dict, sha256: str | None = None) -> PreparedDocument:
    """The rows of one extractor output; ``sha256`` is the file's, used when the output has none."""
    if sha256 is not None:
        extracted = {"sha256": sha256, **extracted}
    document = document_row(extracted, "", None, "")
    for column in ("path", "source_url", "indexed_at"):
        del document[column]
    records = {}
    for kind, spec in RECORD_TABLES.items():
        rows = record_rows(extracted, document["id"], kind)
        if rows:
            records[spec.name] = (tuple(rows[0]), [tuple(row.values()) for row in rows])
    return PreparedDocument(document, records)


def load_document(db: sqlite_utils.Database, extracted: dict, path: str, source_url: str | None = None,
                  extra: dict | None = None) -> str:
    """Store one extracted document under ``path``, replacing whatever was stored for it before.

    In one transaction: delete the record rows of this document (by id) and of any older
    version stored under the same path, upsert the ``documents`` row by id (a row with the
    same content under another path is moved to ``path``), insert the new record rows and
    clear any failure recorded for ``path``. ``extra`` adds columns to the document row (the
    build's file size and modification time). Returns the document id.
    """
    return load_prepared(db, prepare_document(extracted), path, source_url, extra)


def load_prepared(db: sqlite_utils.Database, prepared: PreparedDocument, path: str, source_url: str | None = None,
                  extra: dict | None = None) -> str:
    """:func:`load_document` for rows already built by :func:`prepare_document`.

    The statements are plain SQL over the declared columns: the schema is applied once by
    ``ensure_schema``, so nothing here needs sqlite-utils' per-call table introspection,
    which cost more than the writes themselves on a large build.

    Inside an open transaction, a document new by id and by path is written without a
    savepoint (SQLite keeps a copy of each page a savepoint changes, to roll back to: a sixth
    of the cost of storing a document): if a statement fails, deleting its rows again leaves
    the database as it was. Any other document is replaced inside a savepoint.
    """
    doc = {**prepared.document, "path": path, "source_url": source_url, "indexed_at": utc_now(), **(extra or {})}
    doc_id = doc["id"]
    conn = db.conn
    if conn.in_transaction and conn.execute(f"select 1 from [{DOCUMENTS.name}] where id = ? or path = ?",
                                            [doc_id, path]).fetchone() is None:
        try:
            _insert_document(conn, doc, prepared, path)
        except Exception:
            delete_document_rows(db, {doc_id})
            raise
        return doc_id
    with db.atomic():
        stale = {row[0] for row in conn.execute(
            f"select id from [{DOCUMENTS.name}] where path = ? and id != ?", [path, doc_id])}
        delete_document_rows(db, stale)
        for spec in RECORD_TABLES.values():
            conn.execute(f"delete from [{spec.name}] where document_id = ?", [doc_id])
        _insert_document(conn, doc, prepared, path)
    return doc_id


def _insert_document(conn: sqlite3.Connection, doc: dict, prepared: PreparedDocument, path: str) -> None:
    conn.execute(upsert_sql(DOCUMENTS.name, tuple(doc), DOCUMENTS.pk), list(doc.values()))
    for table, (columns, rows) in prepared.records.items():
        conn.executemany(insert_sql(table, columns), rows)
    conn.execute(f"delete from [{FAILURES.name}] where path = ?", [path])


@lru_cache(maxsize=None)
def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """``insert into table (columns) values (?, ...)``."""
    names = ", ".join(f"[{c}]" for c in columns)
    return f"insert into [{table}] ({names}) values ({', '.join('?' for _ in columns)})"


@lru_cache(maxsize=None)
def upsert_sql(table: str, columns: tuple[str, ...], pk: str) -> str:
    """Insert, or update the given columns of the row with the same primary key (sqlite-utils' upsert)."""
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != pk)
    return f"{insert_sql(table, columns)} on conflict([{pk}]) do update set {updates}"


def remove_document(db: sqlite_utils.Database, path: str) -> bool:
    """Delete the document stored under ``path`` and all its records; ``True`` if there was one."""
    with db.atomic():
        ids = {row["id"] for row in db[DOCUMENTS.name].rows_where("path = ?", [path])}
        delete_document_rows(db, ids)
    return bool(ids)


def record_failure(db: sqlite_utils.Database, path: str, sha256: str | None, reason: str, error_type: str) -> None:
    """Record that ``path`` could not be indexed, and why (``reason`` is a sentence for people).

    Recording the same failure again (same sha256, reason and error type) leaves the row
    untouched, so ``failed_at`` is when this failure was first seen and a re-run over an
    unchanged corpus changes nothing.
    """
    row = {"path": path, "sha256": sha256, "reason": reason, "error_type": error_type}
    with db.atomic():
        for existing in db[FAILURES.name].rows_where("path = ?", [path]):
            if all(existing.get(k) == v for k, v in row.items()):
                return
        db[FAILURES.name].upsert({**row, "failed_at": utc_now()}, pk=FAILURES.pk)


def manifest_rows(lines: Iterator[str] | list[str]) -> Iterator[dict[str, str]]:
    """Parse manifest CSV lines into dicts with the manifest's columns (missing ones empty)."""
    for raw in csv.DictReader(lines):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if row.get("file"):
            yield {**{c: "" for c in MANIFEST_COLUMNS}, **row}


def read_manifest(path: Path | str) -> dict[str, dict[str, str]]:
    """Read ``manifest.csv`` (file, source_url, municipality, retrieved, sha256) keyed by file name.

    The key is the base name of the ``file`` column, so ``documents/a.pdf`` and ``a.pdf``
    both key as ``a.pdf``; the first row for a name wins.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        result: dict[str, dict[str, str]] = {}
        for row in manifest_rows(f):
            result.setdefault(PurePosixPath(row["file"].replace("\\", "/")).name, row)
    return result
