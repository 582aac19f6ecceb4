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
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as error:
        raise ReadError(f"neither UTF-8 nor windows-1251 text (byte {error.start})") from error
    return text, "cp1251"


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
