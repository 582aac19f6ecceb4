"""Readers for legacy and office formats: .doc, .rtf, .odt, .xls, .xlsx, .ods.

Golden tests on the bundled fixtures (rendered by corpus/fixtures/render_office.py), unit tests on
small files made here, and broken files: every one is a ``ReadError`` with a reason, never another
exception.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from extract.document import Document
from extract.fields.amounts import extract_amounts
from extract.readers import ReadError, read_document, sniff_format
from extract.readers.doc import merge_outputs
from extract.readers.rtf import parse_rtf
from extract.readers.sheet import add_sheet, bulgarian_number, render_number, style_from_format
from extract.readers.office import TextBuilder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "documents"
DOC = CORPUS / "340_elhovo-protokol-27.doc"
RTF = CORPUS / "341_devnya-reshenie-287.rtf"
ODT = CORPUS / "342_topolovgrad-izvanredno-zasedanie-flag.odt"
XLSX = CORPUS / "343_suvorovo-kapitalova-programa-2025.xlsx"
XLS = CORPUS / "344_ivaylovgrad-byudzhet-2026-prilozhenie-1.xls"
ODS = CORPUS / "345_beloslav-byudzhet-proekt-razdelna.ods"
FIXTURES = {"doc": DOC, "rtf": RTF, "odt": ODT, "xlsx": XLSX, "xls": XLS, "ods": ODS}
needs_antiword = pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword is not installed")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_tables_honest(doc: Document) -> None:
    """Each table's span holds its rows, one tab-joined line per row, and nothing else."""
    assert doc.pages == [0]
    for table in doc.tables:
        assert 0 <= table.start <= table.end <= len(doc.text)
        span = doc.text[table.start:table.end]
        assert span.split("\n") == ["\t".join(row) for row in table.rows]
        for row in table.rows:
            assert all(cell in span for cell in row)
        assert len({len(row) for row in table.rows}) == 1


def table_with(doc: Document, first_cell: str):
    return next(t for t in doc.tables if t.rows and t.rows[0][0] == first_cell)


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    if shutil.which("antiword") is None:
        return {fmt: read_document(path) for fmt, path in FIXTURES.items() if fmt != "doc"}
    return {fmt: read_document(path) for fmt, path in FIXTURES.items()}


# --------------------------------------------------------------------------------------------
# The bundled fixtures, one per format
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FIXTURES))
def test_fixture_is_sniffed_and_read_in_its_format(fmt, docs):
    if fmt not in docs:
        pytest.skip("antiword is not installed")
    path = FIXTURES[fmt]
    assert sniff_format(path, path.read_bytes()) == fmt
    doc = docs[fmt]
    assert doc.format == fmt
    assert doc.title and len(doc.sha256) == 64
    assert "\r" not in doc.text and "\x00" not in doc.text and "\u00ad" not in doc.text
    assert doc.tables
    assert_tables_honest(doc)


@needs_antiword
def test_doc_protocol(docs):
    doc = docs["doc"]
    assert doc.text.startswith("ОБЩИНСКИ СЪВЕТ – ЕЛХОВО, ОБЛАСТ ЯМБОЛ\n")
    assert "Гласуване: за – 12, против – 2, въздържали се – 1." in doc.text
    assert "Отсъстваха Трифон Караджов и Стойка Пеева." in doc.text
    # A paragraph's manual line breaks survive (antiword's DocBook output would join the lines).
    assert "от редовно заседание на Общински съвет – Елхово,\nпроведено на 26.02.2025 г." in doc.text
    table = table_with(doc, "Дейност")
    assert table.rows[0] == ["Дейност", "Стойност, лв."]
    assert ["Строителен надзор", "9 617,00"] in table.rows
    assert table.rows[-1] == ["Общо", "391 117,00"]
    assert doc.text[table.start:table.end].startswith("Дейност\tСтойност, лв.\nСтроително-монтажни работи\t342 600,00")
    assert doc.metadata["author"] == "Общински съвет – Елхово"
    assert doc.title == "Протокол № 27 от заседание на Общински съвет – Елхово, 26.02.2025 г."


def test_rtf_decision_decodes_cp1251_and_unicode_escapes(docs):
    doc = docs["rtf"]
    assert "Р Е Ш Е Н И Е" in doc.text
    # „ “ and – are written as \uN\'xx, the letters as \'xx bytes of windows-1251.
    assert "„Обновяване на зелена система и зони за отдих в кв. „Повеляново“, гр. Девня“" in doc.text
    assert "Програма „Развитие на регионите“ 2021–2027 г." in doc.text
    assert "Гласували: за – 17, против – 0, въздържали се – 2." in doc.text
    assert "?" not in doc.text
    table = table_with(doc, "Източник на финансиране")
    assert table.rows == [["Източник на финансиране", "Сума, лв."],
                          ["Европейски фонд за регионално развитие", "1 204 180,50"],
                          ["Национално съфинансиране", "212 502,45"],
                          ["Собствен принос на Община Девня", "48 760,00"],
                          ["Общо", "1 465 442,95"]]
    assert doc.title == "Решение № 287 от 27.03.2025 г. на Общински съвет – Девня"
    assert doc.metadata["created"] == "2025-03-31T14:05:00"


def test_odt_protocol_with_roll_call_table(docs):
    doc = docs["odt"]
    assert doc.text.startswith("ОБЩИНСКИ СЪВЕТ – ТОПОЛОВГРАД\nПРОТОКОЛ № 9\n")
    assert "Присъстват 12 от общо 13 общински съветници." in doc.text
    table = table_with(doc, "№")
    assert table.rows[0] == ["№", "Име и фамилия", "Гласувал"]
    assert len(table.rows) == 14
    assert ["6", "Емил Чакъров", "въздържал се"] in table.rows
    assert table.rows[-1] == ["13", "Христо Пачеджиев", "отсъства"]
    assert doc.text[table.start:table.end].endswith("13\tХристо Пачеджиев\tотсъства")
    assert doc.metadata["created"] == "2024-07-19T16:20:00"


def test_xlsx_sheets_are_sections_with_their_grid_as_a_table(docs):
    doc = docs["xlsx"]
    lines = doc.text.split("\n")
    assert lines[:5] == [
        "Капиталова програма 2025", "ОБЩИНА СУВОРОВО",
        "Приложение № 4 към Решение № 388 по Протокол № 34 от 27.02.2025 г. на Общински съвет – Суворово",
        "Разчет за финансиране на капиталовите разходи на Община Суворово за 2025 г.", "(в лева)"]
    program = table_with(doc, "№ по ред")
    assert program.rows[1] == ["1", "Основен ремонт на ул. „Девня“ в гр. Суворово", "412 500,00", "298 700,00",
                               "113 800,00", ""]
    # Formula cells give the results the workbook cached.
    assert program.rows[-1] == ["", "Общо:", "719 770,50", "363 680,00", "216 410,13", "139 680,37"]
    carried = table_with(doc, "№")
    assert carried.rows[0] == ["№", "Обект", "Стойност по договор", "Изплатено до 31.12.2024 г.", "Остатък за 2025 г."]
    assert doc.text.index("Преходни обекти\n") > program.end
    assert "Изготвил: Росица Марчева – главен счетоводител\n" in doc.text
    assert doc.title == "Разчет за финансиране на капиталовите разходи на Община Суворово за 2025 г."


def test_xls_currency_from_the_number_format(docs):
    doc = docs["xls"]
    revenue = table_with(doc, "Код")
    assert ["31-11", "Обща субсидия за делегираните от държавата дейности", "4 187 300,00 €", "", "4 187 300,00 €"] \
        in revenue.rows
    assert revenue.rows[-1] == ["", "Всичко приходи", "4 339 680,44 €", "1 927 268,20 €", "6 266 948,64 €"]
    expenses = table_with(doc, "Функция")
    assert expenses.rows[-1] == ["Всичко разходи", "4 339 680,44 €", "1 927 268,20 €", "6 266 948,64 €"]
    assert doc.text.index("Разходи по функции\n") > revenue.end


def test_ods_numbers_percentages_and_dates(docs):
    doc = docs["ods"]
    budget = table_with(doc, "Източник на финансиране")
    assert budget.rows[0] == ["Източник на финансиране", "Сума (лв.)", "Сума (евро)", "Дял, %"]
    assert budget.rows[1] == ["Европейски земеделски фонд за развитие на селските райони", "231 566,40", "118 398,02",
                              "70,02%"]
    assert budget.rows[-1] == ["Общо", "330 718,00", "169 093,43", "100,00%"]
    schedule = table_with(doc, "№")
    assert ["2", "Строително-монтажни работи", "01.11.2024", "30.06.2025", "296 418,00"] in schedule.rows
    assert "Актуализация към 15.05.2025 г.\n" in doc.text


def _amounts(doc: Document) -> dict[tuple[float, str], dict]:
    return {(a["value"], a["currency"]): a for a in extract_amounts(doc)}


def _row_of(doc: Document, amount: dict) -> str:
    start = amount["evidence"]["start"]
    return doc.text[doc.text.rfind("\n", 0, start) + 1:doc.text.find("\n", start)]


def test_spreadsheet_amounts_carry_their_row_labels(docs):
    doc = docs["ods"]
    amounts = _amounts(doc)
    budget = table_with(doc, "Източник на финансиране")
    expected = {(231566.4, "BGN"): "eu", (118398.02, "EUR"): "eu", (57891.6, "BGN"): "national",
                (41260.0, "BGN"): "own", (21095.9, "EUR"): "own", (330718.0, "BGN"): "total",
                (169093.43, "EUR"): "total"}
    for key, role in expected.items():
        amount = amounts[key]
        assert amount["role"] == role, key
        assert budget.start <= amount["evidence"]["start"] < budget.end
    assert _row_of(doc, amounts[(57891.6, "BGN")]).startswith("Национално съфинансиране\t")
    assert (70.02, "BGN") not in amounts  # a share in %, not money


def test_xlsx_amounts_take_the_currency_of_the_caption(docs):
    doc = docs["xlsx"]
    amounts = _amounts(doc)
    assert amounts[(719770.5, "BGN")]["role"] == "total"
    assert _row_of(doc, amounts[(139680.37, "BGN")]).startswith("2\tРеконструкция на водопровод в с. Чернево\t")
    assert _row_of(doc, amounts[(264980.4, "BGN")]).startswith("2\tРехабилитация на общински път")
    assert len(amounts) == 18


def test_xls_amounts_in_euro_with_their_row(docs):
    doc = docs["xls"]
    amounts = _amounts(doc)
    assert all(currency == "EUR" for _, currency in amounts)
    assert amounts[(4339680.44, "EUR")]["role"] == "total"  # "Всичко приходи" labels the row
    assert _row_of(doc, amounts[(598700.0, "EUR")]).startswith("31-12\tОбща изравнителна субсидия\t")
    assert len(amounts) == 32


# --------------------------------------------------------------------------------------------
# Format detection by content
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,wrong_name", [("xlsx", "annex.doc"), ("ods", "annex.xlsx"), ("odt", "protocol.docx"),
                                            ("xls", "budget.doc"), ("doc", "protocol.xls"), ("rtf", "decision.doc")])
def test_format_comes_from_the_content_not_the_extension(tmp_path, fmt, wrong_name):
    if fmt == "doc" and shutil.which("antiword") is None:
        pytest.skip("antiword is not installed")
    data = FIXTURES[fmt].read_bytes()
    assert sniff_format(Path(wrong_name), data) == fmt
    assert read_document(write(tmp_path, wrong_name, data)).format == fmt


def test_zip_with_an_odf_mimetype_but_no_extension(tmp_path):
    assert sniff_format(Path("download"), ODT.read_bytes()) == "odt"


# --------------------------------------------------------------------------------------------
# Broken, encrypted and oversized files
# --------------------------------------------------------------------------------------------

def _garbage(seed: int, size: int = 6000) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(size))


BROKEN = {
    "truncated": lambda data: data[: len(data) // 3],
    "half": lambda data: data[: len(data) // 2],
    "garbage": lambda data: _garbage(11),
    "magic then garbage": lambda data: data[:8] + _garbage(12),
}


@pytest.mark.parametrize("fmt", list(FIXTURES))
@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_file_is_a_read_error_with_a_reason(tmp_path, fmt, kind):
    if fmt == "doc" and shutil.which("antiword") is None:
        pytest.skip("antiword is not installed")
    data = BROKEN[kind](FIXTURES[fmt].read_bytes())
    with pytest.raises(ReadError) as error:
        read_document(write(tmp_path, f"broken.{fmt}", data))
    assert len(str(error.value)) > 15


@pytest.mark.parametrize("fmt", list(FIXTURES))
def test_damaged_bytes_never_raise_anything_but_a_read_error(tmp_path, fmt):
    if fmt == "doc" and shutil.which("antiword") is None:
        pytest.skip("antiword is not installed")
    original = FIXTURES[fmt].read_bytes()
    for seed in range(4):
        rng = random.Random(seed)
        data = bytearray(original)
        for _ in range(30):
            data[rng.randrange(64, len(data))] = rng.randrange(256)
        try:
            doc = read_document(write(tmp_path, f"damaged{seed}.{fmt}", bytes(data)))
        except ReadError as error:
            assert str(error)
        else:
            assert doc.format == fmt


@needs_antiword
def test_encrypted_doc_is_a_read_error(tmp_path):
    import olefile

    data = bytearray(DOC.read_bytes())
    with olefile.OleFileIO(io.BytesIO(bytes(data))) as ole:
        fib = ole.openstream("WordDocument").read(12)
    start = bytes(data).index(fib)
    data[start + 11] |= 0x01  # fEncrypted, bit 8 of the FIB flags at offset 10
    with pytest.raises(ReadError, match="encrypted"):
        read_document(write(tmp_path, "secret.doc", bytes(data)))


def test_encrypted_odf_is_a_read_error(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ODT.read_bytes())) as zin, zipfile.ZipFile(buffer, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "META-INF/manifest.xml":
                content = content.replace(b"</manifest:manifest>",
                                          b'<manifest:file-entry manifest:full-path="x"><manifest:encryption-data/>'
                                          b"</manifest:file-entry></manifest:manifest>")
            if item.filename == "content.xml":
                content = _garbage(3, 2000)
            zout.writestr(item.filename, content)
    with pytest.raises(ReadError, match="encrypted"):
        read_document(write(tmp_path, "secret.odt", buffer.getvalue()))


def test_zip_bomb_guard(tmp_path, monkeypatch):
    import extract.readers.office as office

    monkeypatch.setattr(office, "MAX_UNCOMPRESSED", 10_000)
    for path in (ODT, XLSX, ODS):
        with pytest.raises(ReadError, match="zip bomb"):
            read_document(path)


def test_oversized_files_are_refused(monkeypatch):
    import extract.readers.office as office

    monkeypatch.setattr(office, "MAX_FILE_BYTES", 1000)
    for path in (RTF, XLS, ODS):
        with pytest.raises(ReadError, match="larger than"):
            read_document(path)


def test_too_many_cells_are_refused(tmp_path, monkeypatch):
    import extract.readers.sheet as sheet

    monkeypatch.setattr(sheet, "MAX_CELLS", 20)
    for path in (XLSX, XLS, ODS):
        with pytest.raises(ReadError, match="filled cells"):
            read_document(path)


def test_missing_antiword_is_a_clear_read_error(monkeypatch):
    import extract.readers.doc as doc_reader

    monkeypatch.setattr(doc_reader.shutil, "which", lambda name: None)
    with pytest.raises(ReadError, match="antiword"):
        read_document(DOC)


def test_password_protected_ooxml_is_recognised(tmp_path, monkeypatch):
    import olefile

    class FakeOle:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def listdir(self, streams=True, storages=False):
            return [["EncryptionInfo"], ["EncryptedPackage"]]

    monkeypatch.setattr(olefile, "OleFileIO", FakeOle)
    path = write(tmp_path, "budget.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    with pytest.raises(ReadError, match="encrypted with a password"):
        read_document(path)


# --------------------------------------------------------------------------------------------
# RTF details
# --------------------------------------------------------------------------------------------

def rtf_text(source: str) -> str:
    """The text of RTF source; Cyrillic written raw in it is stored as windows-1251 bytes."""
    builder = TextBuilder()
    for block in parse_rtf(source.encode("cp1251"))[0]:
        builder.line(block) if isinstance(block, str) else builder.table(block)
    return builder.text


def test_rtf_charset0_font_in_a_cp1251_document_is_windows_1251():
    source = r"{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0\fcharset0 Times New Roman;}}\f0 \'ce\'e1\'f9\'e8\'ed\'e0\par}"
    assert rtf_text(source) == "Община\n"


def test_rtf_font_charset_wins_over_the_document_code_page():
    source = (r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fcharset0 Arial;}{\f1\fcharset204 Arial Cyr;}}"
              r"\f0 caf\'e9 {\f1 \'f1\'e5\'eb\'ee}\par}")
    assert rtf_text(source) == "café село\n"


def test_rtf_unicode_escapes_skip_their_fallback():
    source = r"{\rtf1\ansi\ansicpg1251\uc1 \u1054\'3f\u1073?\u-3913?\uc0 \u1097 ок\par}"
    assert rtf_text(source).startswith("Об•щ")
    two = r"{\rtf1\ansi{\uc2\u1099\'3f\'3f} x\par}"
    assert rtf_text(two) == "ы x\n"


def test_rtf_skips_destinations_and_hidden_text():
    source = (r"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Times;}}{\colortbl;\red0;}{\stylesheet{\s1 heading 1;}}"
              r"{\header Горен колонтитул}{\*\generator Word;}{\*\unknowndest secret}"
              r"{\pict\binary 0102}{\field{\*\fldinst HYPERLINK \"x\"}{\fldrslt линк}}"
              r"видим {\v скрит }текст\bin3 {}x\par}")
    assert rtf_text(source) == "линквидим текст\n"


def test_rtf_table_rows_cells_and_paragraphs_inside_cells():
    source = (r"{\rtf1\ansi\ansicpg1251 Преди\par"
              r"\trowd\cellx1000\cellx2000\pard\intbl Име\cell Сума, лв.\cell\row"
              r"\trowd\cellx1000\cellx2000\pard\intbl първи\par втори ред\cell 1 200,00\cell\row"
              r"\pard След\line нов ред\tab край\par}")
    text = rtf_text(source)
    assert text == "Преди\nИме\tСума, лв.\nпърви втори ред\t1 200,00\n\nСлед\nнов ред\tкрай\n"


def test_rtf_tables_in_headers_do_not_reach_the_body():
    source = (r"{\rtf1\ansi\ansicpg1251{\header \trowd\cellx500\pard\intbl Горе\cell\row}"
              r"\pard Тяло\par}")
    text = rtf_text(source)
    assert text == "Тяло\n"


def test_rtf_text_after_the_document_group_is_ignored():
    assert rtf_text("{\\rtf1\\ansi\\ansicpg1251 Текст\\par}\x00\x00 junk") == "Текст\n"


def test_rtf_list_numbers_come_from_listtext(tmp_path):
    source = r"{\rtf1\ansi\ansicpg1251{\listtext\pard 1.\tab}\'d2\'ee\'f7\'ea\'e0\par}"
    assert rtf_text(source) == "1.\tТочка\n"


# --------------------------------------------------------------------------------------------
# .doc: the two antiword outputs
# --------------------------------------------------------------------------------------------

def test_doc_drawn_tables_are_replaced_by_docbook_rows():
    text = "Преди\n\n|Име        |Сума     |\n|Иван       |1 200,00 |\n|           |         |\n\nСлед\n"
    blocks = merge_outputs(text, [[["Име", "Сума"], ["Иван", "1 200,00"]]])
    assert blocks == ["Преди", "", [["Име", "Сума"], ["Иван", "1 200,00"]], "След"]


def test_doc_outputs_that_disagree_give_none():
    assert merge_outputs("|a|b|\n", []) is None
    assert merge_outputs("no tables\n", [[["a"]]]) is None


# --------------------------------------------------------------------------------------------
# Spreadsheet details
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,decimals,grouping,expected", [
    (65410.72, 2, True, "65 410,72"), (65410.72, None, False, "65410,72"), (2024, None, False, "2024"),
    (1234567.891, None, True, "1 234 567,891"), (0.1 + 0.2, None, False, "0,3"), (-1500.5, 2, True, "-1 500,50"),
    (-0.0, None, False, "0"), (12000.0, 0, True, "12 000"), (999.999, 2, True, "1 000,00"),
])
def test_bulgarian_number(value, decimals, grouping, expected):
    assert bulgarian_number(value, decimals, grouping) == expected


@pytest.mark.parametrize("code,expected", [
    ("General", "65410,72"), ("#,##0.00", "65 410,72"), ('#,##0.00\\ "лв."', "65 410,72 лв."),
    ("#,##0.00 [$лв.-402]", "65 410,72 лв."), ("[$€-2] #,##0.00", "65 410,72 €"), ("#,##0", "65 411"),
    ("#,##0.00 [$EUR]", "65 410,72 EUR"), ('_-* #,##0.00\\ "лв."_-;\\-* #,##0.00\\ "лв."_-;_-* "-"??\\ "лв."_-;_-@_-',
                                          "65 410,72 лв."),
])
def test_number_formats_render_the_bulgarian_way(code, expected):
    assert render_number(65410.72, style_from_format(code)) == expected


def test_percent_format():
    assert render_number(0.8293, style_from_format("0.00%")) == "82,93%"


def test_sheet_layout_title_rows_grid_and_notes():
    builder = TextBuilder()
    add_sheet(builder, "Лист1", [["", "Приложение № 1", ""], [], ["", "(в лева)"],
                                 ["", "Обект", "Сума"], ["", "Ремонт", "1 200,00"], ["", "", ""],
                                 ["", "Общо", "1 200,00", ""], ["", "Изготвил: И. Петров"]])
    assert builder.text == ("Лист1\nПриложение № 1\n(в лева)\nОбект\tСума\nРемонт\t1 200,00\nОбщо\t1 200,00\n\n"
                            "Изготвил: И. Петров\n\n")
    table = builder.tables[0]
    assert table.rows == [["Обект", "Сума"], ["Ремонт", "1 200,00"], ["Общо", "1 200,00"]]
    assert builder.text[table.start:table.end] == "Обект\tСума\nРемонт\t1 200,00\nОбщо\t1 200,00"


def test_empty_sheets_are_left_out():
    builder = TextBuilder()
    add_sheet(builder, "Лист2", [["", ""], []])
    assert builder.text == "" and not builder.tables


def test_xlsx_written_without_cached_formula_results(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Бюджет"
    sheet.append(["Източник", "Сума, лв.", "Дата"])
    sheet.append(["Собствен принос", 1500.5, dt.datetime(2025, 3, 27)])
    sheet.append(["Общо", "=SUM(B2:B2)", None])
    sheet["B2"].number_format = "#,##0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    doc = read_document(write(tmp_path, "budget.xlsx", buffer.getvalue()))
    # The total has no cached result, so its row has one filled cell and follows the grid as a line.
    assert doc.tables[0].rows == [["Източник", "Сума, лв.", "Дата"], ["Собствен принос", "1 500,50", "27.03.2025"]]
    assert doc.text.endswith("Собствен принос\t1 500,50\t27.03.2025\n\nОбщо\n\n")
    assert doc.title == "Източник Сума, лв. Дата"


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">
<office:body><office:spreadsheet><table:table table:name="Лист1">
<table:table-row><table:table-cell office:value-type="string"><text:p>Обект</text:p></table:table-cell>
<table:table-cell office:value-type="string"><text:p>Сума</text:p></table:table-cell>
<table:table-cell table:number-columns-repeated="16382"/></table:table-row>
<table:table-row><table:table-cell office:value-type="string">
<text:p>Ремонт<text:s text:c="2"/>на<text:tab/>път</text:p>
<office:annotation><text:p>бележка</text:p></office:annotation></table:table-cell>
<table:table-cell office:value-type="currency" office:currency="BGN" office:value="1200.5">
<text:p>1,200.50 BGN</text:p></table:table-cell>
<table:table-cell table:number-columns-repeated="16382"/></table:table-row>
<table:table-row table:number-rows-repeated="1048574">
<table:table-cell table:number-columns-repeated="16384"/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""


def test_ods_repeated_empty_cells_and_rows_are_not_expanded(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", ODS_CONTENT)
    doc = read_document(write(tmp_path, "sheet.ods", buffer.getvalue()))
    assert doc.format == "ods"
    assert doc.tables[0].rows == [["Обект", "Сума"], ["Ремонт на път", "1 200,50 BGN"]]
    assert doc.text == "Лист1\nОбект\tСума\nРемонт на път\t1 200,50 BGN\n\n"
