"""OpenDocument readers (.odt text, .ods spreadsheet), straight from ``content.xml`` with lxml.

ODF is plain XML in a zip, so lxml (already a dependency) reads it directly; odfpy would build a
slower DOM of its own and still leave tables, repeated cells and spaces (``<text:s c="3"/>``) to us.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from extract.document import Document
from extract.readers import ReadError
from extract.readers.office import TextBuilder, build_document, open_zip, parse_xml, read_member
from extract.readers.sheet import (CellBudget, add_sheet, bulgarian_number, currency_token, render_datetime,
                                   sheet_title)

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
}
MIMETYPES = {"odt": "application/vnd.oasis.opendocument.text",
             "ods": "application/vnd.oasis.opendocument.spreadsheet"}
MAX_REPEAT = 1000


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


_P, _H, _SPACE, _TAB, _BREAK = (_q(n) for n in ("text:p", "text:h", "text:s", "text:tab", "text:line-break"))
_LIST, _LIST_ITEM, _LIST_HEADER = (_q(n) for n in ("text:list", "text:list-item", "text:list-header"))
_TABLE, _ROW, _CELL, _COVERED = (_q(n) for n in ("table:table", "table:table-row", "table:table-cell",
                                                 "table:covered-table-cell"))
_ROW_GROUPS = {_q("table:table-header-rows"), _q("table:table-rows"), _q("table:table-row-group")}
_CONTAINERS = {_q("text:section"), _q("text:table-of-content"), _q("text:index-body"),
               _q("text:alphabetical-index"), _q("text:illustration-index"), _q("text:user-index")}
# Inline content that is not running text: notes, comments, frames, deleted changes.
_NOT_TEXT = {_q("text:note"), _q("office:annotation"), _q("text:tracked-changes"), _q("text:bookmark-ref")} | \
    {f"{{{NS['draw']}}}{name}" for name in ("frame", "a", "g", "custom-shape", "rect", "line", "image")}


def _count(element, attribute: str) -> int:
    """A repeat count (``text:c``, ``number-columns-repeated``): at least 1, at most ``MAX_REPEAT``."""
    try:
        return max(1, min(int(element.get(_q(attribute), "1")), MAX_REPEAT))
    except ValueError:
        return 1


def inline_text(element) -> str:
    """The text of a paragraph as shown: ``<text:s c="3"/>`` spaces, tabs and line breaks included."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == _SPACE:
            parts.append(" " * _count(child, "text:c"))
        elif tag == _TAB:
            parts.append("\t")
        elif tag == _BREAK:
            parts.append("\n")
        elif tag not in _NOT_TEXT and isinstance(tag, str):
            parts.append(inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _paragraph_texts(element):
    """The texts of the paragraphs inside a cell, list or section, nested tables included."""
    for child in element:
        if child.tag in (_P, _H):
            yield inline_text(child)
        elif child.tag in (_LIST, _LIST_ITEM, _LIST_HEADER, _TABLE, _ROW, _CELL) or \
                child.tag in _ROW_GROUPS or child.tag in _CONTAINERS:
            yield from _paragraph_texts(child)


def _cell_paragraphs(cell) -> str:
    """A cell's text: its paragraphs (also those in lists or nested tables) joined by spaces."""
    return " ".join(_paragraph_texts(cell))


def table_rows(table, cell_text=_cell_paragraphs, budget: CellBudget | None = None) -> list[list[str]]:
    """A table's rows of cell texts; repeated cells and rows expanded, merged-away cells left empty."""
    rows: list[list[str]] = []
    for row in _iter_rows(table):
        cells: list[str] = []
        pending_empty = 0
        for cell in row:
            if cell.tag not in (_CELL, _COVERED):
                continue
            repeat = _count(cell, "table:number-columns-repeated")
            text = cell_text(cell) if cell.tag == _CELL else ""
            if not text.strip():
                # Empty cells are often repeated to the last column; keep only those before some text.
                pending_empty += repeat
                continue
            cells.extend([""] * pending_empty + [text] * repeat)
            pending_empty = 0
        if not cells:
            continue
        for _ in range(_count(row, "table:number-rows-repeated")):
            rows.append(budget.take(list(cells)) if budget else list(cells))
    return rows


def _iter_rows(table):
    for child in table:
        if child.tag == _ROW:
            yield child
        elif child.tag in _ROW_GROUPS:
            yield from _iter_rows(child)


def _text_blocks(element, builder: TextBuilder) -> None:
    for child in element:
        tag = child.tag
        if tag in (_P, _H):
            builder.line(inline_text(child))
        elif tag == _LIST:
            for item in child:
                if item.tag in (_LIST_ITEM, _LIST_HEADER):
                    _text_blocks(item, builder)
        elif tag == _TABLE:
            rows = table_rows(child)
            if rows:
                width = max(len(row) for row in rows)
                builder.table([row + [""] * (width - len(row)) for row in rows])
        elif tag in _CONTAINERS:
            _text_blocks(child, builder)


def _open_odf(data: bytes, kind: str):
    """The parsed content.xml and the metadata of an ODF package of the given kind."""
    label = kind.upper()
    archive = open_zip(data, label)
    names = set(archive.namelist())
    mimetype = read_member(archive, "mimetype", label).decode("ascii", "replace").strip() if "mimetype" in names else ""
    if "content.xml" not in names or (mimetype and not mimetype.startswith(MIMETYPES[kind])):
        raise ReadError(f"the zip archive is not an OpenDocument {'text' if kind == 'odt' else 'spreadsheet'} "
                        f"({mimetype or 'no content.xml'})")
    if "META-INF/manifest.xml" in names and b"encryption-data" in read_member(archive, "META-INF/manifest.xml", label):
        raise ReadError(f"the {label} is encrypted with a password")
    content = parse_xml(read_member(archive, "content.xml", label), label)
    metadata = _metadata(parse_xml(read_member(archive, "meta.xml", label), label)) if "meta.xml" in names else {}
    return content, metadata


def _metadata(meta) -> dict[str, str | None]:
    def first(path: str) -> str | None:
        found = meta.find(f".//{_q(path)}")
        return " ".join(found.text.split()) if found is not None and found.text and found.text.strip() else None

    return {"title": first("dc:title"), "author": first("meta:initial-creator") or first("dc:creator"),
            "created": first("meta:creation-date"), "modified": first("dc:date")}


def read_odt_document(path: Path, data: bytes) -> Document:
    """Read an OpenDocument text (.odt): paragraphs, headings, lists and tables in order."""
    content, metadata = _open_odf(data, "odt")
    body = content.find(f"{_q('office:body')}/{_q('office:text')}")
    if body is None:
        raise ReadError("the ODT has no text body")
    builder = TextBuilder()
    _text_blocks(body, builder)
    return build_document(path, data, "odt", builder, "ODT", title=metadata.get("title"), metadata=metadata)


# ------------------------------------------------------------------------------------ .ods

_DIGITS = re.compile(r"\d")


def _shown_style(value: float, shown: str) -> tuple[int | None, bool]:
    """Decimals and digit grouping of a number as the cell shows it (``65,410.72`` or ``65 410,72``)."""
    digits = "".join(_DIGITS.findall(shown))
    decimals = next((d for d in range(0, 7) if f"{abs(value):.{d}f}".replace(".", "") == digits), None)
    grouped = bool(re.search(r"\d[\s\u00a0\u202f.,'’]\d{3}(?!\d)", shown)) and abs(value) >= 1000
    if decimals and not re.search(rf"[.,]\d{{{decimals}}}(?!\d)", shown):
        grouped = False
    return decimals, grouped


def ods_cell_text(cell) -> str:
    """A spreadsheet cell's text: numbers, currency and dates rendered the Bulgarian way."""
    shown = " ".join(inline_text(p) for p in cell.iterchildren(_P))
    kind = cell.get(_q("office:value-type"))
    try:
        if kind in ("float", "currency", "percentage"):
            value = float(cell.get(_q("office:value")))
            if kind == "percentage":
                return bulgarian_number(value * 100, _shown_style(value * 100, shown)[0]) + "%"
            decimals, grouped = _shown_style(value, shown)
            text = bulgarian_number(value, decimals, grouped)
            code = cell.get(_q("office:currency"))
            currency = currency_token(shown) or ({"BGN": "лв."}.get(code, code) if kind == "currency" else None)
            return f"{text} {currency}" if currency else text
        if kind == "date":
            raw = cell.get(_q("office:date-value"), "")
            moment = dt.datetime.fromisoformat(raw[:19]) if "T" in raw else dt.date.fromisoformat(raw[:10])
            return render_datetime(moment)
    except (TypeError, ValueError):
        pass
    return shown


def read_ods_document(path: Path, data: bytes) -> Document:
    """Read an OpenDocument spreadsheet (.ods): each sheet a section, its grid a table."""
    content, metadata = _open_odf(data, "ods")
    body = content.find(f"{_q('office:body')}/{_q('office:spreadsheet')}")
    if body is None:
        raise ReadError("the ODS has no spreadsheet body")
    builder, budget, names = TextBuilder(), CellBudget("ODS"), []
    for sheet in body.iter(_TABLE):
        if any(a.tag == _TABLE for a in sheet.iterancestors()):
            continue
        names.append(sheet.get(_q("table:name"), ""))
        add_sheet(builder, names[-1], table_rows(sheet, ods_cell_text, budget))
    title = metadata.get("title") or sheet_title(builder.text, names)
    return build_document(path, data, "ods", builder, "ODS", title=title, metadata=metadata)
