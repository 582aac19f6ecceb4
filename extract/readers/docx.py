"""DOCX reader: paragraphs and tables in document order; table cells joined by tabs."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from extract.document import Document, Table
from extract.normalize import normalize_text
from extract.readers import ReadError, file_sha256

MAX_UNCOMPRESSED = 200 * 1024 * 1024


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ReadError("the DOCX is damaged (not a valid zip archive)") from error
    if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
        raise ReadError("the DOCX unpacks to more than 200 MB (a zip bomb?)")
    if "word/document.xml" not in archive.namelist():
        raise ReadError("the zip archive is not a Word document (no word/document.xml)")


def read_docx_document(path: Path, data: bytes) -> Document:
    """Read a Word .docx file."""
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises several kinds for broken packages
        raise ReadError(f"the DOCX could not be opened: {error}") from error
    parts: list[str] = []
    tables: list[Table] = []
    position = 0

    def add(line: str) -> None:
        nonlocal position
        parts.append(line + "\n")
        position += len(line) + 1

    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            add(normalize_text(block.text))
        elif isinstance(block, DocxTable):
            start, rows = position, []
            for row in block.rows:
                cells = [normalize_text(" ".join(cell.text.split())) for cell in row.cells]
                deduped = [c for i, c in enumerate(cells) if i == 0 or row.cells[i]._tc is not row.cells[i - 1]._tc]
                rows.append(deduped)
                add("\t".join(deduped))
            tables.append(Table(rows=rows, start=start, end=max(start, position - 1)))
            add("")
    text = "".join(parts)
    if not text.strip():
        raise ReadError("the DOCX has no text")
    core = document.core_properties
    metadata = {"author": core.author, "title": core.title,
                "created": core.created.isoformat() if core.created else None,
                "modified": core.modified.isoformat() if core.modified else None}
    title = core.title or next((l.strip() for l in text.splitlines() if l.strip()), None)
    return Document(text=text, source=str(path), sha256=file_sha256(data), format="docx",
                    title=title[:200] if title else None,
                    metadata={k: v for k, v in metadata.items() if v}, tables=tables)
