"""Field extractors (extract/fields/*.py) on the hard cases real municipal documents have.

Every test builds a small ``Document`` and, besides the field values, checks that every returned
record's evidence is an honest slice of the document text.
"""
from __future__ import annotations

import pytest

from extract.contract import AMOUNT_ROLES, BGN_PER_EUR, DATE_ROLES, DOC_TYPES, ORG_KINDS
from extract.document import Document
from extract.fields.agenda import extract_agenda
from extract.fields.amounts import extract_amounts, parse_number
from extract.fields.attendance import extract_attendance
from extract.fields.dates import extract_dates, find_dates
from extract.fields.decisions import extract_decisions
from extract.fields.doctype import classify_doc_type, rule_doc_type
from extract.fields.municipality import extract_municipality
from extract.fields.organizations import extract_organizations
from extract.fields.people import extract_people
from extract.fields.projects import canonical_code, extract_projects, find_codes
from extract.fields.votes import outcome_of, parse_tally


def doc_of(text: str) -> Document:
    return Document(text=text, source="t", sha256="", format="txt")


def assert_evidence(doc: Document, records) -> None:
    """Each record's evidence is ``doc.text[start:end]`` on the right page."""
    if isinstance(records, dict):
        records = [records]
    for record in records:
        evidence = record["evidence"] if "evidence" in record else record
        assert 0 <= evidence["start"] <= evidence["end"] <= len(doc.text)
        assert evidence["text"] == doc.text[evidence["start"]:evidence["end"]]
        assert evidence["page"] == doc.page_of(evidence["start"])


# ============================================================================================
# Dates
# ============================================================================================

def dates_of(text: str) -> tuple[Document, list[dict]]:
    doc = doc_of(text)
    dates = extract_dates(doc)
    assert_evidence(doc, dates)
    assert all(d["role"] in DATE_ROLES for d in dates)
    return doc, dates


@pytest.mark.parametrize("text,value,written", [
    ("Заседанието е на 14.10.2021 г. в зала 1.", "2021-10-14", "14.10.2021 г."),
    ("Протоколът е съставен 14.10.2021г", "2021-10-14", "14.10.2021г"),
    ("Договорът е сключен на 6.08.2014 г.", "2014-08-06", "6.08.2014 г."),
    ("Сряда, 19 Юни 2024", "2024-06-19", "19 Юни 2024"),
    ("Срещата е на 19 юни 2024 г. в Габрово.", "2024-06-19", "19 юни 2024 г."),
    ("ДНЕС, 25 ФЕВРУАРИ 2025", "2025-02-25", "25 ФЕВРУАРИ 2025"),
    ("Протокол от 22.IV.2022 г.", "2022-04-22", "22.IV.2022 г."),
    ("Дата: 1.1.2024", "2024-01-01", "1.1.2024"),
])
def test_dates_written_forms(text, value, written):
    doc, dates = dates_of(text)
    assert [d["value"] for d in dates] == [value]
    assert written in dates[0]["evidence"]["text"]
    assert find_dates(text)[0][2] == value


def test_date_inside_a_reference_number():
    doc, dates = dates_of("Работната група, определена със Заповед № РД-01-05-373/06.10.2021 г. на кмета, заседава.")
    assert [(d["value"], d["role"]) for d in dates] == [("2021-10-06", "reference")]
    assert dates[0]["evidence"]["text"].startswith("06.10.2021")


def test_date_reference_to_a_decision_and_protocol():
    doc, dates = dates_of("Съгласно решение № 215 по протокол № 18/30.05.2019 г. кметът сключи договор.")
    assert [(d["value"], d["role"]) for d in dates] == [("2019-05-30", "reference")]


def test_date_period_from_to():
    doc, dates = dates_of("Проектът се изпълнява за периода от 08.11.2013г. до 08.08.2014г.")
    assert [(d["value"], d["role"]) for d in dates] == [("2013-11-08", "start"), ("2014-08-08", "end")]
    assert dates[0]["evidence"]["text"] == "08.11.2013г."


def test_date_period_with_a_dash():
    doc, dates = dates_of("Срок на проекта : 26.07.2022 г. - 26.07.2023 г.")
    assert [(d["value"], d["role"]) for d in dates] == [("2022-07-26", "start"), ("2023-07-26", "end")]


def test_date_published():
    doc, dates = dates_of("Дата на публикуване: 30.03.2023")
    assert [(d["value"], d["role"]) for d in dates] == [("2023-03-30", "published")]


def test_date_meeting_with_hour():
    doc, dates = dates_of("Заседанието ще се проведе на 28.03.2024 г. от 10:00 ч. в залата.")
    assert [(d["value"], d["role"]) for d in dates] == [("2024-03-28", "meeting")]


def test_date_deadline():
    doc, dates = dates_of("Краен срок за подаване на документи: 15.05.2024 г.")
    assert [(d["value"], d["role"]) for d in dates] == [("2024-05-15", "deadline")]


def test_date_start_and_end_labels():
    doc, dates = dates_of("Начална дата: 01.02.2022 г.\nКрайна дата: 31.07.2023 г.")
    assert [(d["value"], d["role"]) for d in dates] == [("2022-02-01", "start"), ("2023-07-31", "end")]


@pytest.mark.parametrize("text", [
    "Програмен период 2021-2027",
    "Програма „Развитие на регионите“ 2021–2027 г.",
    "Срокът изтича през май 2026 г.",
    "За справки: тел. 0893 532 069",
    "Поземлен имот с идентификатор 36498.501.2817 по КККР",
    "Невалидна дата 31.02.2024 г.",
    "Невалидна дата 32.01.2024",
    "Ден 12.13.2024",
])
def test_not_dates(text):
    doc, dates = dates_of(text)
    assert dates == []
    assert find_dates(text) == []


# ============================================================================================
# Amounts
# ============================================================================================

def amounts_of(text: str) -> tuple[Document, list[dict]]:
    doc = doc_of(text)
    amounts = extract_amounts(doc)
    assert_evidence(doc, amounts)
    for amount in amounts:
        assert amount["role"] in AMOUNT_ROLES
        expected_eur = amount["value"] if amount["currency"] == "EUR" else amount["value"] / BGN_PER_EUR
        assert amount["value_eur"] == pytest.approx(expected_eur, abs=0.01)
    return doc, amounts


@pytest.mark.parametrize("text,value,currency,written", [
    ("Сумата е 65 410,72 лв. с ДДС.", 65410.72, "BGN", "65 410,72 лв."),
    ("Сумата е 60 660 лв. без ДДС.", 60660, "BGN", "60 660 лв."),
    ("Бюджетът е 1,2 млн. лв. за годината.", 1_200_000, "BGN", "1,2 млн. лв."),
    ("Отпуснати са 45 хил. лева за ремонт.", 45_000, "BGN", "45 хил. лева"),
    ("Приходи: лв.2 340 100", 2_340_100, "BGN", "лв.2 340 100"),
    ("Цена 59875.20 лв.", 59875.20, "BGN", "59875.20 лв."),
    ("Цена 1.250.000 лв.", 1_250_000, "BGN", "1.250.000 лв."),
    ("Цена 1.250.000.12 лв.", 1_250_000.12, "BGN", "1.250.000.12 лв."),
    ("Наградата е 12 500 евро.", 12500, "EUR", "12 500 евро"),
    ("Таксата е € 4 300,50.", 4300.50, "EUR", "€ 4 300,50"),
    ("Бюджет 1 000 000 BGN.", 1_000_000, "BGN", "1 000 000 BGN"),
])
def test_amount_written_forms(text, value, currency, written):
    doc, amounts = amounts_of(text)
    assert len(amounts) == 1
    assert amounts[0]["value"] == pytest.approx(value)
    assert amounts[0]["currency"] == currency
    assert amounts[0]["evidence"]["text"] == written


def test_amount_no_convention_explains_is_left_out_and_the_rest_kept():
    doc, amounts = amounts_of("Стойност 1.523 443.6 лв. по договора, а авансът е 12 500 лв.")
    assert [(a["value"], a["currency"]) for a in amounts] == [(12500, "BGN")]


def test_amount_value_eur_is_bgn_over_fixed_rate():
    doc, amounts = amounts_of("Сумата е 65 410,72 лв.")
    assert amounts[0]["value_eur"] == round(65410.72 / 1.95583, 2)
    doc, amounts = amounts_of("Сумата е 12 500 евро.")
    assert amounts[0]["value_eur"] == 12500


def test_amount_with_words_in_brackets():
    doc, amounts = amounts_of("Еднократна помощ в размер на 5 000 (пет хиляди) лева.")
    assert [(a["value"], a["currency"]) for a in amounts] == [(5000, "BGN")]
    assert amounts[0]["evidence"]["text"].startswith("5 000")


@pytest.mark.parametrize("raw,value", [
    ("65 410,72", 65410.72), ("1.250.000", 1_250_000), ("59875.20", 59875.20), ("1,2", 1.2),
    ("2 340 100", 2_340_100), ("1.250.000,50", 1_250_000.50), ("60\u00a0660", 60660),
])
def test_parse_number(raw, value):
    assert parse_number(raw) == pytest.approx(value)


def test_amount_roles_total_eu_national():
    doc, amounts = amounts_of("Обща стойност на проекта: 59 875,20 лева, от които 50 893,92 лева европейско "
                              "и 8 981,28 лева национално съфинансиране.")
    assert [(a["value"], a["role"]) for a in amounts] == [(59875.20, "total"), (50893.92, "eu"), (8981.28, "national")]


def test_amount_role_own_contribution():
    doc, amounts = amounts_of("Проектът е на стойност 390 000 лв., а собственият принос на общината е 39 000 лв.")
    assert [(a["value"], a["role"]) for a in amounts] == [(390000, "total"), (39000, "own")]
    doc, amounts = amounts_of("Собствен принос: 12 000 лв.")
    assert [(a["value"], a["role"]) for a in amounts] == [(12000, "own")]


def test_amount_euro_equivalent_takes_the_same_role():
    doc, amounts = amounts_of("Общата стойност на проекта е 148 600 лв. (75 977,97 евро).")
    assert [(a["value"], a["currency"], a["role"]) for a in amounts] == [
        (148600, "BGN", "total"), (75977.97, "EUR", "total")]


def test_amount_project_value_label_is_total():
    doc, amounts = amounts_of("Стойност на проекта: 148 600 лв. (75 977,97 евро)")
    assert [(a["value"], a["role"]) for a in amounts] == [(148600, "total"), (75977.97, "total")]


@pytest.mark.parametrize("text", [
    "Изпълнени са 100% от дейностите.",
    "Закупени са 20 бр. компютри.",
    "Сградата е с площ 1 250 кв. м.",
    "Решение № 1250 от 2024 г.",
])
def test_not_amounts(text):
    doc, amounts = amounts_of(text)
    assert amounts == []


def test_same_amount_repeated_is_reported_once():
    doc, amounts = amounts_of("Сумата от 5 000 лв. е платена. Отново: 5 000 лв. бяха платени.")
    assert len(amounts) == 1
    assert amounts[0]["evidence"]["start"] == doc.text.index("5 000 лв.")


# ============================================================================================
# Projects
# ============================================================================================

def projects_of(text: str, municipality: str | None = None) -> tuple[Document, list[dict]]:
    doc = doc_of(text)
    dates = extract_dates(doc)
    projects = extract_projects(doc, dates, municipality, extract_amounts(doc))
    assert_evidence(doc, projects)
    return doc, projects


def test_isun_code():
    text = "Проект BG05SFOP001-2.025-0007 „Повишаване на капацитета на Община Тутракан“"
    assert find_codes(text) == [(7, 29, "BG05SFOP001-2.025-0007")]
    doc, projects = projects_of(text)
    assert projects[0]["code"] == "BG05SFOP001-2.025-0007"
    assert projects[0]["evidence"]["text"] == "BG05SFOP001-2.025-0007"


def test_damaged_code_is_repaired():
    raw = "BG 05M9\u041e\u0420001 – 2.004- 0033"  # spaces, an en dash, Cyrillic О and Р
    assert canonical_code(raw) == "BG05M9OP001-2.004-0033"
    text = f"Договор {raw} за изпълнение на проекта"
    codes = find_codes(text)
    assert [c for *_, c in codes] == ["BG05M9OP001-2.004-0033"]
    assert text[codes[0][0]:codes[0][1]] == raw
    doc, projects = projects_of(text)
    assert projects[0]["code"] == "BG05M9OP001-2.004-0033"
    assert projects[0]["evidence"]["text"] == raw


def test_contract_suffixes_fold_into_the_project():
    doc, projects = projects_of("Подписан е договор BG05M9OP001-2.004-0033-C01, а анекс "
                                "BG05M9OP001-2.004-0033-\u042103 удължи срока.")  # Cyrillic С in the second
    assert len(projects) == 1
    assert projects[0]["code"] == "BG05M9OP001-2.004-0033"
    assert projects[0]["contract_codes"] == ["BG05M9OP001-2.004-0033-C01", "BG05M9OP001-2.004-0033-C03"]


def test_procedure_code_is_kept_apart():
    doc, projects = projects_of("По процедура BG05SFOP001-2.025 „Подкрепа за ефективно управление“ е сключен "
                                "договор BG05SFOP001-2.025-0007-C01.", "Тутракан")
    assert [p["code"] for p in projects] == ["BG05SFOP001-2.025-0007"]
    assert projects[0]["procedure"] == "BG05SFOP001-2.025"
    assert projects[0]["contract_codes"] == ["BG05SFOP001-2.025-0007-C01"]
    assert projects[0]["programme"] == "Оперативна програма „Добро управление“"
    assert projects[0]["title"] is None  # the quoted name belongs to the procedure


def test_procedure_alone_is_not_a_project():
    doc, projects = projects_of("Отворена е процедура BG05SFOP001-2.025 „Подкрепа за ефективно управление“.")
    assert projects == []


@pytest.mark.parametrize("text,code", [
    ("Изпълнява се по договор №13-13-107 от 2014 г.", "13-13-107"),
    ("Договор № 14/06/2/0/00123 по ПРСР", "14/06/2/0/00123"),
    ("Проект CB005.1.22.017 „Съвместни действия“", "CB005.1.22.017"),
])
def test_old_rural_and_interreg_codes(text, code):
    assert [c for *_, c in find_codes(text)] == [code]
    doc, projects = projects_of(text)
    assert [p["code"] for p in projects] == [code]


def test_interreg_programme_from_code():
    doc, projects = projects_of("Проект CB005.1.22.017 „Съвместни действия за опазване на културното наследство“ "
                                "се изпълнява в партньорство с Община Одрин.", "Петрич")
    project = projects[0]
    assert project["programme"] == "Програма за трансгранично сътрудничество Interreg-ИПП „България – Турция“"
    assert project["title"] == "Съвместни действия за опазване на културното наследство"
    assert project["partners"] == ["Община Одрин"]
    assert project["beneficiary"] == "Община Петрич"


def test_code_glued_to_the_next_word():
    text = "по проект BG05M9OP001-2.004-0033Обществени трапезарии в Община Кочериново"
    assert [c for *_, c in find_codes(text)] == ["BG05M9OP001-2.004-0033"]
    doc, projects = projects_of(text)
    assert projects[0]["evidence"]["text"] == "BG05M9OP001-2.004-0033"


def test_2007_2013_code():
    text = "Проект BG051PO001-5.2.12-0012 „Социални услуги в общността“"
    assert [c for *_, c in find_codes(text)] == ["BG051PO001-5.2.12-0012"]


def test_project_full_record():
    text = ("Община Враца изпълнява проект BG16RFOP001-1.009-0001 „Обновяване на градската среда в кв. „Дъбника“, "
            "гр. Враца“ по Оперативна програма „Региони в растеж“. Бенефициент на проекта е Сдружение „Център Динамика“. "
            "Партньори по проекта са Фондация „Кореняк“ и Община Мездра. Срок на проекта: 26.07.2022 г. - 26.07.2023 г. "
            "Продължителност: 17 месеца. Обща стойност на проекта: 59 875,20 лева, от които 50 893,92 лева европейско "
            "и 8 981,28 лева национално съфинансиране.")
    doc, projects = projects_of(text, "Враца")
    assert len(projects) == 1
    project = projects[0]
    assert project["code"] == "BG16RFOP001-1.009-0001"
    assert project["title"] == "Обновяване на градската среда в кв. „Дъбника“, гр. Враца"
    assert project["programme"] == "Оперативна програма „Региони в растеж“"
    assert project["beneficiary"] == "Сдружение „Център Динамика“"
    assert project["partners"] == ["Фондация „Кореняк“", "Община Мездра"]
    assert (project["start"], project["end"]) == ("2022-07-26", "2023-07-26")
    assert project["duration_months"] == 17
    assert project["currency"] == "BGN"
    assert (project["total"], project["eu"], project["national"], project["own"]) == (59875.20, 50893.92, 8981.28, None)
    assert project["total_eur"] == round(59875.20 / BGN_PER_EUR, 2)


def test_project_programme_from_code_prefix():
    doc, projects = projects_of("Проект BG05SFOP001-2.025-0007 „Подкрепа за общинската администрация“.")
    assert projects[0]["programme"] == "Оперативна програма „Добро управление“"


def test_project_programme_from_words():
    doc, projects = projects_of("Община Елена изпълнява договор № 14/06/2/0/00123 „Реконструкция на улици в гр. Елена“ "
                                "по Програмата за развитие на селските райони 2014-2020 г.", "Елена")
    project = projects[0]
    assert project["programme"] == "Програма за развитие на селските райони"
    assert project["title"] == "Реконструкция на улици в гр. Елена"
    assert project["beneficiary"] == "Община Елена"


def test_project_period_from_dates_and_duration_in_words():
    doc, projects = projects_of("Проект BG05M9OP001-2.004-0033 „Обществени трапезарии“ се изпълнява за периода "
                                "от 08.11.2013г. до 08.08.2014г. Продължителността е 9 (девет) месеца.")
    project = projects[0]
    assert (project["start"], project["end"]) == ("2013-11-08", "2014-08-08")
    assert project["duration_months"] == 9


def test_project_beneficiary_after_se_izpalnyava_ot():
    doc, projects = projects_of("Проект №13-13-107 „Красива България“ се изпълнява от Община Иваново.", "Русе")
    assert projects[0]["beneficiary"] == "Община Иваново"


def test_two_projects_each_take_their_own_section():
    doc, projects = projects_of("Проект BG05SFOP001-2.025-0007 „Подкрепа за администрацията“ по ОП „Добро управление“.\n\n"
                                "Проект BG16RFOP001-1.009-0001 „Обновяване на парк“ по ОП „Региони в растеж“.")
    assert [(p["code"], p["title"], p["programme"]) for p in projects] == [
        ("BG05SFOP001-2.025-0007", "Подкрепа за администрацията", "Оперативна програма „Добро управление“"),
        ("BG16RFOP001-1.009-0001", "Обновяване на парк", "Оперативна програма „Региони в растеж“"),
    ]


def test_no_codes_no_projects():
    doc, projects = projects_of("Общината ремонтира улица с 60 660 лв. от бюджета си.", "Елена")
    assert projects == []


# ============================================================================================
# People
# ============================================================================================

def people_of(text: str) -> tuple[Document, list[dict]]:
    doc = doc_of(text)
    people = extract_people(doc)
    assert_evidence(doc, people)
    return doc, people


def test_person_with_titles_and_role():
    doc, people = people_of("Д-р инж. Светозар Михайлов – председател на работната група отбеляза, че срокът е кратък.")
    assert len(people) == 1
    person = people[0]
    assert person["name"] == "Светозар Михайлов"
    assert person["title"] == "Д-р инж."
    assert person["role"].startswith("председател на работната група")
    assert "отбеляза" not in person["role"]
    assert person["evidence"]["text"] == "Светозар Михайлов"


@pytest.mark.parametrize("text", ["Докладва К. Селска.", "Изготвил: /К. Селска/", "Протоколист:\n/К. Селска/"])
def test_person_initial_and_surname(text):
    doc, people = people_of(text)
    assert [p["name"] for p in people] == ["К. Селска"]


def test_person_in_latin_capitals():
    doc, people = people_of("Председател: LUBKA DJONOVA")
    assert [p["name"] for p in people] == ["LUBKA DJONOVA"]


def test_person_with_a_glued_dash():
    doc, people = people_of("Евгения Милчева- директор на ДГ „Слънце“")
    assert [p["name"] for p in people] == ["Евгения Милчева"]
    assert people[0]["role"].startswith("директор")
    doc, people = people_of("Изказване: Евгения Милчева-")
    assert [p["name"] for p in people] == ["Евгения Милчева"]


def test_person_after_a_place_name():
    doc, people = people_of("Присъстваха: Община Велинград Огнян Бечев, Областна администрация Пазарджик Иван Колев.")
    assert [p["name"] for p in people] == ["Огнян Бечев", "Иван Колев"]


def test_people_in_a_party_list():
    doc, people = people_of("От ПП „ГЕРБ“: Ивелина Костадинова, Стефан Желев")
    assert [p["name"] for p in people] == ["Ивелина Костадинова", "Стефан Желев"]


def test_two_given_names_in_a_list():
    doc, people = people_of("Присъстваха: Юксел Мустафа, Ахмед Хасан и Мехмед Юсеин.")
    assert [p["name"] for p in people] == ["Юксел Мустафа", "Ахмед Хасан", "Мехмед Юсеин"]


def test_same_person_twice_is_one_record():
    doc, people = people_of("Докладва: инж. Иван Петров – зам.-кмет. След това Иван Петров отговори на въпросите.")
    assert len(people) == 1
    assert people[0]["title"] == "инж."
    assert people[0]["role"] == "зам.-кмет"
    assert people[0]["evidence"]["start"] == doc.text.index("Иван Петров")


def test_role_written_before_the_name():
    doc, people = people_of("Заместник-кмет Петя Колева откри срещата.")
    assert [(p["name"], p["role"]) for p in people] == [("Петя Колева", "заместник-кмет")]


def test_deputy_mayor_definite_form_before_the_name():
    doc, people = people_of("Заместник-кметът Петя Колева откри срещата.")
    assert [p["name"] for p in people] == ["Петя Колева"]
    assert people[0]["role"].lower().startswith("заместник-кмет")


@pytest.mark.parametrize("text", [
    "Срещата се проведе на ул. „Васил Левски“ № 5.",
    "Учениците от ОУ „Христо Ботев“ участваха.",
    "Жителите на с. Владо Тричков се събраха.",
    "Срещата в Бяла Слатина завърши.",
    "Община Бяла Слатина обяви търг.",
    "Община Иваново организира празник.",
    "по бул. „Христо Ботев“ и на пл. „Свобода“",
])
def test_not_people(text):
    doc, people = people_of(text)
    assert people == []


def test_school_without_quotes_is_not_a_person():
    doc, people = people_of("Учениците от ОУ Христо Ботев участваха в конкурса.")
    assert people == []


# ============================================================================================
# Attendance
# ============================================================================================

def attendance_of(text: str) -> tuple[Document, dict | None]:
    doc = doc_of(text)
    attendance = extract_attendance(doc)
    if attendance is not None:
        assert_evidence(doc, attendance)
    return doc, attendance


def counts(attendance: dict) -> tuple:
    return attendance["present"], attendance["absent"], attendance["total"]


def test_attendance_x_members_of_y():
    doc, attendance = attendance_of("Присъствали 12 членове от определените със заповедта 15 членове.")
    assert counts(attendance) == (12, None, 15)
    assert attendance["evidence"]["text"].startswith("12")


def test_attendance_present_in_figures_absent_by_name():
    doc, attendance = attendance_of("В работата взеха участие 18 (осемнадесет) общински съветници. "
                                    "Отсъстваха Иван Колев и Петър Стоев.")
    assert counts(attendance)[:2] == (18, 2)


def test_attendance_number_word():
    doc, attendance = attendance_of("Присъстват шестимата членове на комисията.")
    assert counts(attendance)[0] == 6


def test_attendance_x_of_y_short():
    doc, attendance = attendance_of("На заседанието присъстваха 13 от 17 общински съветници.")
    assert counts(attendance) == (13, None, 17)
    assert attendance["evidence"]["text"] == "13 от 17"


def test_attendance_stated_total_then_present():
    doc, attendance = attendance_of("Общ брой общински съветници – 33. Присъствали на заседанието – 28.")
    assert counts(attendance) == (28, None, 33)


def test_attendance_from_a_roll_call_vote():
    doc, attendance = attendance_of("Поименно гласуване:\n1. Иван Петров – за\n2. Мария Колева – за\n"
                                    "3. Георги Стоев – отсъства\n4. Петя Димова – против\n")
    assert counts(attendance) == (3, 1, 4)


def test_attendance_from_a_quorum_roll_call():
    doc, attendance = attendance_of("Проверка на кворума:\n1. Иван Петров – присъства\n2. Мария Колева – присъства\n"
                                    "3. Георги Стоев – отсъства\n4. Петя Димова – присъства\n")
    assert attendance is not None and counts(attendance) == (3, 1, 4)


def test_no_attendance():
    doc, attendance = attendance_of("Заседанието е насрочено за 20.05.2021 г. от 10 часа.")
    assert attendance is None


# ============================================================================================
# Votes
# ============================================================================================

def tally_of(text: str) -> tuple:
    tally = parse_tally(text)
    return tally.votes_for, tally.votes_against, tally.votes_abstained


@pytest.mark.parametrize("text,expected,outcome", [
    ("Гласували: за – 12, против – 0, въздържали се – 1.", (12, 0, 1), "adopted"),
    ("Решението е прието с 13 гласа „за”, 1 глас „въздържал се”, 0 гласа „против” от 14 присъстващи.", (13, 0, 1), "adopted"),
    ("Гласували: 27 „за“, 0 „против“.", (27, 0, None), "adopted"),
    ("Гласували: 15 „за”, „против” няма, 2 „въздържал се”.", (15, 0, 2), "adopted"),
    ("Приема – 7/0/2", (7, 0, 2), "adopted"),
    ("Комисията не приема – 3/1/5", (3, 1, 5), "rejected"),
    ("Гласуване: 3/4/2 – не се приема", (3, 4, 2), "rejected"),
    ("Приет с 41 „за“, няма „против“ и „въздържали се“.", (41, 0, 0), "adopted"),
    ("ЗА – 12, ПРОТИВ – 0, ВЪЗДЪРЖАЛИ СЕ – 1", (12, 0, 1), "adopted"),
    ("Предложението не събра необходимото мнозинство: 8 „за“, 5 „против“, 4 „въздържал се“.", (8, 5, 4), "rejected"),
])
def test_tallies(text, expected, outcome):
    tally = parse_tally(text)
    assert tally.found
    assert tally_of(text) == expected
    assert outcome_of(text, tally) == outcome
    # The span covers the numbers it read.
    span = text[tally.start:tally.end]
    assert str(expected[0]) in span


def test_tally_unanimous():
    tally = parse_tally("Решението се приема единодушно.")
    assert tally.found
    assert (tally.votes_against, tally.votes_abstained) == (0, 0)
    assert outcome_of("Решението се приема единодушно.", tally) == "adopted"
    assert tally_of("Приема се единодушно с 11 гласа.") == (11, 0, 0)


def test_tally_roll_call():
    text = ("Поименно гласуване:\n1. Иван Петров – за\n2. Мария Колева – против\n"
            "3. Георги Стоев – въздържал се\n4. Петя Димова – за")
    tally = parse_tally(text)
    assert tally_of(text) == (2, 1, 1)
    assert text[tally.start:tally.end].startswith("1. Иван Петров")
    assert text[tally.start:tally.end].endswith("Петя Димова – за")


@pytest.mark.parametrize("text", [
    "Заседанието е насрочено за 20.05.2021 г.",
    "Срокът е за 3 месеца.",
    "Отпускат се средства за 12 деца.",
])
def test_not_tallies(text):
    tally = parse_tally(text)
    assert not tally.found
    assert outcome_of(text, tally) is None


# ============================================================================================
# Decisions
# ============================================================================================

def decisions_of(text: str, doc_type: str = "protocol") -> tuple[Document, list[dict]]:
    doc = doc_of(text)
    decisions = extract_decisions(doc, doc_type)
    assert_evidence(doc, decisions)
    return doc, decisions


TERVEL = """По т. 1 от дневния ред

Гласували: за – 12, против – 0, въздържали се – 1.
Общински съвет – Тервел прие

РЕШЕНИЕ № 212

На основание чл. 21, ал. 1, т. 6 от ЗМСМА Общински съвет – Тервел РЕШИ:
Приема годишния отчет за изпълнение на бюджета на Община Тервел за 2023 г.

По т. 2 от дневния ред

РЕШЕНИЕ № 213

На основание чл. 21, ал. 1, т. 8 от ЗМСМА Общински съвет – Тервел РЕШИ:
Дава съгласие за отдаване под наем на имот – публична общинска собственост.
Гласували: за – 10, против – 2, въздържали се – 1.
"""


def test_council_decisions_with_tally_before_and_after_the_heading():
    doc, decisions = decisions_of(TERVEL)
    assert [d["number"] for d in decisions] == ["212", "213"]
    first, second = decisions
    assert first["text"] == "Приема годишния отчет за изпълнение на бюджета на Община Тервел за 2023 г."
    assert (first["votes_for"], first["votes_against"], first["votes_abstained"]) == (12, 0, 1)
    assert first["outcome"] == "adopted"
    assert second["text"] == "Дава съгласие за отдаване под наем на имот – публична общинска собственост."
    assert (second["votes_for"], second["votes_against"], second["votes_abstained"]) == (10, 2, 1)
    assert second["outcome"] == "adopted"
    # The operative text, not the legal basis or the tally.
    assert "ЗМСМА" not in first["text"] and "Гласували" not in second["text"]


def test_decision_evidence_is_tight():
    doc, decisions = decisions_of(TERVEL)
    for decision in decisions:
        assert decision["evidence"]["text"] == decision["evidence"]["text"].strip()
        assert decision["evidence"]["text"] == decision["text"]


def test_spaced_heading_with_number_and_date():
    doc, decisions = decisions_of("ОБЩИНСКИ СЪВЕТ – РАЗЛОГ\n\nР Е Ш Е Н И Е № 407/12.03.2020г.\n\n"
                                  "На основание чл. 21, ал. 1, т. 8 от ЗМСМА, Общинският съвет – Разлог\n\nР Е Ш И:\n\n"
                                  "1. Одобрява продажбата на имот № 61813.752.123.\n2. Възлага на кмета да сключи договор.\n\n"
                                  "Гласували: 15 „за“, 0 „против“, 2 „въздържали се“.", "decision")
    assert len(decisions) == 1
    decision = decisions[0]
    assert decision["number"] == "407"
    assert decision["text"].startswith("1. Одобрява продажбата")
    assert "Възлага на кмета" in decision["text"]
    assert (decision["votes_for"], decision["votes_against"], decision["votes_abstained"]) == (15, 0, 2)


def test_spaced_heading_with_number_on_the_next_line():
    doc, decisions = decisions_of("ОБЩИНСКИ СЪВЕТ – БРЕЗНИК\n\nР Е Ш Е Н И Е\n№ 318\n\nОбщински съвет – Брезник РЕШИ:\n"
                                  "Приема Наредба за изменение на Наредбата за местните данъци.\n", "decision")
    assert [d["number"] for d in decisions] == ["318"]
    assert decisions[0]["text"] == "Приема Наредба за изменение на Наредбата за местните данъци."


@pytest.mark.parametrize("text", [
    "С решение № 215 по протокол № 18/30.05.2019 г. Общинският съвет даде съгласие за продажба. Кметът докладва.",
    "Отменя решение № 215 по протокол № 18/30.05.2019 г.",
    "Във връзка с Решение № 215 по Протокол № 18 от 30.05.2019 г. кметът сключи договор.",
])
def test_reference_to_a_decision_is_not_a_decision(text):
    doc, decisions = decisions_of(text)
    assert decisions == []


def test_committee_opinion_with_slash_tally():
    doc, decisions = decisions_of("Точка 3. Становище: Комисията предлага на Общинския съвет да приеме бюджета на "
                                  "Община Своге за 2024 г.\nГласуване: Приема – 7/0/2.")
    assert len(decisions) == 1
    decision = decisions[0]
    assert decision["number"] is None
    assert "Комисията предлага на Общинския съвет да приеме бюджета" in decision["text"]
    assert (decision["votes_for"], decision["votes_against"], decision["votes_abstained"]) == (7, 0, 2)
    assert decision["outcome"] == "adopted"


def test_committee_rejects():
    doc, decisions = decisions_of("Становище: Комисията предлага да се отпуснат 2 000 лв. на читалището.\n"
                                  "Гласуване: 3/4/2 – не се приема.")
    assert len(decisions) == 1
    assert decisions[0]["outcome"] == "rejected"
    assert (decisions[0]["votes_for"], decisions[0]["votes_against"]) == (3, 4)


def test_working_group_resolutions():
    doc, decisions = decisions_of("Работната група обсъди проекта на програмата.\n"
                                  "Работната група приема графика за изпълнение на дейностите.\n")
    assert len(decisions) == 1
    assert decisions[0]["text"] == "Работната група приема графика за изпълнение на дейностите."
    assert decisions[0]["outcome"] == "adopted"


def test_working_group_accepted_proposal():
    doc, decisions = decisions_of("Работната група обсъди графика.\n"
                                  "Мария Иванова предложи срещите да се провеждат всеки месец. Предложението бе прието.")
    assert len(decisions) == 1
    assert decisions[0]["text"] == "Мария Иванова предложи срещите да се провеждат всеки месец. Предложението бе прието."
    assert decisions[0]["outcome"] == "adopted"


def test_working_group_resolution_then_accepted_proposal():
    doc, decisions = decisions_of("Работната група обсъди проекта на програмата.\n"
                                  "Работната група приема графика за изпълнение на дейностите.\n"
                                  "Димитър Колев предложи срокът да бъде удължен с един месец. Предложението бе прието.")
    assert [d["text"] for d in decisions] == [
        "Работната група приема графика за изпълнение на дейностите.",
        "Димитър Колев предложи срокът да бъде удължен с един месец. Предложението бе прието.",
    ]


def test_resolutions_only_in_protocols():
    doc, decisions = decisions_of("Работната група приема графика за изпълнение на дейностите.", "press_release")
    assert decisions == []


# ============================================================================================
# Agenda
# ============================================================================================

def agenda_of(text: str) -> tuple[Document, list[dict]]:
    doc = doc_of(text)
    items = extract_agenda(doc)
    assert_evidence(doc, items)
    return doc, items


def test_agenda_numbered_with_continuation_lines():
    doc, items = agenda_of("ПОКАНА\n\nСвиквам заседание на Общински съвет – Елена на 28.03.2024 г. от 10:00 ч. при следния\n\n"
                           "ДНЕВЕН РЕД:\n"
                           "1. Отчет за изпълнение на бюджета на Община Елена за 2023 г.\n"
                           "2. Приемане на Наредба за изменение на Наредбата за определянето\n"
                           "и администрирането на местните такси и цени на услуги\n"
                           "3. Питания на граждани.\n\n"
                           "Председател на Общински съвет: Иван Петров\n")
    assert [i["number"] for i in items] == ["1", "2", "3"]
    assert items[0]["text"] == "Отчет за изпълнение на бюджета на Община Елена за 2023 г."
    assert items[1]["text"] == ("Приемане на Наредба за изменение на Наредбата за определянето и администрирането "
                                "на местните такси и цени на услуги")
    assert items[2]["text"] == "Питания на граждани."
    assert "\n" in items[1]["evidence"]["text"]


def test_agenda_items_starting_with_registry_numbers():
    doc, items = agenda_of("ДНЕВЕН РЕД:\n"
                           "1. 410-01-93/14.06.2019 г. – Предложение от Кмета на Общината относно приемане на отчет.\n"
                           "2. 410-01-94/14.06.2019 г. – Предложение от Кмета на Общината относно продажба на имот.\n"
                           "3. 410-01-95/17.06.2019 г. – Докладна записка от Председателя на ОбС относно награди.\n")
    assert [i["number"] for i in items] == ["1", "2", "3"]
    assert items[0]["text"].startswith("410-01-93/14.06.2019 г. – Предложение от Кмета")
    assert items[2]["text"].endswith("относно награди.")


def test_agenda_bullets_with_presenter_lines():
    doc, items = agenda_of("Дневен ред\n\n"
                           "- Приемане на бюджета на Община Ардино за 2025 г.\nВносител: Кмет на общината\n"
                           "- Приемане на програма за управление на общинската собственост\nВносител: Кмет на общината\n"
                           "- Разни\n\nЗаседанието е открито за граждани.\n")
    assert [(i["number"], i["text"]) for i in items] == [
        ("1", "Приемане на бюджета на Община Ардино за 2025 г."),
        ("2", "Приемане на програма за управление на общинската собственост"),
        ("3", "Разни"),
    ]


def test_agenda_in_running_text_stops_at_the_first_item_section():
    doc, items = agenda_of("ПРОТОКОЛ № 19\n\nПредседателят откри заседанието. При следния дневен ред:\n"
                           "1. Приемане на отчет за дейността на Общински съвет – Своге.\n"
                           "2. Определяне на представител в общото събрание на ВиК.\n"
                           "По т. 1 от дневния ред\n"
                           "Председателят представи отчета.\n"
                           "3. Текст, който не е точка от дневния ред.\n")
    assert [(i["number"], i["text"]) for i in items] == [
        ("1", "Приемане на отчет за дейността на Общински съвет – Своге."),
        ("2", "Определяне на представител в общото събрание на ВиК."),
    ]


def test_agenda_without_heading_before_item_sections():
    doc, items = agenda_of("ПРОТОКОЛ № 4\n\n1. Отчет за 2023 г.\n2. Разни.\n\nПо т. 1\nДокладва кметът.\n")
    assert [i["text"] for i in items] == ["Отчет за 2023 г.", "Разни."]


def test_no_agenda():
    doc, items = agenda_of("Община Елена съобщава, че ремонтът на улиците продължава.\n1. Първо.\n2. Второ.\n")
    assert items == []


# ============================================================================================
# Municipality
# ============================================================================================

def municipality_of(text: str) -> str | None:
    doc = doc_of(text)
    name, evidence = extract_municipality(doc)
    if evidence is not None:
        assert_evidence(doc, evidence)
    if name is not None:
        assert evidence is not None
    return name


@pytest.mark.parametrize("text,name", [
    ("Община Кочериново обявява конкурс за длъжността.", "Кочериново"),
    ("ОБЩИНСКИ СЪВЕТ – ТЕРВЕЛ\nПРОТОКОЛ № 5", "Тервел"),
    ("Среща в гр. Русе. Община Иваново организира. Кметът на Община Иваново откри. Община Иваново благодари.", "Иваново"),
    ("Община Иваново, област Русе. В област Русе, област Русе и област Русе има осем общини.", "Иваново"),
    ("Столична община обявява търг.", "Столична"),
    ("Общински съвет – Ихтиман прие бюджета.", "Ихтиман"),
    ("Община Бяла Слатина обявява търг.", "Бяла Слатина"),
])
def test_municipality(text, name):
    assert municipality_of(text) == name


def test_region_does_not_count():
    assert municipality_of("Областният управител на област Русе свика среща.") is None


def test_no_municipality():
    assert municipality_of("Днес се проведе среща на работната група.") is None


def test_municipality_evidence_points_at_the_name():
    doc = doc_of("Община Кочериново обявява конкурс.")
    name, evidence = extract_municipality(doc)
    assert evidence["text"] == "Кочериново"


# ============================================================================================
# Document type
# ============================================================================================

@pytest.mark.parametrize("text,label", [
    ("ОБЩИНСКИ СЪВЕТ – ЕЛЕНА\nПРОТОКОЛ № 2\nот заседание на Общински съвет", "protocol"),
    ("П Р О Т О К О Л\n№ 23", "protocol"),
    ("РЕШЕНИЕ № 58\nот 28.03.2024 г.", "decision"),
    ("Р Е Ш Е Н И Е\n№ 318", "decision"),
    ("ИЗВЛЕЧЕНИЕ ОТ ПРОТОКОЛ № 5\nот заседание на Общински съвет\nРЕШЕНИЕ № 58", "decision"),
    ("ПОКАНА\nСвиквам заседание на Общинския съвет", "agenda"),
    ("ОБЯВЛЕНИЕ\nОбщина Девин обявява публично обсъждане", "announcement"),
    ("ОТЧЕТ за дейността на Общинския съвет", "report"),
])
def test_doc_type_from_heading(text, label):
    assert rule_doc_type(text) == label
    assert classify_doc_type(doc_of(text)) == (label, 1.0)


def test_press_release_goes_to_the_classifier():
    text = ("Община Тетевен\nДетска градина „Слънце“ отбеляза празника си с концерт. Кметът поздрави децата и "
            "учителите. Децата изпълниха песни и танци, а родителите подариха цветя.")
    assert rule_doc_type(text) is None
    label, probability = classify_doc_type(doc_of(text))
    assert label in DOC_TYPES
    assert 0.0 < probability < 1.0
    assert label == "press_release"


# ============================================================================================
# Organisations
# ============================================================================================

def organizations_of(text: str) -> tuple[Document, list[dict]]:
    doc = doc_of(text)
    organizations = extract_organizations(doc)
    assert_evidence(doc, organizations)
    assert all(o["kind"] in ORG_KINDS for o in organizations)
    return doc, organizations


@pytest.mark.parametrize("text,name,kind", [
    ("Партньор е Сдружение “Заедно за успех“ от гр. Шумен.", "Сдружение “Заедно за успех“", "association"),
    ("Фондация „Кореняк“ организира събитие.", "Фондация „Кореняк“", "foundation"),
    ("Изпълнител е „Агро Тех“ ЕООД.", "„Агро Тех“ ЕООД", "company"),
    ("Изпълнител: Агро Тех ООД", "Агро Тех ООД", "company"),
    ("Учениците от СУ „Хр. Ботев“ участваха.", "СУ „Хр. Ботев“", "school"),
    ("Общински съвет – Ихтиман прие бюджета.", "Общински съвет – Ихтиман", "council"),
    ("Писмо от Министерството на финансите.", "Министерството на финансите", "ministry"),
    ("Министерство на регионалното развитие и благоустройството.",
     "Министерство на регионалното развитие и благоустройството", "ministry"),
])
def test_organization(text, name, kind):
    doc, organizations = organizations_of(text)
    assert [(o["name"], o["kind"]) for o in organizations] == [(name, kind)]
    assert organizations[0]["evidence"]["text"] == name


def test_ministry_name_stops_before_the_verb():
    doc, organizations = organizations_of("Министерство на финансите одобри бюджета на общината.")
    assert [o["name"] for o in organizations] == ["Министерство на финансите"]


def test_community_centre_reported_once():
    doc, organizations = organizations_of("Народно читалище „Христо Ботев – 1928“ организира концерт.")
    assert [o["name"] for o in organizations] == ["Народно читалище „Христо Ботев – 1928“"]


def test_two_municipalities():
    doc, organizations = organizations_of("Община Пещера и община Брацигово подписаха споразумение.")
    assert [(o["name"], o["kind"]) for o in organizations] == [
        ("Община Пещера", "municipality"), ("община Брацигово", "municipality")]
