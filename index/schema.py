"""The database shape, declared once: tables, columns, keys, indexes and full-text search.

Everything that creates or changes the schema reads :data:`TABLES`; :func:`ensure_schema`
applies it idempotently (create what is missing, add missing columns, never drop anything),
so it is safe to call on every open. ``metadata.yml`` documents the same tables and columns,
and ``tests/test_metadata.py`` checks that the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

TEXT, INTEGER, REAL = "TEXT", "INTEGER", "REAL"

FTS_TOKENIZE = "unicode61 remove_diacritics 2"
"""Case-insensitive for Cyrillic too; й and и stay distinct (й is a letter, not a diacritic)."""

EVIDENCE_COLUMNS: dict[str, str] = {
    "evidence_start": INTEGER,
    "evidence_end": INTEGER,
    "evidence_page": INTEGER,
    "evidence_text": TEXT,
}
"""Where a record was read: ``documents.text[evidence_start:evidence_end] == evidence_text``."""


@dataclass(frozen=True)
class TableSpec:
    """One table: ordered columns with SQL types, primary key, constraints, indexes and FTS."""

    name: str
    columns: dict[str, str]
    pk: str
    not_null: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    unique_indexes: tuple[tuple[str, ...], ...] = ()
    fts: tuple[str, ...] = ()
    json_columns: tuple[str, ...] = ()


def record_table(kind: str, fields: dict[str, str], *, indexes=(), json_columns=(), fts=()) -> TableSpec:
    """The declaration of a per-record-kind table: id, document_id, the fields, then evidence.

    ``municipality`` is copied from the parent document so Datasette can facet on it; it is
    rewritten together with the document, in the same transaction, so it cannot drift.
    """
    columns = {"id": TEXT, "document_id": TEXT, **fields, "method": TEXT, "confidence": REAL, "municipality": TEXT,
               **EVIDENCE_COLUMNS}
    return TableSpec(
        name=kind,
        columns=columns,
        pk="id",
        not_null=("document_id",),
        foreign_keys=(("document_id", "documents", "id"),),
        indexes=(("document_id",), ("municipality",), *indexes),
        json_columns=tuple(json_columns),
        fts=tuple(fts),
    )


DOCUMENTS = TableSpec(
    name="documents",
    columns={
        "id": TEXT,
        "path": TEXT,
        "source_url": TEXT,
        "sha256": TEXT,
        "format": TEXT,
        "title": TEXT,
        "doc_type": TEXT,
        "doc_type_confidence": REAL,
        "municipality": TEXT,
        "document_date": TEXT,
        "year": INTEGER,
        "text": TEXT,
        "pages": TEXT,
        "metadata": TEXT,
        "extractor_version": TEXT,
        "indexed_at": TEXT,
    },
    pk="id",
    not_null=("path", "sha256"),
    indexes=(("municipality",), ("doc_type",), ("document_date",), ("year",)),
    unique_indexes=(("path",),),
    fts=("title", "text"),
    json_columns=("pages", "metadata"),
)

RECORD_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        record_table("dates", {"value": TEXT, "role": TEXT}, indexes=(("value",),)),
        record_table(
            "people",
            {"name": TEXT, "title": TEXT, "role": TEXT, "organization": TEXT},
            indexes=(("name",),),
        ),
        record_table("attendance", {"present": INTEGER, "absent": INTEGER, "total": INTEGER}),
        record_table("agenda_items", {"number": TEXT, "text": TEXT}),
        record_table(
            "decisions",
            {
                "number": TEXT,
                "text": TEXT,
                "outcome": TEXT,
                "votes_for": INTEGER,
                "votes_against": INTEGER,
                "votes_abstained": INTEGER,
            },
            fts=("text",),
        ),
        record_table(
            "amounts",
            {"value": REAL, "currency": TEXT, "value_eur": REAL, "role": TEXT},
        ),
        record_table(
            "projects",
            {
                "code": TEXT,
                "contract_codes": TEXT,
                "procedure": TEXT,
                "title": TEXT,
                "programme": TEXT,
                "beneficiary": TEXT,
                "partners": TEXT,
                "start": TEXT,
                "end": TEXT,
                "duration_months": INTEGER,
                "currency": TEXT,
                "total": REAL,
                "eu": REAL,
                "national": REAL,
                "own": REAL,
                "total_eur": REAL,
            },
            indexes=(("code",),),
            json_columns=("partners", "contract_codes"),
        ),
        record_table("organizations", {"name": TEXT, "kind": TEXT}, indexes=(("name",),)),
        record_table("redactions", {"kind": TEXT}),
    )
}

FAILURES = TableSpec(
    name="failures",
    columns={"path": TEXT, "sha256": TEXT, "reason": TEXT, "error_type": TEXT, "failed_at": TEXT},
    pk="path",
    not_null=("reason",),
)

TABLES: dict[str, TableSpec] = {
    DOCUMENTS.name: DOCUMENTS,
    **RECORD_TABLES,
    FAILURES.name: FAILURES,
}
"""Every table, parents before children (the order they are created in)."""

SINGLE_RECORD_KINDS = ("attendance",)
"""Record kinds the contract holds as one object (or None) rather than a list."""


def index_name(table: str, columns: tuple[str, ...], unique: bool = False) -> str:
    """A stable, readable index name, e.g. ``idx_decisions_document_id``."""
    return f"{'uq' if unique else 'idx'}_{table}_{'_'.join(columns)}"


def ensure_table(db: sqlite_utils.Database, spec: TableSpec) -> None:
    """Create ``spec``'s table, or add any of its columns the existing table lacks."""
    table = db[spec.name]
    if not table.exists():
        table.create(
            spec.columns,
            pk=spec.pk,
            not_null=set(spec.not_null),
            foreign_keys=list(spec.foreign_keys),
        )
    else:
        existing = set(table.columns_dict)
        for column, column_type in spec.columns.items():
            if column not in existing:
                table.add_column(column, column_type)
    for columns in spec.indexes:
        table.create_index(columns, index_name=index_name(spec.name, columns), if_not_exists=True)
    for columns in spec.unique_indexes:
        table.create_index(
            columns, index_name=index_name(spec.name, columns, unique=True), unique=True, if_not_exists=True
        )
    if spec.fts and not table.detect_fts():
        table.enable_fts(list(spec.fts), create_triggers=True, tokenize=FTS_TOKENIZE)


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Bring ``db`` up to the declared schema; calling it again changes nothing."""
    for spec in TABLES.values():
        ensure_table(db, spec)


def fts_table_names(db: sqlite_utils.Database) -> set[str]:
    """FTS virtual tables and their shadow tables (``documents_fts``, ``documents_fts_data`` ...)."""
    roots = set(db.table_names(fts5=True)) | set(db.table_names(fts4=True))
    return {name for name in db.table_names() if any(name == r or name.startswith(r + "_") for r in roots)}
