"""Shared by the office-format readers (ODF, RTF, Word 97, spreadsheets).

Blocks (paragraph lines and tables) are laid out the way the DOCX reader lays them out: one line
per paragraph, one line per table row with its cells joined by tabs, a blank line after each
table, and each table's character span recorded. Also here: the size, zip-bomb and XML guards.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Any

from extract.document import Document, Table
from extract.normalize import normalize_text
from extract.readers import ReadError, file_sha256

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_UNCOMPRESSED = 200 * 1024 * 1024
# An invisible hyphenation hint inside a word ("меко\u00adтире"): dropped so words stay whole.
SOFT_HYPHEN = "\u00ad"


def check_size(data: bytes, label: str) -> None:
    """Refuse files too large to read in one worker."""
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(f"the {label} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")


def open_zip(data: bytes, label: str) -> zipfile.ZipFile:
    """The zip archive of an office file, refusing damaged archives and zip bombs."""
    check_size(data, label)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise ReadError(f"the {label} is damaged (not a valid zip archive)") from error
    # Declared sizes bound what zipfile will inflate, so checking them is enough.
    if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
        raise ReadError(f"the {label} unpacks to more than {MAX_UNCOMPRESSED // (1024 * 1024)} MB (a zip bomb?)")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, label: str) -> bytes:
    """One member of an office zip; a missing or damaged member is a ``ReadError``."""
    try:
        return archive.read(name)
    except KeyError as error:
        raise ReadError(f"the {label} has no {name}") from error
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError) as error:
        raise ReadError(f"the {label} is damaged ({name} cannot be unpacked: {error})") from error


def parse_xml(data: bytes, label: str):
    """An lxml tree of untrusted XML: no entity expansion, no DTD, no network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ReadError(f"the {label} is damaged (broken XML: {error})") from error


def cell_text(text: str) -> str:
    """A table cell on one line: its paragraphs and line breaks become single spaces."""
    return normalize_text(" ".join(text.replace(SOFT_HYPHEN, "").split()))


class TextBuilder:
    """Collects paragraph lines and tables into ``Document.text`` with honest table spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.tables: list[Table] = []
        self.position = 0

    def line(self, text: str) -> None:
        """Add one paragraph (it may hold line breaks)."""
        text = normalize_text(text.replace(SOFT_HYPHEN, ""))
        self.parts.append(text + "\n")
        self.position += len(text) + 1

    def table(self, rows: list[list[str]]) -> None:
        """Add a table: one tab-joined line per row, then a blank line."""
        rows = [[cell_text(cell) for cell in row] for row in rows]
        if not rows:
            return
        start = self.position
        for row in rows:
            self.line("\t".join(row))
        self.tables.append(Table(rows=rows, start=start, end=max(start, self.position - 1)))
        self.line("")

    @property
    def text(self) -> str:
        """The text laid out so far."""
        return "".join(self.parts)


def first_line(text: str) -> str | None:
    """The first non-blank line, as a fallback title."""
    return next((line.strip() for line in text.splitlines() if line.strip()), None)


def build_document(path: Path, data: bytes, fmt: str, builder: TextBuilder, label: str,
                   title: str | None = None, metadata: dict[str, Any] | None = None) -> Document:
    """The ``Document`` of a laid-out file; a file without any text is a ``ReadError``."""
    text = builder.text
    if not text.strip():
        raise ReadError(f"the {label} has no text")
    title = normalize_text(" ".join(title.split())) if title and title.strip() else first_line(text)
    return Document(text=text, source=str(path), sha256=file_sha256(data), format=fmt,
                    title=title[:200] if title else None,
                    metadata={k: v for k, v in (metadata or {}).items() if v}, tables=builder.tables)


def ole_metadata(data: bytes) -> dict[str, Any]:
    """Title, author and dates from an OLE2 file's SummaryInformation (Word 97, Excel 97)."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            meta = ole.get_metadata()
    except Exception:  # olefile raises many kinds for damaged containers; metadata is optional
        return {}
    number = (meta.codepage or 1252) & 0xFFFF  # stored as a signed 16-bit number: 65001 reads as -535
    codepage = {65001: "utf-8", 1200: "utf-16-le"}.get(number, f"cp{number}")

    def text(value: Any) -> str | None:
        if isinstance(value, bytes):
            try:
                value = value.decode(codepage, errors="replace")
            except LookupError:
                value = value.decode("cp1252", errors="replace")
        return normalize_text(value.strip("\x00 ")) if isinstance(value, str) and value.strip("\x00 ") else None

    return {"title": text(meta.title), "author": text(meta.author),
            "created": meta.create_time.isoformat() if meta.create_time else None,
            "modified": meta.last_saved_time.isoformat() if meta.last_saved_time else None}
