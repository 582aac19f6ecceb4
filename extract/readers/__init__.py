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


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_CONTENT_TYPES = ((b"wordprocessingml.document.main", "docx"), (b"spreadsheetml.sheet.main", "xlsx"),
                      (b"ms-excel.sheet.macroEnabled.main", "xlsx"), (b"wordprocessingml.template.main", "docx"))
_ODF_MIMETYPES = ((b"application/vnd.oasis.opendocument.text", "odt"),
                  (b"application/vnd.oasis.opendocument.spreadsheet", "ods"))
_ZIP_FORMATS = ("docx", "xlsx", "odt", "ods")


def _zip_format(path: Path, data: bytes) -> str:
    """docx, xlsx, odt or ods by what the archive holds; the extension only when it cannot be opened."""
    import io
    import zipfile
    import zlib

    suffix = path.suffix.lower().lstrip(".")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype").strip()
                for prefix, fmt in _ODF_MIMETYPES:
                    if mimetype.startswith(prefix):
                        return fmt
            if "[Content_Types].xml" in names and archive.getinfo("[Content_Types].xml").file_size < 1_000_000:
                types = archive.read("[Content_Types].xml")
                for marker, fmt in _ZIP_CONTENT_TYPES:
                    if marker in types:
                        return fmt
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, KeyError,
            NotImplementedError, EOFError, RuntimeError):
        # A damaged archive: the local headers at its start still name the first members.
        start = data[:65536]
        for prefix, fmt in _ODF_MIMETYPES:
            if start[30:38] == b"mimetype" and prefix in start[:200]:
                return fmt
        if b"word/" in start:
            return "docx"
        if b"xl/" in start:
            return "xlsx"
    return suffix if suffix in _ZIP_FORMATS else "zip"


def _ole_format(path: Path, data: bytes) -> str:
    """doc or xls by the streams in an OLE2 container; ``encrypted`` for a password-protected
    Office 2007+ file (which is an OLE2 container too)."""
    import io

    import olefile

    suffix = path.suffix.lower().lstrip(".")
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # olefile raises many kinds for damaged containers; the reader will say why
        streams = set()
    if "encryptedpackage" in streams:
        return "encrypted"
    if "worddocument" in streams:
        return "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "powerpoint document" in streams:
        return "ppt"
    return "xls" if suffix == "xls" else "doc"


def sniff_format(path: Path, data: bytes) -> str:
    """The format of a file, from its content first and its extension second."""
    head = data[:2048].lstrip()
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(path, data)
    if data.startswith(OLE2_MAGIC[:4]):
        return _ole_format(path, data)
    if data.startswith(b"{\\rtf"):
        return "rtf"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered or b"<body" in lowered:
        return "html"
    suffix = path.suffix.lower().lstrip(".")
    return {"htm": "html", "text": "txt", "md": "txt"}.get(suffix, suffix or "txt")


def read_document(path: str | Path) -> Document:
    """Read any supported file into a ``Document``; raise ``ReadError`` when it cannot be read."""
    from extract.readers import doc, docx, html, odf, pdf, rtf, sheet, text

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReadError(f"cannot open the file: {error.strerror or error}") from error
    if not data.strip():
        raise ReadError("the file is empty")
    fmt = sniff_format(path, data)
    readers = {"txt": text.read_text_document, "html": html.read_html_document,
               "pdf": pdf.read_pdf_document, "docx": docx.read_docx_document,
               "doc": doc.read_doc_document, "rtf": rtf.read_rtf_document,
               "odt": odf.read_odt_document, "ods": odf.read_ods_document,
               "xlsx": sheet.read_xlsx_document, "xls": sheet.read_xls_document,
               "encrypted": _encrypted}
    reader = readers.get(fmt)
    if reader is None:
        raise ReadError(f"unsupported format '{fmt}' ({path.suffix or 'no extension'})")
    return reader(path, data)


def _encrypted(path: Path, data: bytes) -> Document:
    raise ReadError("the file is an Office document encrypted with a password")
