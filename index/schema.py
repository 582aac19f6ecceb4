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

LEMMA_COLUMN = "lemmas"
"""The lemma text of a row's searchable columns (``index/lemmas.py``), indexed by ``<table>_lemmas_fts``."""

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
    pk: str | tuple[str, ...]
    not_null: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    unique_indexes: tuple[tuple[str, ...], ...] = ()
    fts: tuple[str, ...] = ()
    json_columns: tuple[str, ...] = ()
    kind: str | None = None
    """For a record table, the contract's record kind it stores (``projects`` → ``project_mentions``)."""
    lemmas: tuple[str, ...] = ()
    """Columns whose lemma text fills :data:`LEMMA_COLUMN` (the last column), for Bulgarian-aware search."""


def record_table(kind: str, fields: dict[str, str], *, indexes=(), json_columns=(), fts=(), table: str | None = None,
                 links: tuple[tuple[str, str, str], ...] = (), lemmas: tuple[str, ...] = ()) -> TableSpec:
    """The declaration of a per-record-kind table: id, document_id, the fields, then evidence.

    ``table`` names the table when it differs from the contract's kind (``projects`` mentions
    live in ``project_mentions``, the resolved projects in ``projects``); ``links`` are columns
    entity resolution fills in, pointing at an entity table.

    ``municipality`` is copied from the parent document so Datasette can facet on it; it is
    rewritten together with the document, in the same transaction, so it cannot drift.
    """
    columns = {"id": TEXT, "document_id": TEXT, **fields, **{column: TEXT for column, _, _ in links},
               "method": TEXT, "confidence": REAL, "municipality": TEXT, **EVIDENCE_COLUMNS,
               **({LEMMA_COLUMN: TEXT} if lemmas else {})}
    return TableSpec(
        name=table or kind,
        columns=columns,
        pk="id",
        not_null=("document_id",),
        foreign_keys=(("document_id", "documents", "id"), *links),
        indexes=(("document_id",), ("municipality",), *indexes, *((column,) for column, _, _ in links)),
        kind=kind,
        json_columns=tuple(json_columns),
        fts=tuple(fts),
        lemmas=tuple(lemmas),
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
        "file_size": INTEGER,
        "file_mtime_ns": INTEGER,
        LEMMA_COLUMN: TEXT,
    },
    pk="id",
    not_null=("path", "sha256"),
    indexes=(("municipality", "document_date"), ("doc_type",), ("document_date",), ("year",)),
    unique_indexes=(("path",),),
    fts=("title", "text"),
    json_columns=("pages", "metadata"),
    lemmas=("title", "text"),
)

RECORD_TABLES: dict[str, TableSpec] = {
    spec.kind: spec
    for spec in (
        record_table("dates", {"value": TEXT, "role": TEXT}, indexes=(("value",),)),
        record_table(
            "people",
            {"name": TEXT, "title": TEXT, "role": TEXT, "organization": TEXT},
            indexes=(("name",),),
            links=(("person_id", "persons", "id"),),
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
            lemmas=("text",),
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
            indexes=(("code",), ("total_eur",)),
            json_columns=("partners", "contract_codes"),
            table="project_mentions",
            links=(("project_id", "projects", "id"),),
            lemmas=("code", "title", "programme"),
        ),
        record_table("organizations", {"name": TEXT, "kind": TEXT}, indexes=(("name",),),
                     table="organization_mentions", links=(("organization_id", "organizations", "id"),)),
        record_table("redactions", {"kind": TEXT}),
    )
}

FAILURES = TableSpec(
    name="failures",
    columns={"path": TEXT, "sha256": TEXT, "reason": TEXT, "error_type": TEXT, "failed_at": TEXT},
    pk="path",
    not_null=("reason",),
)

_SEEN = {"mentions": INTEGER, "documents": INTEGER, "first_seen": TEXT, "last_seen": TEXT}

ENTITY_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            name="municipalities",
            columns={"id": TEXT, "name": TEXT, "region": TEXT, "centre": TEXT, "documents": INTEGER},
            pk="id",
            indexes=(("name",), ("region",)),
        ),
        TableSpec(
            name="persons",
            columns={"id": TEXT, "name": TEXT, "aliases": TEXT, "municipality": TEXT, "municipalities": TEXT,
                     "region": TEXT, "titles": TEXT, "roles": TEXT, **_SEEN},
            pk="id",
            indexes=(("name",), ("municipality",)),
            json_columns=("aliases", "municipalities", "titles", "roles"),
            fts=("name", "aliases"),
        ),
        TableSpec(
            name="organizations",
            columns={"id": TEXT, "name": TEXT, "kind": TEXT, "legal_form": TEXT, "municipality": TEXT,
                     "aliases": TEXT, **_SEEN},
            pk="id",
            indexes=(("name",), ("municipality",), ("kind",)),
            json_columns=("aliases",),
            fts=("name", "aliases"),
        ),
        TableSpec(
            name="projects",
            columns={"id": TEXT, "code": TEXT, "contract_codes": TEXT, "title": TEXT, "programme": TEXT,
                     "beneficiary": TEXT, "municipality": TEXT, "start": TEXT, "end": TEXT, "total_eur": REAL,
                     "totals_stated": INTEGER, **_SEEN},
            pk="id",
            indexes=(("municipality",), ("programme",)),
            json_columns=("contract_codes",),
        ),
        TableSpec(
            name="project_documents",
            columns={"project_id": TEXT, "document_id": TEXT, "link": TEXT},
            pk=("project_id", "document_id"),
            foreign_keys=(("project_id", "projects", "id"), ("document_id", "documents", "id")),
            indexes=(("document_id",),),
        ),
        TableSpec(
            name="flags",
            columns={"id": TEXT, "kind": TEXT, "document_id": TEXT, "municipality": TEXT, "explanation": TEXT,
                     "evidence": TEXT, "other_document_id": TEXT},
            pk="id",
            foreign_keys=(("document_id", "documents", "id"), ("other_document_id", "documents", "id")),
            indexes=(("kind",), ("document_id",), ("municipality",)),
            json_columns=("evidence",),
        ),
    )
}
"""Derived tables, rewritten as a whole by entity resolution and the consistency checks at the end
of each build (``index/resolve.py``, ``index/checks.py``)."""

TABLES: dict[str, TableSpec] = {
    DOCUMENTS.name: DOCUMENTS,
    **ENTITY_TABLES,
    **{spec.name: spec for spec in RECORD_TABLES.values()},
    FAILURES.name: FAILURES,
}
"""Every table by name, parents before children (the order they are created in)."""

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
        references = {column: (other, other_column) for column, other, other_column in spec.foreign_keys}
        for column, column_type in spec.columns.items():
            if column not in existing:
                other, other_column = references.get(column, (None, None))
                table.add_column(column, column_type, fk=other, fk_col=other_column)
    for columns in spec.indexes:
        table.create_index(columns, index_name=index_name(spec.name, columns), if_not_exists=True)
    for columns in spec.unique_indexes:
        table.create_index(
            columns, index_name=index_name(spec.name, columns, unique=True), unique=True, if_not_exists=True
        )
    if spec.fts and not table.detect_fts():
        table.enable_fts(list(spec.fts), create_triggers=True, tokenize=FTS_TOKENIZE)
    if spec.lemmas and lemma_fts_name(spec.name) not in db.table_names():
        from .lemmas import fill_lemmas  # simplemma is imported only if a row needs lemmas

        fill_lemmas(db, spec)  # rows stored before the lemma column existed (resumable: only empty ones)
        create_lemma_fts(db, spec.name)


def lemma_fts_name(table: str) -> str:
    """The lemma index of ``table``, e.g. ``documents_lemmas_fts``."""
    return f"{table}_{LEMMA_COLUMN}_fts"


def create_lemma_fts(db: sqlite_utils.Database, table: str) -> None:
    """Create ``table``'s lemma index over its filled lemma column, kept in step by triggers.

    ``content='…'`` is single-quoted on purpose: Datasette and sqlite-utils look for
    ``content="…"`` or ``content=[…]`` to find a table's full-text index, and must keep finding
    ``<table>_fts`` (the search box), not this one.
    """
    fts, column = lemma_fts_name(table), LEMMA_COLUMN
    with db.atomic():
        db.execute(f"create virtual table [{fts}] using fts5([{column}], content='{table}', "
                   f"tokenize='{FTS_TOKENIZE}')")
        db.execute(f"insert into [{fts}]([{fts}]) values ('rebuild')")
        db.execute(f"create trigger if not exists [{table}_{column}_ai] after insert on [{table}] begin "
                   f"insert into [{fts}](rowid, [{column}]) values (new.rowid, new.[{column}]); end")
        db.execute(f"create trigger if not exists [{table}_{column}_ad] after delete on [{table}] begin "
                   f"insert into [{fts}]([{fts}], rowid, [{column}]) values ('delete', old.rowid, old.[{column}]); end")
        db.execute(f"create trigger if not exists [{table}_{column}_au] after update of [{column}] on [{table}] begin "
                   f"insert into [{fts}]([{fts}], rowid, [{column}]) values ('delete', old.rowid, old.[{column}]); "
                   f"insert into [{fts}](rowid, [{column}]) values (new.rowid, new.[{column}]); end")


def _drop_everything(db: sqlite_utils.Database) -> None:
    with db.conn:
        for name in [r[0] for r in db.execute("select name from sqlite_master where type = 'trigger'").fetchall()]:
            db.execute(f"drop trigger if exists [{name}]")
        for name in sorted(fts_table_names(db)):
            if name in db.table_names():
                db.execute(f"drop table if exists [{name}]")
        for name in db.table_names():
            db.execute(f"drop table if exists [{name}]")


SCHEMA_VERSION = 2
"""Bumped when a table changes meaning (version 2: ``projects`` and ``organizations`` became the
resolved entities; their mentions moved to ``project_mentions`` and ``organization_mentions``)."""


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Bring ``db`` up to the declared schema; calling it again changes nothing.

    A database made under an older :data:`SCHEMA_VERSION` is emptied first (every table is
    derived from the corpus, so the next build refills it) rather than patched into a shape
    where an old table means something else.
    """
    version = db.execute("pragma user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        if version < SCHEMA_VERSION and db.table_names():
            _drop_everything(db)
        db.execute(f"pragma user_version = {SCHEMA_VERSION}")
    for spec in TABLES.values():
        ensure_table(db, spec)


def fts_table_names(db: sqlite_utils.Database) -> set[str]:
    """FTS virtual tables and their shadow tables (``documents_fts``, ``documents_fts_data`` ...)."""
    roots = set(db.table_names(fts5=True)) | set(db.table_names(fts4=True))
    return {name for name in db.table_names() if any(name == r or name.startswith(r + "_") for r in roots)}
