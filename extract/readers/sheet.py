"""Spreadsheet readers (.xlsx through openpyxl, .xls through xlrd) and the layout all sheets share.

Every sheet becomes a section: the sheet name on its own line, the title rows above the grid as
lines, the grid (from the first to the last row with two or more filled cells) as a ``Table``
whose first row is the header, then the rows below it. The grid's header row and the title lines
just above it are where the amount extractor looks for a currency (``Сума, лв.``, ``(в евро)``).

Numbers are written as a Bulgarian reader sees them: ``65 410,72``, with the decimals and digit
grouping of the cell's number format and its currency (``#,##0.00 "лв."`` → ``65 410,72 лв.``).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from extract.document import Document
from extract.readers import ReadError
from extract.readers.office import TextBuilder, build_document, check_size, ole_metadata, open_zip

MAX_CELLS = 1_000_000
_CURRENCY = re.compile(r"(?<![а-яa-z])(лв\.?|лева|BGN|EUR|€|евро)(?![а-яa-z])", re.I)


@dataclass(frozen=True)
class NumberStyle:
    """How a number cell is displayed: decimals (None: as many as needed), grouping, %, currency."""

    decimals: int | None = None
    grouping: bool = False
    percent: bool = False
    currency: str | None = None


def currency_token(text: str) -> str | None:
    """The currency written in a number format or a displayed value (``лв.``, ``EUR``, ``€``)."""
    found = _CURRENCY.search(text or "")
    if not found:
        return None
    token = found.group(1)
    return "лв." if token.lower() in ("лв", "лв.") else token


def style_from_format(code: str | None) -> NumberStyle:
    """The display style of an Excel number format code (``#,##0.00 "лв."``, ``0.00%``, ``General``)."""
    if not code or code.strip().lower() in ("general", "@"):
        return NumberStyle()
    section = code.split(";", 1)[0]
    literals = " ".join(a or b for a, b in re.findall(r'"([^"]*)"|\[\$([^\]-]*)', section))
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|[_*].', "", section)
    currency = currency_token(literals) or currency_token(re.sub(r"[#0?.,%\s]", "", bare))
    decimals_found = re.search(r"[0#?]\.([0#?]+)", bare)
    has_digits = re.search(r"[0#?]", bare)
    decimals = len(decimals_found.group(1)) if decimals_found else (0 if has_digits else None)
    return NumberStyle(decimals=decimals, grouping=bool(re.search(r"[0#?],[0#?]", bare)),
                       percent="%" in bare, currency=currency)


def bulgarian_number(value: float, decimals: int | None = None, grouping: bool = False) -> str:
    """``65410.72`` → ``65 410,72`` (grouping), ``0.5`` → ``0,5``; ``decimals=None`` keeps what the value has."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if decimals is None:
        # Fifteen significant digits, as spreadsheets show a number in the General format.
        text = format(Decimal(f"{value:.15g}"), "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
    else:
        text = f"{value:.{decimals}f}"
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    if grouping:
        whole = re.sub(r"(?<=\d)(?=(\d{3})+$)", " ", whole)
    result = whole + ("," + fraction if fraction else "")
    return "-" + result if negative and result.strip("0, ") else result


def render_number(value: float, style: NumberStyle) -> str:
    """A number cell's text in the Bulgarian way, with its currency after it."""
    if style.percent:
        return bulgarian_number(value * 100, style.decimals) + "%"
    text = bulgarian_number(value, style.decimals, style.grouping)
    return f"{text} {style.currency}" if style.currency else text


def render_datetime(value: dt.datetime | dt.date | dt.time) -> str:
    """``28.03.2024``, ``28.03.2024 14:30`` or ``14:30``, as Bulgarian spreadsheets show them."""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.datetime) and (value.hour, value.minute, value.second) != (0, 0, 0):
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


class CellBudget:
    """Counts filled cells across a workbook and refuses workbooks beyond ``MAX_CELLS``."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.used = 0

    def take(self, row: list[str]) -> list[str]:
        self.used += sum(1 for cell in row if cell)
        if self.used > MAX_CELLS:
            raise ReadError(f"the {self.label} has more than {MAX_CELLS:,} filled cells".replace(",", " "))
        return row


def _filled(row: list[str]) -> list[int]:
    return [i for i, cell in enumerate(row) if cell.strip()]


def add_sheet(builder: TextBuilder, name: str, rows: list[list[str]]) -> None:
    """Lay one sheet out: its name, title rows, the grid as a table, the rows below it."""
    rows = [row for row in rows if _filled(row)]
    if not rows:
        return
    builder.line(name)
    wide = [i for i, row in enumerate(rows) if len(_filled(row)) >= 2]
    if not wide:
        for row in rows:
            builder.line("\t".join(row[i] for i in _filled(row)))
        builder.line("")
        return
    first, last = wide[0], wide[-1]
    for row in rows[:first]:
        builder.line("\t".join(row[i] for i in _filled(row)))
    grid = rows[first:last + 1]
    left = min(_filled(row)[0] for row in grid)
    right = max(_filled(row)[-1] for row in grid)
    builder.table([(row + [""] * (right + 1 - len(row)))[left:right + 1] for row in grid])
    for row in rows[last + 1:]:
        builder.line("\t".join(row[i] for i in _filled(row)))
    if rows[last + 1:]:
        builder.line("")


def sheet_title(text: str, sheet_names: list[str]) -> str | None:
    """A workbook's title when its properties have none: the first line that is not a sheet name."""
    names = set(sheet_names)
    return next((line.strip() for line in text.splitlines() if line.strip() and line.strip() not in names), None)


# ------------------------------------------------------------------------------------ .xlsx

def _xlsx_cell(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return render_datetime(value)
    if isinstance(value, (int, float)):
        return render_number(value, style_from_format(getattr(cell, "number_format", None)))
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def read_xlsx_document(path: Path, data: bytes) -> Document:
    """Read an Excel 2007+ workbook (cached formula results, not formulas)."""
    import openpyxl

    archive = open_zip(data, "XLSX")
    if "xl/workbook.xml" not in archive.namelist():
        raise ReadError("the zip archive is not an Excel workbook (no xl/workbook.xml)")
    builder, budget = TextBuilder(), CellBudget("XLSX")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for sheet in book.worksheets:
                    # Stored dimensions are often wrong (whole formatted columns); read what is there.
                    sheet.reset_dimensions()
                    rows = [budget.take([_xlsx_cell(cell) for cell in row]) for row in sheet.iter_rows()]
                    add_sheet(builder, sheet.title, rows)
                props = book.properties
                names = list(book.sheetnames)
            finally:
                book.close()
    except ReadError:
        raise
    except Exception as error:  # openpyxl raises many kinds for damaged parts
        raise ReadError(f"the XLSX could not be read: {error}") from error
    metadata = {"title": props.title, "author": props.creator,
                "created": props.created.isoformat() if props.created else None,
                "modified": props.modified.isoformat() if props.modified else None}
    return build_document(path, data, "xlsx", builder, "XLSX", title=props.title or sheet_title(builder.text, names),
                          metadata=metadata)


# ------------------------------------------------------------------------------------ .xls

def _xls_cell(book, sheet, row: int, column: int) -> str:
    import xlrd

    cell = sheet.cell(row, column)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate_as_datetime(cell.value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return bulgarian_number(cell.value)
        return render_datetime(moment.time() if cell.value < 1 else moment)
    code = None
    if book.formatting_info:
        xf = book.xf_list[sheet.cell_xf_index(row, column)]
        number_format = book.format_map.get(xf.format_key)
        code = number_format.format_str if number_format else None
    return render_number(cell.value, style_from_format(code))


def read_xls_document(path: Path, data: bytes) -> Document:
    """Read an Excel 97–2003 workbook."""
    import xlrd

    check_size(data, "XLS")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=io.StringIO())
    except Exception as error:  # xlrd raises XLRDError, CompDocError, struct and index errors
        if "encrypt" in str(error).lower():
            raise ReadError("the XLS is encrypted with a password") from error
        raise ReadError(f"the XLS could not be opened: {error}") from error
    builder, budget = TextBuilder(), CellBudget("XLS")
    try:
        for sheet in book.sheets():
            rows = [budget.take([_xls_cell(book, sheet, r, c) for c in range(sheet.row_len(r))])
                    for r in range(sheet.nrows)]
            add_sheet(builder, sheet.name, rows)
    except ReadError:
        raise
    except Exception as error:
        raise ReadError(f"the XLS could not be read: {error}") from error
    finally:
        book.release_resources()
    metadata = ole_metadata(data)
    title = metadata.get("title") or sheet_title(builder.text, book.sheet_names())
    return build_document(path, data, "xls", builder, "XLS", title=title, metadata=metadata)
