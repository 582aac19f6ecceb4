"""PDF reader: the text layer through pypdfium2. Pages drawn with ruling lines (path objects)
also go through pdfplumber's table finder, fed with pypdfium2's geometry (``pdf_tables``), so
budget tables come out as tables without pdfminer parsing the page a second time."""
from __future__ import annotations

import re
from pathlib import Path

from extract.document import Document, Table
from extract.normalize import normalize_text
from extract.readers import ReadError, file_sha256

PAGE_SEPARATOR = "\n\f\n"


MIN_RULING_PATHS = 4


def _pdfium_pages(data: bytes) -> tuple[list[str], dict, list[int]]:
    """Page texts, document metadata and the 0-based pages drawn with ruling lines (path objects)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        message = str(error)
        if "password" in message.lower():
            raise ReadError("the PDF is encrypted with a password") from error
        raise ReadError(f"the PDF is damaged or not a PDF ({message})") from error
    try:
        metadata = {k: v for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
        pages, ruled = [], []
        for index, page in enumerate(pdf):
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            paths = page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_PATH], max_depth=2)
            if sum(1 for _ in zip(range(MIN_RULING_PATHS), paths)) >= MIN_RULING_PATHS:
                ruled.append(index)
            page.close()
        return pages, metadata, ruled
    finally:
        pdf.close()


def _tables_on_pages(data: bytes, page_indexes: list[int]) -> dict[int, list[list[list[str]]]]:
    """Ruled tables of the given 0-based pages, each with at least two rows (see ``pdf_tables``)."""
    import pypdfium2 as pdfium

    from extract.readers.pdf_tables import page_tables

    found: dict[int, list[list[list[str]]]] = {}
    pdf = pdfium.PdfDocument(data)
    try:
        for index in page_indexes:
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                tables = [[[normalize_text(" ".join((cell or "").split())) for cell in row] for row in table]
                          for table in page_tables(page, textpage)]
            finally:
                textpage.close()
                page.close()
            if tables:
                found[index] = [t for t in tables if len(t) >= 2]
    finally:
        pdf.close()
    return found


def locate_table(text: str, rows: list[list[str]], start: int, end: int) -> tuple[int, int]:
    """Span of a table's cells inside ``text[start:end]`` (first to last cell found)."""
    first = last = None
    cursor = start
    for row in rows:
        for cell in row:
            words = cell.split()
            if not words:
                continue
            pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
            found = pattern.search(text, cursor, end)
            if found is None:
                continue
            first = found.start() if first is None else first
            cursor = last = found.end()
    return (first, last) if first is not None else (start, start)


def read_pdf_document(path: Path, data: bytes) -> Document:
    """Read a PDF with a text layer; tables on ruled pages come out as tables too."""
    page_texts, metadata, ruled = _pdfium_pages(data)
    offsets, parts, position = [], [], 0
    for index, raw in enumerate(page_texts):
        page_text = normalize_text(raw)
        if index:
            parts.append(PAGE_SEPARATOR)
            position += len(PAGE_SEPARATOR)
        offsets.append(position)
        parts.append(page_text)
        position += len(page_text)
    text = "".join(parts)
    if not text.strip():
        raise ReadError("the PDF has no text layer (a scan?): OCR is needed")
    tables: list[Table] = []
    try:
        by_page = _tables_on_pages(data, ruled) if ruled else {}
    except Exception:  # tables are a bonus: a pdfplumber failure must not lose the text
        by_page = {}
    for index, page_tables in sorted(by_page.items()):
        page_end = offsets[index + 1] if index + 1 < len(offsets) else len(text)
        for rows in page_tables:
            start, end = locate_table(text, rows, offsets[index], page_end)
            tables.append(Table(rows=rows, start=start, end=end, page=index + 1))
    title = metadata.get("Title") or next((l.strip() for l in text.splitlines() if l.strip()), None)
    return Document(text=text, source=str(path), sha256=file_sha256(data), format="pdf", pages=offsets,
                    title=normalize_text(title)[:200] if title else None,
                    metadata={"pdf": metadata, "page_count": len(page_texts)}, tables=tables)
