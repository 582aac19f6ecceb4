"""Consistency checks across records and documents: the numbers that don't add up.

Each check is a function over database rows that returns flags; :func:`run_checks` rewrites
the ``flags`` table with all of them in one transaction at the end of a build (after entity
resolution, which the cross-document checks rely on). A flag says what is inconsistent in a
sentence a reader understands and carries the evidence spans involved, so the Datasette page
can link to the exact places.

The checks, in ``CHECKS`` order:

- ``tally_exceeds_present``: a decision's votes add up to more than the members present (or
  than the body's members);
- ``attendance_mismatch``: present + absent differs from the body's stated total;
- ``budget_parts_mismatch``: EU + national + own contributions do not make the stated total
  (with a hint when a leading digit seems dropped: 250 000 for 1 250 000);
- ``project_total_differs``: two documents state different totals for one project (compared in EUR);
- ``weekday_mismatch`` / ``meeting_date_mismatch``: a date contradicts the document's own date
  (``Сряда, 19 юни 2024`` when 19 June 2024 was a Wednesday is fine; a Thursday is not), or the
  heading and the opening line give two different meeting dates;
- ``returned_not_revoted``: the regional governor returned a decision (чл. 45 ЗМСМА) and no later
  decision of that council refers to it again.

Memory stays flat as the corpus grows: every check streams its rows from SQLite (grouped per
document or per project with :func:`itertools.groupby` over an ordered query) and holds at most
one document's or one project's rows at a time; :func:`run_checks` deduplicates and sorts the
flags in a TEMP table rather than in Python.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from itertools import groupby
from operator import itemgetter
from typing import Callable, Iterable, Iterator

import sqlite_utils

from extract.lexicon import date_lexicon

from .schema import ENTITY_TABLES, RECORD_TABLES, ensure_table

Flag = dict
TOLERANCE_EUR = 1.0
"""Rounding slack when comparing money: stated parts are rounded to cents or whole units."""


def _evidence(document_id: str, row: dict) -> dict:
    return {"document_id": document_id, "start": row.get("evidence_start"), "end": row.get("evidence_end"),
            "text": row.get("evidence_text")}


def _flag(kind: str, document_id: str, municipality: str | None, explanation: str, evidence: list[dict],
          other_document_id: str | None = None) -> Flag:
    key = json.dumps([kind, document_id, other_document_id, [(e["document_id"], e["start"]) for e in evidence]])
    return {"id": f"{kind}:{hashlib.sha1(key.encode()).hexdigest()[:12]}", "kind": kind, "document_id": document_id,
            "municipality": municipality, "explanation": explanation,
            "evidence": json.dumps(evidence, ensure_ascii=False), "other_document_id": other_document_id}


def _by_document(rows: Iterable[dict]) -> Iterator[tuple[str, Iterator[dict]]]:
    """``(document_id, rows)`` groups of a query ordered by ``document_id, id``: one document at a time."""
    return groupby(rows, key=itemgetter("document_id"))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(TOLERANCE_EUR, 0.0005 * max(abs(a), abs(b)))


def _amount(value: float | None) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(",00", "") if value is not None else "?"


def tally_exceeds_present(db: sqlite_utils.Database) -> Iterable[Flag]:
    # One stream of both tables in document order, each document's attendance before its decisions
    # (SQLite merges the two index scans), so only one document's rows are ever held.
    shared = "municipality, evidence_start, evidence_end, evidence_text"
    rows = db.query(
        f"select 1 as is_decision, id, document_id, number, votes_for, votes_against, votes_abstained, "
        f"null as present, null as total, {shared} from {RECORD_TABLES['decisions'].name} union all "
        f"select 0, id, document_id, null, null, null, null, present, total, {shared} "
        f"from {RECORD_TABLES['attendance'].name} order by document_id, is_decision, id")
    for doc_id, document_rows in _by_document(rows):
        document_rows = list(document_rows)
        attendance = [a for a in document_rows if not a["is_decision"]]
        present = next((a for a in attendance if a["present"]), None)
        total = next((a for a in attendance if a["total"]), None)
        for decision in document_rows[len(attendance):]:
            votes = [decision[c] for c in ("votes_for", "votes_against", "votes_abstained") if decision[c] is not None]
            if not votes:
                continue
            cast = sum(votes)
            for limit_row, limit_column, word in ((present, "present", "present"), (total, "total", "members")):
                if limit_row and cast > limit_row[limit_column]:
                    yield _flag("tally_exceeds_present", doc_id, decision["municipality"],
                                f"Decision {decision['number'] or ''} counts {cast} votes, but the document states "
                                f"{limit_row[limit_column]} {word}.".replace("  ", " "),
                                [_evidence(doc_id, decision), _evidence(doc_id, limit_row)])
                    break


def attendance_mismatch(db: sqlite_utils.Database) -> Iterable[Flag]:
    for doc_id, rows in _by_document(db.query(f"select * from {RECORD_TABLES['attendance'].name} "
                                              "order by document_id, id")):
        for row in rows:
            if None not in (row["present"], row["absent"], row["total"]) and row["present"] + row["absent"] != row["total"]:
                yield _flag("attendance_mismatch", doc_id, row["municipality"],
                            f"{row['present']} present and {row['absent']} absent make "
                            f"{row['present'] + row['absent']}, but the body has {row['total']} members.",
                            [_evidence(doc_id, row)])


def _dropped_digit(parts: float, total: float) -> bool:
    whole_parts, whole_total = str(int(round(parts))), str(int(round(total)))
    return len(whole_parts) > len(whole_total) and whole_parts.endswith(whole_total)


def budget_parts_mismatch(db: sqlite_utils.Database) -> Iterable[Flag]:
    for row in db.query(f"select * from {RECORD_TABLES['projects'].name} order by id"):
        parts = [row[c] for c in ("eu", "national", "own") if row[c] is not None]
        total = row["total"]
        if total is None or len(parts) < 2:
            continue
        grant = sum(row[c] for c in ("eu", "national") if row[c] is not None)
        if _close(sum(parts), total) or (row["eu"] is not None and row["national"] is not None and _close(grant, total)):
            continue
        if len(parts) < 3 and sum(parts) < total:
            continue  # a part may simply be unstated (or the page gives one partner's share)
        hint = " A leading digit of the total seems to be missing." if _dropped_digit(sum(parts), total) else ""
        yield _flag("budget_parts_mismatch", row["document_id"], row["municipality"],
                    f"Project {row['code']}: the EU, national and own parts add up to {_amount(sum(parts))} "
                    f"{row['currency'] or ''}, but the stated total is {_amount(total)}.{hint}".replace(" .", "."),
                    [_evidence(row["document_id"], row)])


def project_total_differs(db: sqlite_utils.Database) -> Iterable[Flag]:
    rows = db.query("select m.id, m.document_id, m.project_id, m.total_eur, m.municipality, m.evidence_start, "
                    f"m.evidence_end, m.evidence_text, d.document_date from {RECORD_TABLES['projects'].name} m "
                    "join documents d on d.id = m.document_id "
                    "where m.project_id is not null and m.total_eur is not null "
                    "order by m.project_id, d.document_date, m.id")
    for project, stated in groupby(rows, key=itemgetter("project_id")):  # one project at a time
        first = next(stated)
        for other in stated:
            if other["document_id"] != first["document_id"] and not _close(first["total_eur"], other["total_eur"]):
                yield _flag("project_total_differs", other["document_id"], other["municipality"],
                            f"Project {project}: this document states a total of {_amount(other['total_eur'])} EUR, "
                            f"an earlier one {_amount(first['total_eur'])} EUR.",
                            [_evidence(other["document_id"], other), _evidence(first["document_id"], first)],
                            other_document_id=first["document_id"])
                break


_WEEKDAYS = {name: i for i, name in enumerate(date_lexicon()["weekdays"])}
_WEEKDAY_NAMES = "|".join(_WEEKDAYS)
_WEEKDAY_BEFORE = re.compile(rf"({_WEEKDAY_NAMES})\s*,?\s*(?:\([^)]*\)\s*)?$", re.I)
_WEEKDAY_FIRST = re.compile(rf"\s*({_WEEKDAY_NAMES})\b", re.I)  # "сряда, 19 юни 2024" read as one date
_WEEKDAY_AFTER = re.compile(rf"\s*(?:г\.)?\s*\(?\s*({_WEEKDAY_NAMES})", re.I)


def weekday_mismatch(db: sqlite_utils.Database) -> Iterable[Flag]:
    # Only the 20 characters before and 25 after each date are read, not whole document texts.
    for row in db.query(
            f"select t.*, substr(d.text, max(1, t.evidence_start - 19), min(t.evidence_start, 20)) as before_text, "
            f"substr(d.text, t.evidence_end + 1, 25) as after_text from {RECORD_TABLES['dates'].name} t "
            "join documents d on d.id = t.document_id order by t.document_id, t.id"):
        written = _WEEKDAY_BEFORE.search(row["before_text"] or "") or \
            _WEEKDAY_FIRST.match(row["evidence_text"] or "") or _WEEKDAY_AFTER.match(row["after_text"] or "")
        if not written or not row["value"]:
            continue
        day = dt.date.fromisoformat(row["value"])
        if _WEEKDAYS[written.group(1).lower()] != day.weekday():
            actual = date_lexicon()["weekdays"][day.weekday()]
            yield _flag("weekday_mismatch", row["document_id"], row["municipality"],
                        f"The text calls {row['value']} a {written.group(1).lower()}; it was a {actual}.",
                        [_evidence(row["document_id"], row)])


def meeting_date_mismatch(db: sqlite_utils.Database, head_chars: int = 800) -> Iterable[Flag]:
    # cross join: read the dates in document order (by index) instead of sorting them all
    dates = db.query(f"select t.* from {RECORD_TABLES['dates'].name} t cross join documents d on d.id = t.document_id "
                     "where d.doc_type in ('protocol', 'decision') and t.role = 'meeting' "
                     "order by t.document_id, t.id")
    for doc_id, meeting_dates in _by_document(dates):
        heading = [d for d in meeting_dates if (d["evidence_start"] or 0) < head_chars]
        values = sorted({d["value"] for d in heading})
        if len(values) > 1:
            yield _flag("meeting_date_mismatch", doc_id, heading[0]["municipality"],
                        f"The beginning of the document gives different meeting dates: {', '.join(values)}.",
                        [_evidence(doc_id, d) for d in heading])


_RETURN = re.compile(
    r"(?:областни(?:я|ят)\s+управител|областен\s+управител)[^.]{0,200}?(?:връща|върна)[^.]{0,80}?"
    r"решение\s*(?:№|N)\s*(?P<n>\d+)|(?:връща|върнат[оа]?)[^.]{0,120}?решение\s*(?:№|N)\s*(?P<m>\d+)"
    r"[^.]{0,200}?(?:областни(?:я|ят)\s+управител|чл\.\s*45)", re.I)


_RETURN_VERB = re.compile(r"връща|върна", re.I)
"""What every match of ``_RETURN`` contains (``върнат`` too): a quick test that skips most texts."""


def returned_decisions(text: str) -> list[tuple[int, int, str]]:
    """Decisions the regional governor returned, as (start, end, decision number) in ``text``."""
    if not _RETURN_VERB.search(text):
        return []
    return [(m.start(), m.end(), m["n"] or m["m"]) for m in _RETURN.finditer(text)]


def returned_not_revoted(db: sqlite_utils.Database) -> Iterable[Flag]:
    # Returned decisions are rare: for each one, only the same council's decisions whose text holds
    # the number at all (``instr``, a necessary condition of the regex) are read and matched.
    candidates = (f"select d.number, d.text, doc.document_date from {RECORD_TABLES['decisions'].name} d "
                  "join documents doc on doc.id = d.document_id where d.municipality is ? and instr(d.text, ?) > 0")
    # Every flag's id holds its own document and offset, so the documents' order does not matter.
    for doc in db.query("select id, municipality, document_date, text from documents"):
        for start, end, number in returned_decisions(doc["text"] or ""):
            refers = re.compile(rf"решени[ея]\s*(?:№|N)\s*{number}\b", re.I)
            if any(refers.search(d["text"] or "") and d["number"] != number
                   and (d["document_date"] or "") >= (doc["document_date"] or "")
                   for d in db.query(candidates, [doc["municipality"], number])):
                continue
            yield _flag("returned_not_revoted", doc["id"], doc["municipality"],
                        f"Decision № {number} was returned by the regional governor, and no later decision of this "
                        "council in the archive refers to it again.",
                        [{"document_id": doc["id"], "start": start, "end": end, "text": doc["text"][start:end]}])


CHECKS: dict[str, Callable[[sqlite_utils.Database], Iterable[Flag]]] = {
    "tally_exceeds_present": tally_exceeds_present,
    "attendance_mismatch": attendance_mismatch,
    "budget_parts_mismatch": budget_parts_mismatch,
    "project_total_differs": project_total_differs,
    "weekday_mismatch": weekday_mismatch,
    "meeting_date_mismatch": meeting_date_mismatch,
    "returned_not_revoted": returned_not_revoted,
}


def _raised(db: sqlite_utils.Database) -> Iterator[Flag]:
    """Every flag every check raises, in ``CHECKS`` order, duplicates included, as they are found."""
    for check in CHECKS.values():
        yield from check(db)


def find_flags(db: sqlite_utils.Database) -> list[Flag]:
    """Every flag every check raises, deduplicated by id (the first one raised wins), in a stable order.

    Holds all flags in memory: for tests and small databases; :func:`run_checks` does not use it.
    """
    found: dict[str, Flag] = {}
    for flag in _raised(db):
        found.setdefault(flag["id"], flag)
    return sorted(found.values(), key=lambda f: (f["kind"], f["document_id"], f["id"]))


_PENDING = "letopis_pending_flags"
"""The TEMP table :func:`run_checks` collects flags in before they replace ``flags``."""


def run_checks(db: sqlite_utils.Database) -> int:
    """Rewrite the ``flags`` table from scratch, atomically; returns the number of flags.

    The same rows, in the same rowid order, as inserting :func:`find_flags`: flags go into a TEMP
    table as they are raised (``insert or ignore`` on the id keeps the first, like ``setdefault``)
    and are copied into ``flags`` ordered by kind, document and id, so no Python list of flags
    grows with the corpus. Everything happens in one transaction (a savepoint inside the build's).
    """
    spec = ENTITY_TABLES["flags"]
    columns = list(spec.columns)
    names = ", ".join(f"[{c}]" for c in columns)
    with db.atomic():
        if not db[spec.name].exists():
            ensure_table(db, spec)
        db.execute(f"drop table if exists temp.[{_PENDING}]")
        db.execute(f"create temp table [{_PENDING}] ("
                   + ", ".join(f"[{c}] {t}{' primary key' if c == spec.pk else ''}" for c, t in spec.columns.items())
                   + ")")
        insert = f"insert or ignore into temp.[{_PENDING}] ({names}) values ({', '.join('?' for _ in columns)})"
        for flag in _raised(db):
            db.execute(insert, [flag.get(c) for c in columns])
        db[spec.name].delete_where()
        db.execute(f"insert into [{spec.name}] ({names}) select {names} from temp.[{_PENDING}] "
                   "order by kind, document_id, id")
        count = db.execute(f"select count(*) from temp.[{_PENDING}]").fetchone()[0]
        db.execute(f"drop table temp.[{_PENDING}]")
    return count
