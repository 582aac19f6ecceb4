"""Plain-text reader: strict UTF-8 first, then windows-1251 (charset detectors misread cp1251)."""
from __future__ import annotations

from pathlib import Path

from extract.document import Document
from extract.normalize import normalize_text
from extract.readers import ReadError, file_sha256

_CONTROL_OK = set("\n\r\t\f\v")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text bytes; return (text, encoding). Raise ``ReadError`` for binary content."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("binary content, not text (NUL bytes)")
    for encoding in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig",):
        try:
            return data.decode(encoding), encoding.replace("-sig", "")
        except UnicodeDecodeError:
            pass
    damaged = damaged_utf8(data)
    if damaged is not None:
        return damaged, "utf-8"
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as error:
        raise ReadError(f"neither UTF-8 nor windows-1251 text (byte {error.start})") from error
    return text, "cp1251"


def damaged_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few invalid bytes, each read as U+FFFD; None when the bytes are not UTF-8.

    A flipped byte or a cut multi-byte character must not turn a whole UTF-8 file into
    windows-1251 mojibake (or a failure, if a byte has no windows-1251 meaning): windows-1251
    Cyrillic is invalid UTF-8 at nearly every letter, so at most one bad byte in ten non-ASCII
    characters tells the two apart.
    """
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = sum(1 for c in text if ord(c) > 127)
    return text if bad and bad * 10 <= non_ascii else None


def looks_binary(text: str) -> bool:
    """True when a decoded text is mostly control characters (garbage named .txt)."""
    sample = text[:4096]
    if not sample:
        return False
    bad = sum(1 for c in sample if ord(c) < 32 and c not in _CONTROL_OK)
    return bad / len(sample) > 0.05


def read_text_document(path: Path, data: bytes) -> Document:
    """Read a plain-text file."""
    raw, encoding = decode_bytes(data)
    if looks_binary(raw):
        raise ReadError("binary content, not text (control characters)")
    text = normalize_text(raw)
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return Document(text=text, source=str(path), sha256=file_sha256(data), format="txt",
                    title=title[:200] if title else None, metadata={"encoding": encoding})
