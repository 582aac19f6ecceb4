"""PDF reader: the text layer through pypdfium2. Pages drawn with ruling lines (path objects)
also go through pdfplumber's table finder, fed with pypdfium2's geometry (``pdf_tables``), so
budget tables come out as tables without pdfminer parsing the page a second time."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from extract.document import Document, Table
from extract.normalize import normalize_text
from extract.readers import ReadError, file_sha256, ocr

PAGE_SEPARATOR = "\n\f\n"


MIN_RULING_PATHS = 4


def _image_coverage(page) -> float:
    """The share of a page that image objects cover (summed, capped at 1)."""
    import pypdfium2.raw as pdfium_raw

    width, height = page.get_size()
    covered = 0.0
    for image in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = image.get_bounds()
        covered += max(0.0, min(right, width) - max(left, 0.0)) * max(0.0, min(top, height) - max(bottom, 0.0))
    return min(1.0, covered / (width * height)) if width and height else 0.0


def _has_paths(page, enough: int) -> bool:
    """Whether a page draws at least ``enough`` path objects (ruling lines), looking inside form
    objects one level deep. Through pdfium's C calls: a page has dozens of text objects, and
    ``get_objects`` wraps each one in a Python object only to skip it."""
    import pypdfium2.raw as pdfium_raw

    found = 0
    containers = [(pdfium_raw.FPDFPage_CountObjects, pdfium_raw.FPDFPage_GetObject, page.raw, True)]
    while containers:
        count, get, parent, top = containers.pop()
        for index in range(count(parent)):
            obj = get(parent, index)
            kind = pdfium_raw.FPDFPageObj_GetType(obj)
            if kind == pdfium_raw.FPDF_PAGEOBJ_PATH:
                found += 1
                if found >= enough:
                    return True
            elif kind == pdfium_raw.FPDF_PAGEOBJ_FORM and top:
                containers.append((pdfium_raw.FPDFFormObj_CountObjects, pdfium_raw.FPDFFormObj_GetObject, obj, False))
    return False


class PdfPages(NamedTuple):
    """What pypdfium2 (and OCR) read of a PDF's pages."""

    texts: list[str]
    metadata: dict
    tables: dict[int, list[list[list[str]]]]           # 0-based page → its tables (ruling lines or OCR)
    ocr: list[dict]                                    # OCR'd pages (1-based): why, confidence, words


def _pdfium_pages(data: bytes) -> PdfPages:
    """Page texts, document metadata, the tables of each page and what OCR did, in one pass.

    A page drawn with ruling lines (path objects) has its tables read while it is open (see
    ``pdf_tables``). A page whose text layer is missing (on a page with images) or garbage is
    read by OCR instead (``extract.readers.ocr``), its text repaired. OCR'd pages are not sent to
    the table reader (it reads the text layer they lack); OCR finds their ruled tables in the
    image instead.
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        message = str(error)
        if "password" in message.lower():
            raise ReadError("the PDF is encrypted with a password") from error
        raise ReadError(f"the PDF is damaged or not a PDF ({message})") from error
    try:
        metadata = {k: v for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
        pages, ocr_pages, tables = [], [], {}
        damaged = []
        for index in range(len(pdf)):
            try:
                page = pdf[index]
            except pdfium.PdfiumError:
                # A damaged page loses only itself: the others are read, and the metadata says which.
                damaged.append(index + 1)
                pages.append("")
                continue
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            problem = ocr.text_layer_problem(text, lambda: _image_coverage(page))
            if problem:
                result = ocr.ocr_pdf_page(page)
                text = ocr.repair_ocr_text(result.text)
                ocr_pages.append({"page": index + 1, "reason": problem, "confidence": result.confidence,
                                  "words": result.words})
                if result.tables:
                    tables[index] = [[[normalize_text(ocr.repair_ocr_text(cell)) for cell in row] for row in table]
                                     for table in result.tables]
            else:
                if _has_paths(page, MIN_RULING_PATHS):
                    found = _ruled_tables(page, textpage)
                    if found:
                        tables[index] = found
            textpage.close()
            pages.append(text)
            page.close()
        if damaged:
            metadata = {**metadata, "damaged_pages": damaged}
        return PdfPages(pages, metadata, tables, ocr_pages)
    finally:
        pdf.close()


def ocr_metadata(ocr_pages: list[dict]) -> dict:
    """The ``ocr`` entry of a document's metadata: engine, settings and the OCR'd pages."""
    return {"engine": ocr.tesseract_version(), "languages": ocr.OCR_LANGUAGES, "dpi": ocr.OCR_DPI,
            "psm": ocr.PAGE_SEGMENTATION_MODE, "pages": ocr_pages}


def _ruled_tables(page, textpage) -> list[list[list[str]]]:
    """Ruled tables of an open page with at least two rows each (see ``pdf_tables``)."""
    from extract.readers.pdf_tables import page_tables

    try:
        found = page_tables(page, textpage)
    except Exception:  # tables are a bonus: a failure of the table finder must not lose the text
        return []
    return [rows for rows in ([[normalize_text(" ".join((cell or "").split())) for cell in row] for row in table]
                              for table in found) if len(rows) >= 2]


def locate_table(text: str, rows: list[list[str]], start: int, end: int) -> tuple[int, int]:
    """Span of a table's cells inside ``text[start:end]`` (first to last cell found)."""
    first = last = None
    cursor = start
    for row in rows:
        for cell in row:
            words = cell.split()
            if not words:
                continue
            found = find_words(text, words, cursor, end)
            if found is None:
                continue
            first = found[0] if first is None else first
            cursor = last = found[1]
    return (first, last) if first is not None else (start, start)


def find_words(text: str, words: list[str], start: int, end: int) -> tuple[int, int] | None:
    """Span of the first place in ``text[start:end]`` where ``words`` follow each other, separated by whitespace.

    What ``re.search(r"\\s+".join(map(re.escape, words)), ...)`` finds, without compiling a
    pattern for every table cell (cells are mostly numbers, so a cache would not help).
    """
    head, rest = words[0], words[1:]
    position = text.find(head, start, end)
    while position != -1:
        cursor = position + len(head)
        for word in rest:
            gap = cursor
            while gap < end and text[gap].isspace():
                gap += 1
            if gap == cursor or not text.startswith(word, gap, end):
                break
            cursor = gap + len(word)
        else:
            return position, cursor
        position = text.find(head, position + 1, end)
    return None


def read_pdf_document(path: Path, data: bytes) -> Document:
    """Read a PDF; tables on ruled pages come out as tables too.

    Pages without a usable text layer (scans, fonts without a Unicode map) are OCR'd; the
    metadata's ``ocr`` entry then says which pages, why and with what confidence.
    """
    page_texts, metadata, by_page, ocr_pages = _pdfium_pages(data)
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
        raise ReadError("the PDF has no text: OCR found none on its images" if ocr_pages
                        else "the PDF has no text layer and no images to OCR")
    tables: list[Table] = []
    for index, page_tables in sorted(by_page.items()):
        page_end = offsets[index + 1] if index + 1 < len(offsets) else len(text)
        for rows in page_tables:
            start, end = locate_table(text, rows, offsets[index], page_end)
            tables.append(Table(rows=rows, start=start, end=end, page=index + 1))
    title = metadata.get("Title") or next((l.strip() for l in text.splitlines() if l.strip()), None)
    return Document(text=text, source=str(path), sha256=file_sha256(data), format="pdf", pages=offsets,
                    title=normalize_text(title)[:200] if title else None,
                    metadata={"pdf": metadata, "page_count": len(page_texts),
                              **({"ocr": ocr_metadata(ocr_pages)} if ocr_pages else {})}, tables=tables)
