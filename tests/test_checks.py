"""Consistency checks (index/checks.py): each with a document that triggers it and one that does not.

The documents are short invented texts in the style of real protocols and project pages; they
go through the whole pipeline (extraction, loading, resolution, checks), so a check is only as
good as the records the extractors give it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from index.build import build

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
