"""Readers: a file in, a normalised ``Document`` out. Each reader raises ``ReadError`` with a reason."""
from __future__ import annotations

import hashlib
from pathlib import Path

from extract.document import Document


class ReadError(Exception):
    """A file could not be read; ``str(error)`` is a reason a person understands."""


def file_sha256(data: bytes) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def sniff_format(path: Path, data: bytes) -> str:
    """The format of a file, from its content first and its extension second."""
    head = data[:2048].lstrip()
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or path.suffix.lower() == ".docx" else "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered or b"<body" in lowered:
        return "html"
    suffix = path.suffix.lower().lstrip(".")
    return {"htm": "html", "text": "txt", "md": "txt"}.get(suffix, suffix or "txt")


def read_document(path: str | Path) -> Document:
    """Read any supported file into a ``Document``; raise ``ReadError`` when it cannot be read."""
    from extract.readers import docx, html, pdf, text

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReadError(f"cannot open the file: {error.strerror or error}") from error
    if not data.strip():
        raise ReadError("the file is empty")
    fmt = sniff_format(path, data)
    readers = {"txt": text.read_text_document, "html": html.read_html_document,
               "pdf": pdf.read_pdf_document, "docx": docx.read_docx_document}
    reader = readers.get(fmt)
    if reader is None:
        raise ReadError(f"unsupported format '{fmt}' ({path.suffix or 'no extension'})")
    return reader(path, data)
