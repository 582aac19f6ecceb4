"""The pypdfium2-fed table finder gives what pdfplumber's own ``extract_tables`` gives.

Each PDF here draws its tables differently (cell rectangles, bare lines, a merged header,
two tables on a page, an emblem of curves with no table), so the geometry conversion is
checked against pdfplumber on every kind of ruling, not only on the one fpdf2 uses by default.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

fpdf = pytest.importorskip("fpdf")

from extract.readers.pdf import _pdfium_pages  # noqa: E402
from extract.normalize import normalize_text  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ROWS = [["Дейност", "Стойност"], ["Ремонт на покрив", "65 410,72 лв."], ["Надзор", "1 200,00 лв."],
        ["Общо", "66 610,72 лв."]]


def _pdf() -> "fpdf.FPDF":
    pdf = fpdf.FPDF(format="A4")
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", "", 10)
    pdf.add_page()
    return pdf


def _cell_texts(pdf, rows, x, y, widths, height=8):
    for r, row in enumerate(rows):
        left = x
        for width, text in zip(widths, row):
            if text is not None:
                pdf.set_xy(left + 1, y + r * height + 1)
                pdf.cell(width - 2, height - 2, text)
            left += width


def rectangles() -> bytes:
    pdf = _pdf()
    for r, row in enumerate(ROWS):
        left = 20
        for width, text in zip((90, 60), row):
            pdf.rect(left, 40 + r * 8, width, 8)
            left += width
    _cell_texts(pdf, ROWS, 20, 40, (90, 60))
    return bytes(pdf.output())


def bare_lines() -> bytes:
    pdf = _pdf()
    _draw_lines_table(pdf, 20, 40)
    return bytes(pdf.output())


def _draw_lines_table(pdf, x: float, y: float) -> None:
    widths, height = (70, 40, 40), 8
    rows = [["Обект", "2025", "2026"], ["Улица „Христо Ботев“", "10 000", "12 500"], ["Детска градина", "8 000", "0"]]
    total = sum(widths)
    for r in range(len(rows) + 1):
        pdf.line(x, y + r * height, x + total, y + r * height)
    left = x
    for width in (0, *widths):
        left += width
        pdf.line(left, y, left, y + len(rows) * height)
    _cell_texts(pdf, rows, x, y, widths, height)


def merged_header() -> bytes:
    pdf = _pdf()
    x, y, widths, height = 20, 40, (60, 50, 50), 8
    pdf.rect(x, y, sum(widths), height)  # one cell across all three columns
    for r in range(1, 4):
        left = x
        for width in widths:
            pdf.rect(left, y + r * height, width, height)
            left += width
    rows = [["Разпределение по години", None, None], ["Година", "ЕС", "Община"],
            ["2024", "120 000", "6 000"], ["2025", "80 000", "4 000"]]
    _cell_texts(pdf, rows, x, y, widths, height)
    return bytes(pdf.output())


def two_tables_and_an_emblem() -> bytes:
    pdf = _pdf()
    pdf.ellipse(150, 10, 30, 30)  # curves only: no table
    _draw_lines_table(pdf, 20, 60)
    _draw_lines_table(pdf, 20, 150)
    return bytes(pdf.output())


def _pdfplumber_tables(data: bytes) -> list:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [[[normalize_text(" ".join((c or "").split())) for c in row] for row in table]
                for table in pdf.pages[0].extract_tables() if len(table) >= 2]


@pytest.mark.parametrize("draw", [rectangles, bare_lines, merged_header, two_tables_and_an_emblem])
def test_tables_equal_pdfplumbers_own(draw):
    if not Path(FONT).exists():
        pytest.fail(f"{FONT} is missing: install the Debian package fonts-dejavu-core")
    data = draw()
    expected = _pdfplumber_tables(data)
    assert expected, "the drawing must hold a table for the comparison to mean anything"
    assert _pdfium_pages(data).tables.get(0, []) == expected


def test_merged_cell_keeps_its_text_once():
    tables = _pdfium_pages(merged_header()).tables[0]
    assert tables[0][0][0] == "Разпределение по години"
    assert tables[0][0][1:] == ["", ""]
    assert tables[0][2] == ["2024", "120 000", "6 000"]


def test_two_tables_on_a_page_stay_apart():
    tables = _pdfium_pages(two_tables_and_an_emblem()).tables[0]
    assert len(tables) == 2
    assert tables[0][1] == ["Улица „Христо Ботев“", "10 000", "12 500"]
