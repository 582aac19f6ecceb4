"""What the document and entity pages show, read from a ``sqlite3`` connection (no web code here).

Each loader returns plain dicts for a template; :func:`document_spans` turns a document's
records into the highlights of its text, each saying what was extracted.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ..schema import RECORD_TABLES
from .highlight import Span, money

KINDS: dict[str, str] = {
    "decisions": "decision",
    "agenda_items": "agenda_item",
    "attendance": "attendance",
    "projects": "project",
    "amounts": "amount",
    "dates": "date",
    "people": "person",
    "organizations": "organization",
    "redactions": "redaction",
}
"""Contract record kind → the CSS class (and legend name) of its highlights, outermost kinds first."""

LABELS: dict[str, str] = {
    "decision": "decision", "agenda_item": "agenda item", "attendance": "attendance", "project": "project",
    "amount": "amount", "date": "date", "person": "person", "organization": "organisation",
    "redaction": "masked personal number",
}


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _confidence(row: dict) -> str:
    if row.get("confidence") is None:
        return ""
    return f"; confidence {row['confidence']:.2f} ({row.get('method') or 'method unknown'})"


def describe(kind: str, row: dict) -> str:
    """What was extracted from a span, in one line (the highlight's tooltip).

    >>> describe("amount", {"value": 65410.72, "currency": "BGN", "value_eur": 33443.55, "role": "total"})
    'amount: 65 410,72 BGN = 33 443,55 EUR, role total'
    """
    if kind == "amount":
        text = f"amount: {money(row.get('value'))} {row.get('currency') or ''}".rstrip()
        if row.get("currency") != "EUR" and row.get("value_eur") is not None:
            text += f" = {money(row['value_eur'])} EUR"
        text += f", role {row.get('role') or 'other'}"
    elif kind == "date":
        text = f"date: {row.get('value')}, role {row.get('role') or 'other'}"
    elif kind == "person":
        details = ", ".join(v for v in (row.get("title"), row.get("role"), row.get("organization")) if v)
        text = f"person: {row.get('name')}" + (f" ({details})" if details else "")
    elif kind == "decision":
        votes = [row.get("votes_for"), row.get("votes_against"), row.get("votes_abstained")]
        text = f"decision{' № ' + str(row['number']) if row.get('number') else ''}: {row.get('outcome') or 'outcome not stated'}"
        if any(v is not None for v in votes):
            text += ", votes {} for / {} against / {} abstained".format(*("?" if v is None else v for v in votes))
    elif kind == "agenda_item":
        text = f"agenda item {row.get('number') or ''}".rstrip()
    elif kind == "attendance":
        text = f"attendance: {row.get('present')} present, {row.get('absent')} absent, {row.get('total')} members"
    elif kind == "project":
        text = f"project: {row.get('code') or 'no code'}, {row.get('title') or 'untitled'}"
        if row.get("programme"):
            text += f", programme {row['programme']}"
        if row.get("total") is not None:
            text += f", total {money(row['total'])} {row.get('currency') or ''}".rstrip()
            if row.get("currency") != "EUR" and row.get("total_eur") is not None:
                text += f" = {money(row['total_eur'])} EUR"
    elif kind == "organization":
        text = f"organisation: {row.get('name')} ({row.get('kind') or 'other'})"
    elif kind == "redaction":
        text = f"personal number masked ({row.get('kind')}); the number is not stored"
    else:
        text = kind
    return text + _confidence(row)


def entity_href(base: str, kind: str, row: dict) -> str | None:
    """The page of the entity a mention belongs to, if resolved (``base`` is the database path)."""
    from datasette.utils import tilde_encode

    for column, table in (("person_id", "persons"), ("organization_id", "organizations"), ("project_id", "projects")):
        if row.get(column):
            return f"{base}/{table}/{tilde_encode(str(row[column]))}"
    return None


def document_records(conn: sqlite3.Connection, doc_id: str) -> dict[str, list[dict]]:
    """Every record of one document by highlight kind, in text order (lemma columns left out)."""
    records = {}
    for contract_kind, kind in KINDS.items():
        spec = RECORD_TABLES[contract_kind]
        columns = ", ".join(f"[{c}]" for c in spec.columns if c != "lemmas")
        records[kind] = _rows(conn, f"select {columns} from [{spec.name}] where document_id = ? "
                                    "order by evidence_start, id", [doc_id])
    return records


def document_spans(records: dict[str, list[dict]], base: str) -> list[Span]:
    """The highlights of a document's text: one per record with evidence, anchored by the record id."""
    return [
        Span(row["evidence_start"], row["evidence_end"], kind, row["id"], describe(kind, row),
             entity_href(base, kind, row))
        for kind, rows in records.items() for row in rows
        if row.get("evidence_start") is not None and row.get("evidence_end") is not None
    ]


def page_breaks(pages: str | None) -> dict[int, int]:
    """Offset → page number for every page after the first (``documents.pages`` is a JSON list)."""
    try:
        starts = json.loads(pages or "[0]")
    except ValueError:
        return {}
    return {start: n for n, start in enumerate(starts, start=1) if n > 1 and isinstance(start, int)}


def load_document(conn: sqlite3.Connection, doc_id: str) -> dict | None:
    """The document row (without lemmas), its records, flags and linked projects; ``None`` if unknown."""
    found = _rows(conn, "select id, path, source_url, sha256, format, title, doc_type, doc_type_confidence, "
                        "municipality, document_date, text, pages, indexed_at from documents where id = ?", [doc_id])
    if not found:
        return None
    document = found[0]
    document["records"] = document_records(conn, doc_id)
    document["flags"] = _rows(conn, "select id, kind, explanation from flags where document_id = ? "
                                    "or other_document_id = ? order by kind, id", [doc_id, doc_id])
    document["projects"] = _rows(conn, "select p.id, p.title, pd.link from project_documents pd "
                                       "join projects p on p.id = pd.project_id where pd.document_id = ? "
                                       "order by p.id", [doc_id])
    return document


def archived_file(root: Path, path: str | None) -> Path | None:
    """The archived file of a document under ``root``, or ``None`` if it is not there (or outside root)."""
    if not path:
        return None
    root = root.resolve()
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


ENTITIES: dict[str, dict[str, str]] = {
    "persons": {
        "mentions": "people", "link": "person_id", "kind": "person",
        "columns": "m.name as as_written, m.title, m.role, m.organization",
    },
    "organizations": {
        "mentions": "organization_mentions", "link": "organization_id", "kind": "organization",
        "columns": "m.name as as_written, m.kind",
    },
    "projects": {
        "mentions": "project_mentions", "link": "project_id", "kind": "project",
        "columns": "m.code, m.title as as_written, m.programme, m.beneficiary, m.currency, m.total, m.eu, "
                   "m.national, m.own, m.total_eur, m.start, m.\"end\"",
    },
}
"""Entity table → its mention table, the link column, and what each mention row shows."""


def load_entity(conn: sqlite3.Connection, table: str, entity_id: str) -> dict | None:
    """One person, organisation or project with every mention, oldest document first; ``None`` if unknown."""
    spec = ENTITIES[table]
    found = _rows(conn, f"select * from [{table}] where id = ?", [entity_id])
    if not found:
        return None
    entity = found[0]
    for column in ("aliases", "municipalities", "titles", "roles", "contract_codes"):
        if isinstance(entity.get(column), str):
            try:
                entity[column] = json.loads(entity[column])
            except ValueError:
                pass
    entity["appearances"] = _rows(conn, f"""
        select m.id as mention_id, m.document_id, {spec['columns']}, m.evidence_text, m.confidence,
               d.title as document_title, d.doc_type, d.document_date, d.municipality
        from [{spec['mentions']}] m join documents d on d.id = m.document_id
        where m.[{spec['link']}] = ?
        order by d.document_date is null, d.document_date, m.document_id, m.evidence_start""", [entity_id])
    if table == "projects":
        mentioned = {m["document_id"] for m in entity["appearances"]}
        entity["title_documents"] = [d for d in _rows(conn, """
            select d.id as document_id, d.title as document_title, d.doc_type, d.document_date, d.municipality,
                   pd.link
            from project_documents pd join documents d on d.id = pd.document_id
            where pd.project_id = ?
            order by d.document_date is null, d.document_date, d.id""", [entity_id])
            if d["document_id"] not in mentioned]
    return entity
