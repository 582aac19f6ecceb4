"""One test per wording that real municipal documents use (the list of issue 3), in one place.

Each case is a short text in that wording and what the extractor must read from it.
"""
from __future__ import annotations

import pytest

from extract.document import Document
from extract.fields.agenda import extract_agenda
from extract.fields.amounts import extract_amounts
from extract.fields.attendance import extract_attendance
from extract.fields.dates import extract_dates
from extract.fields.decisions import extract_decisions
from extract.fields.people import extract_people
from extract.fields.projects import extract_projects, find_codes
from extract.fields.votes import parse_tally
from extract.readers.html import read_html_document


def doc(text: str) -> Document:
    return Document(text=text, source="t", sha256="", format="txt")


def names(text: str) -> list[str]:
    return [p["name"] for p in extract_people(doc(text))]


# --- meetings: attendance -------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("В работата взеха участие 18 (осемнадесет) общински съветници.", {"present": 18}),
    ("Присъстват 15 съветници. Отсъстваха Иван Колев и Петър Стоев.", {"present": 15, "absent": 2}),
    ("Присъстват шестимата членове на комисията.", {"present": 6}),
    ("На заседанието присъстват 13 от 17 общински съветници.", {"present": 13, "total": 17}),
    ("След проверка на кворума председателят установи, че присъстват 11 от общо 13 общински съветници.",
     {"present": 11, "total": 13}),
])
def test_attendance_wordings(text, expected):
    attendance = extract_attendance(doc(text))
    assert {key: attendance[key] for key in expected} == expected


# --- meetings: people -----------------------------------------------------------------------

def test_attendees_grouped_by_party():
    text = "От ПП „ГЕРБ“: Ивелина Костадинова, Стефан Желев, Милен Радев;\nОт ДПС: Юксел Мустафа, Бейхан Сабри."
    assert names(text) == ["Ивелина Костадинова", "Стефан Желев", "Милен Радев", "Юксел Мустафа", "Бейхан Сабри"]


def test_guests_with_roles():
    people = extract_people(doc("Присъстваха още: Мустафа Хасанов – кмет на община Тервел, Десислава Колева – секретар на общината."))
    assert [(p["name"], p["role"].split()[0]) for p in people] == [("Мустафа Хасанов", "кмет"), ("Десислава Колева", "секретар")]


def test_the_chair():
    people = extract_people(doc("Заседанието беше открито и ръководено от Атанас Бояджиев – председател на ОбС – Сандански."))
    assert people[0]["name"] == "Атанас Бояджиев" and people[0]["role"].startswith("председател на ОбС")


def test_speakers_as_initial_and_surname():
    assert names("Д. Колев – Предлагам средствата да се пренасочат.\nК. Мечкаров: Не приемам.") == ["Д. Колев", "К. Мечкаров"]


# --- decisions ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, number", [
    ("РЕШЕНИЕ № 212\nОтпуска финансова помощ на клуба.\nГласували: за – 12, против – 1, въздържали се – 0.", "212"),
    ("Р Е Ш Е Н И Е № 407/12.03.2020г.\nОбщински съвет – Разлог РЕШИ:\nДава съгласие за кредит.\nГласували: за – 13, против – 2.", "407"),
    ("Общински съвет – Тервел\nРЕШИ:\nРЕШЕНИЕ № 5\nОпределя представител.\nЗа – 9, против – 0.", "5"),
])
def test_decision_headings(text, number):
    decisions = extract_decisions(doc(text), "protocol")
    assert [d["number"] for d in decisions] == [number]


def test_operative_text_follows_reshi():
    text = "РЕШЕНИЕ № 58\nНа основание чл. 21 от ЗМСМА Общински съвет – Тутракан РЕШИ:\nОдобрява плана.\nГласували: за – 10, против – 0."
    assert extract_decisions(doc(text), "decision")[0]["text"] == "Одобрява плана."


@pytest.mark.parametrize("text, expected", [
    ("с 13 гласа „за”, 1 глас „въздържал се”, 0 гласа „против” от 14 присъстващи", (13, 0, 1)),
    ("27 „за“, 0 „против“", (27, 0, None)),
    ("Гласували: 15 „за“, „против” няма.", (15, 0, None)),
    ("Приема – 7/0/2", (7, 0, 2)),
    ("не приема – 3/1/5", (3, 1, 5)),
    ("Поименно гласуване:\nИме\tЗа\tПротив\tВъздържал се\nИван Петров\tХ\t\t\nМария Колева\tХ\t\t\nГеорги Стоев\t\tХ\t\n", (2, 1, 0)),
])
def test_tally_wordings(text, expected):
    tally = parse_tally(text)
    assert (tally.votes_for, tally.votes_against, tally.votes_abstained) == expected


def test_not_adopted_wording_is_rejected():
    decisions = extract_decisions(doc("Проектът за решение се подлага на гласуване.\nне приема – 3/1/5"), "protocol")
    assert decisions[0]["outcome"] == "rejected"


def test_reference_to_another_act_is_not_a_decision():
    text = "Ново обсъждане на решение № 215 по протокол № 18/30.05.2019 г., върнато със Заповед № АК-01-62/07.06.2019 г. на областния управител по чл. 45 ЗМСМА."
    assert extract_decisions(doc(text), "protocol") == []
    assert {d["role"] for d in extract_dates(doc(text))} == {"reference"}


def test_agenda_items_with_registry_numbers():
    text = "ДНЕВЕН РЕД:\n1. 410-01-93/14.06.2019 г. – Предложение от Костадин Мечкаров относно бюджета.\n2. 410-01-97/18.06.2019 г. – Предложение относно помощи.\n"
    items = extract_agenda(doc(text))
    assert [i["number"] for i in items] == ["1", "2"] and items[0]["text"].startswith("410-01-93/14.06.2019 г.")


# --- project pages and press releases -------------------------------------------------------

@pytest.mark.parametrize("text, code", [
    ("по проект BG 05M9ОР001 – 2.004- 0033 „Заедно“", "BG05M9OP001-2.004-0033"),
    ("договор BG05M9OP001-2.004-0033-С03 за", "BG05M9OP001-2.004-0033-C03"),
    ("проект BG05SFOP001-2.025-0007Община Иваново", "BG05SFOP001-2.025-0007"),
    ("по договор № 14/06/2/0/00123 от ПРСР", "14/06/2/0/00123"),
    ("проект CB005.1.22.017 по Interreg", "CB005.1.22.017"),
])
def test_project_codes(text, code):
    assert code in [c for *_, c in find_codes(text)]


def test_procedure_code_kept_apart_from_the_project_code():
    text = "проект BG05SFOP001-2.025-0108 по процедура BG05SFOP001-2.025 „Повишаване на гражданското участие“"
    project = extract_projects(doc(text), [], None)[0]
    assert project["code"] == "BG05SFOP001-2.025-0108" and project["procedure"] == "BG05SFOP001-2.025"


@pytest.mark.parametrize("code, programme", [
    ("BG05SFOP001-2.025-0001", "Добро управление"),
    ("BG05M9OP001-2.040-0112", "Развитие на човешките ресурси"),
    ("BG16RFOP001-1.020-0003", "Региони в растеж"),
    ("BG06RDNP001-7.007-0025", "селските райони"),
])
def test_programme_from_the_code_prefix_alone(code, programme):
    assert programme in extract_projects(doc(f"Проект {code}."), [], None)[0]["programme"]


@pytest.mark.parametrize("text, value, currency", [
    ("сума лв.2 340 100 за", 2340100, "BGN"),
    ("стойност 59875 лв.", 59875, "BGN"),
    ("стойност 59875.20 лв.", 59875.2, "BGN"),
    ("45 хил. лева", 45000, "BGN"),
    ("1,2 млн. лв.", 1200000, "BGN"),
    ("12 500 евро", 12500, "EUR"),
])
def test_amount_wordings(text, value, currency):
    amount = extract_amounts(doc(text))[0]
    assert (amount["value"], amount["currency"]) == (value, currency)


def test_eu_national_own_split():
    text = ("Общата стойност е 100 000 лв., от които 85 000 лв. европейско финансиране, 10 000 лв. национално "
            "съфинансиране и 5 000 лв. собствен принос на общината.")
    assert [a["role"] for a in extract_amounts(doc(text))] == ["total", "eu", "national", "own"]


def test_duration_with_period():
    text = "Проект BG05SFOP001-2.025-0108. Продължителността на проекта е 17 месеца, считано от 20.07.2022 г. до 20.12.2023г."
    document = doc(text)
    project = extract_projects(document, extract_dates(document), None)[0]
    assert (project["duration_months"], project["start"], project["end"]) == (17, "2022-07-20", "2023-12-20")


# --- noise ----------------------------------------------------------------------------------

def test_site_noise_stays_out_of_the_main_text(tmp_path):
    html = ("<html><head><title>Новини</title></head><body><div class='top'>Сряда, 19 юни 2024</div>"
            "<nav><a href='/'>Начало</a> <a href='/n'>Новини</a></nav><div id='cookie-banner'>Използваме бисквитки. Приемам</div>"
            "<article><h1>Община Лом обяви търг</h1><p>Общината обяви търг за ремонт на улици на стойност 120 000 лв.</p>"
            "<p>Срокът за подаване на оферти е до 12.07.2024 г.</p></article>"
            "<footer>Проект BG05SFOP001-1.002-0001 „Добро управление“ © Община Лом</footer></body></html>").encode()
    document = read_html_document(tmp_path / "page.html", html)
    assert "търг" in document.text and "бисквитки" not in document.text and "BG05SFOP001-1.002-0001" not in document.text


@pytest.mark.parametrize("text", ["Ученици от НЧ „Христо Ботев“ изнесоха концерт.",
                                  "Децата от ОУ „Иван Вазов“ посетиха музея."])
def test_names_inside_institution_names_are_not_people(text):
    assert names(text) == []
