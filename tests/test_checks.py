"""Consistency checks (index/checks.py): each with a document that triggers it and one that does not.

The documents are short invented texts in the style of real protocols and project pages; they
go through the whole pipeline (extraction, loading, resolution, checks), so a check is only as
good as the records the extractors give it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

from index import checks
from index.build import build
from index.schema import ENTITY_TABLES

PROTOCOL = """ОБЩИНСКИ СЪВЕТ – ТРОЯН
ПРОТОКОЛ № 7
Днес, 12.03.2025 г., в заседателната зала на Община Троян се проведе редовно заседание на Общинския съвет.
Присъстват 17 от общо 21 общински съветници.

По т. 1 от дневния ред

РЕШЕНИЕ № 101
На основание чл. 21, ал. 1, т. 8 от ЗМСМА Общинският съвет – Троян
РЕШИ:
Дава съгласие за учредяване на право на строеж върху поземлен имот в гр. Троян.
Гласували: за – {for_}, против – 2, въздържали се – 1.
"""

ATTENDANCE = """ОБЩИНСКИ СЪВЕТ – ТРОЯН
ПРОТОКОЛ № 8
Днес, 09.04.2025 г., се проведе заседание на Общинския съвет – Троян.
Присъстват {present} от общо 21 общински съветници. Отсъстват 2 общински съветници.
"""

PROJECT_PAGE = """Община Троян изпълнява проект BG16RFOP002-2.040-0123 „Обновяване на градския парк в гр. Троян“
Публикувано на 10.02.2024 г.
Община Троян подписа договор по проект BG16RFOP002-2.040-0123 по Програма „Развитие на регионите“ 2021 – 2027 г.
Общата стойност на проекта е {total} лв., от които 1 062 500,00 лв. европейско финансиране и 187 500,00 лв. национално съфинансиране.
"""

CLOSING = """Приключи проектът за обновяване на градския парк в гр. Троян
Публикувано на 15.11.2025 г.
Община Троян завърши проект BG16RFOP002-2.040-0123 „Обновяване на градския парк в гр. Троян“.
Общата стойност на проекта е {total}.
"""

WEEKDAY = """Община Троян
Публикувано на 12.06.2024 г.
Публично обсъждане на проекта на бюджет ще се проведе в {weekday}, 19 юни 2024 г., от 17:00 ч. в залата на читалището.
"""

HEADING = """ОБЩИНСКИ СЪВЕТ – ТРОЯН
ПРОТОКОЛ № 5 от 14.10.2021 г.
Днес, {day}.10.2021 г., се проведе заседание на Общински съвет – Троян.
"""

RETURNED = """ОБЩИНСКИ СЪВЕТ – ТРОЯН
ПРОТОКОЛ № 31
Днес, 01.09.2025 г., се проведе заседание на Общински съвет – Троян.
Председателят съобщи, че със Заповед № РД-01-214/18.08.2025 г. Областният управител на област Ловеч връща решение № 356 на Общинския съвет за ново обсъждане на основание чл. 45, ал. 4 от ЗМСМА.
"""

REVOTE = """ОБЩИНСКИ СЪВЕТ – ТРОЯН
ПРОТОКОЛ № 32
Днес, 20.09.2025 г., се проведе заседание на Общински съвет – Троян.
Присъстват 19 от общо 21 общински съветници.

РЕШЕНИЕ № 372
На основание чл. 45, ал. 7 от ЗМСМА Общинският съвет – Троян
РЕШИ:
Потвърждава Решение № 356 на Общинския съвет – Троян в първоначалната му редакция.
Гласували: за – 15, против – 2, въздържали се – 2.
"""


def flags_for(tmp_path: Path, documents: dict[str, str]) -> list[dict]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in documents.items():
        (corpus / name).write_text(text, encoding="utf-8")
    db_path = tmp_path / "l.db"
    build([corpus], db_path)
    return list(sqlite_utils.Database(db_path).query("select * from flags order by kind"))


def kinds(flags: list[dict]) -> set[str]:
    return {f["kind"] for f in flags}


def test_tally_exceeding_present_is_flagged(tmp_path):
    flags = flags_for(tmp_path, {"p.txt": PROTOCOL.format(for_=15)})
    assert "tally_exceeds_present" in kinds(flags)
    flag = next(f for f in flags if f["kind"] == "tally_exceeds_present")
    assert "18 votes" in flag["explanation"] and "17 present" in flag["explanation"]


def test_tally_within_present_is_not_flagged(tmp_path):
    assert "tally_exceeds_present" not in kinds(flags_for(tmp_path, {"p.txt": PROTOCOL.format(for_=14)}))


def test_present_plus_absent_not_total_is_flagged(tmp_path):
    assert "attendance_mismatch" in kinds(flags_for(tmp_path, {"a.txt": ATTENDANCE.format(present=18)}))


def test_present_plus_absent_equal_total_is_not_flagged(tmp_path):
    assert "attendance_mismatch" not in kinds(flags_for(tmp_path, {"a.txt": ATTENDANCE.format(present=19)}))


def test_parts_exceeding_total_are_flagged_with_the_dropped_digit(tmp_path):
    flags = flags_for(tmp_path, {"p.txt": PROJECT_PAGE.format(total="250 000,00")})
    flag = next(f for f in flags if f["kind"] == "budget_parts_mismatch")
    assert "leading digit" in flag["explanation"]


def test_parts_adding_up_are_not_flagged(tmp_path):
    flags = flags_for(tmp_path, {"p.txt": PROJECT_PAGE.format(total="1 250 000,00")})
    assert "budget_parts_mismatch" not in kinds(flags)


def test_one_project_two_totals_is_flagged(tmp_path):
    flags = flags_for(tmp_path, {"a.txt": PROJECT_PAGE.format(total="1 250 000,00"),
                                 "b.txt": CLOSING.format(total="1 312 400 лв.")})
    flag = next(f for f in flags if f["kind"] == "project_total_differs")
    assert flag["other_document_id"] and flag["other_document_id"] != flag["document_id"]


def test_same_total_in_leva_and_euro_is_not_flagged(tmp_path):
    flags = flags_for(tmp_path, {"a.txt": PROJECT_PAGE.format(total="1 250 000,00"),
                                 "b.txt": CLOSING.format(total="639 114,85 евро")})
    assert "project_total_differs" not in kinds(flags)


@pytest.mark.parametrize("weekday, flagged", [("четвъртък", True), ("сряда", False)])
def test_weekday_that_contradicts_the_date(tmp_path, weekday, flagged):
    flags = flags_for(tmp_path, {"w.txt": WEEKDAY.format(weekday=weekday)})
    assert ("weekday_mismatch" in kinds(flags)) is flagged


@pytest.mark.parametrize("day, flagged", [("15", True), ("14", False)])
def test_heading_and_opening_line_dates(tmp_path, day, flagged):
    flags = flags_for(tmp_path, {"h.txt": HEADING.format(day=day)})
    assert ("meeting_date_mismatch" in kinds(flags)) is flagged


def test_returned_decision_never_voted_again_is_flagged(tmp_path):
    flags = flags_for(tmp_path, {"r.txt": RETURNED})
    flag = next(f for f in flags if f["kind"] == "returned_not_revoted")
    assert "356" in flag["explanation"]


def test_returned_decision_voted_again_is_not_flagged(tmp_path):
    flags = flags_for(tmp_path, {"r.txt": RETURNED, "v.txt": REVOTE})
    assert "returned_not_revoted" not in kinds(flags)


# --- the checks over hand-made rows: streaming must not change what they find -------------------


def database(tmp_path: Path) -> sqlite_utils.Database:
    from index.schema import ensure_schema

    db = sqlite_utils.Database(tmp_path / "checks.db")
    ensure_schema(db)
    return db


def add_document(db: sqlite_utils.Database, doc_id: str, *, text: str = "", municipality: str | None = "troyan",
                 date: str | None = "2025-01-01", doc_type: str = "protocol") -> None:
    db["documents"].insert({"id": doc_id, "path": f"{doc_id}.txt", "sha256": doc_id, "text": text,
                            "municipality": municipality, "document_date": date, "doc_type": doc_type})


def add_record(db: sqlite_utils.Database, table: str, record_id: str, doc_id: str, start: int, **fields) -> None:
    db[table].insert({"id": record_id, "document_id": doc_id, "municipality": "troyan", "evidence_start": start,
                      "evidence_end": start + 5, "evidence_text": "…", **fields})


def test_tallies_meet_the_attendance_of_their_own_document_only(tmp_path):
    db = database(tmp_path)
    for doc_id in "abcd":
        add_document(db, doc_id)
    add_record(db, "attendance", "att-a", "a", 0, present=5, total=21)          # no decisions
    add_record(db, "decisions", "dec-b", "b", 10, number="1", votes_for=30)     # no attendance
    add_record(db, "attendance", "att-c1", "c", 0, present=0, total=None)       # 0 present: not a limit
    add_record(db, "attendance", "att-c2", "c", 5, present=9, total=21)
    add_record(db, "decisions", "dec-c", "c", 20, number="2", votes_for=10)
    add_record(db, "decisions", "dec-d", "d", 20, number="3", votes_for=10)
    add_record(db, "attendance", "att-d", "d", 0, present=None, total=8)
    flags = [f for f in checks.find_flags(db) if f["kind"] == "tally_exceeds_present"]
    assert [(f["document_id"], f["explanation"]) for f in flags] == [
        ("c", "Decision 2 counts 10 votes, but the document states 9 present."),
        ("d", "Decision 3 counts 10 votes, but the document states 8 members."),
    ]


def test_run_checks_writes_find_flags_in_order_first_duplicate_wins_and_is_idempotent(tmp_path):
    db = database(tmp_path)
    add_document(db, "b")
    add_document(db, "a")
    add_record(db, "attendance", "att-b", "b", 0, present=10, absent=1, total=21)
    add_record(db, "attendance", "att-a", "a", 0, present=10, absent=1, total=21)
    # Same document, same evidence start: one flag id; the decision first by id is the one kept.
    add_record(db, "decisions", "dec-2", "a", 50, number="2", votes_for=12)
    add_record(db, "decisions", "dec-1", "a", 50, number="1", votes_for=11)
    expected = checks.find_flags(db)
    assert [(f["kind"], f["document_id"]) for f in expected] == [
        ("attendance_mismatch", "a"), ("attendance_mismatch", "b"), ("tally_exceeds_present", "a")]
    assert "Decision 1 counts 11 votes" in expected[-1]["explanation"]
    columns = list(ENTITY_TABLES["flags"].columns)
    for _ in range(2):
        assert checks.run_checks(db) == 3
        stored = list(db.query("select rowid, * from flags order by rowid"))
        assert stored == [{"rowid": i, **{c: f[c] for c in columns}} for i, f in enumerate(expected, 1)]
    assert db.execute("select count(*) from sqlite_temp_master").fetchone()[0] == 0


def test_a_failing_check_leaves_the_old_flags(tmp_path, monkeypatch):
    db = database(tmp_path)
    add_document(db, "a")
    add_record(db, "attendance", "att-a", "a", 0, present=10, absent=1, total=21)
    assert checks.run_checks(db) == 1
    before = list(db.query("select rowid, * from flags"))
    add_record(db, "attendance", "att-a2", "a", 40, present=3, absent=1, total=21)

    def failing(db):
        yield from checks.attendance_mismatch(db)
        raise RuntimeError("check failed")

    monkeypatch.setitem(checks.CHECKS, "failing", failing)
    with pytest.raises(RuntimeError):
        checks.run_checks(db)
    assert list(db.query("select rowid, * from flags")) == before
    monkeypatch.delitem(checks.CHECKS, "failing")
    assert checks.run_checks(db) == 2


RETURN_TEXT = "ОБЛАСТНИЯТ УПРАВИТЕЛ НА ОБЛАСТ ЛОВЕЧ ВРЪЩА РЕШЕНИЕ № 356 ЗА НОВО ОБСЪЖДАНЕ."


@pytest.mark.parametrize("municipality, date, number, flagged", [
    ("troyan", "2025-09-01", "372", False),   # same council, same day
    ("troyan", "2025-09-20", "372", False),   # same council, later
    ("troyan", "2025-08-01", "372", True),    # earlier: cannot answer the return
    ("lovech", "2025-09-20", "372", True),    # another council
    ("troyan", "2025-09-20", "356", True),    # the returned decision itself
    (None, "2025-09-20", "372", True),        # a decision of no known council
])
def test_returned_decision_is_revoted_only_by_a_later_decision_of_the_same_council(
        tmp_path, municipality, date, number, flagged):
    db = database(tmp_path)
    add_document(db, "r", text=RETURN_TEXT, date="2025-09-01")  # upper case: the match ignores case
    add_document(db, "v", municipality=municipality, date=date)
    db["decisions"].insert({"id": "dec-v", "document_id": "v", "municipality": municipality, "number": number,
                            "text": "Потвърждава Решение № 356 на Общинския съвет."})
    flags = [f for f in checks.find_flags(db) if f["kind"] == "returned_not_revoted"]
    assert bool(flags) is flagged
    if flags:
        assert json.loads(flags[0]["evidence"])[0]["text"].endswith("РЕШЕНИЕ № 356")


def test_returned_decision_of_a_document_without_council_needs_a_decision_without_council(tmp_path):
    db = database(tmp_path)
    add_document(db, "r", text=RETURN_TEXT, municipality=None, date="2025-09-01")
    add_document(db, "v", municipality=None, date="2025-09-20")
    db["decisions"].insert({"id": "dec-v", "document_id": "v", "municipality": None, "number": "372",
                            "text": "Потвърждава решение N 356."})
    assert not [f for f in checks.find_flags(db) if f["kind"] == "returned_not_revoted"]
