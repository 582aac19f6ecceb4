"""Word 97–2003 (.doc) reader through antiword (Debian package ``antiword``).

antiword is run twice: its plain-text output keeps line breaks and tabs inside paragraphs but
draws tables as ``|cell |cell |`` art with wrapped cells; its DocBook output has exact table rows
and cells but joins a paragraph's lines without a space. The text output is used for paragraphs
and each drawn table is replaced by the matching DocBook table.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from extract.document import Document
from extract.readers import ReadError
from extract.readers.office import TextBuilder, build_document, check_size, ole_metadata

ANTIWORD_TIMEOUT = 60
_DRAWN_ROW = re.compile(r"^\|.*\|$")
_PICTURE = re.compile(r"\[pic\]")
_FIB_ENCRYPTED = 0x0100


def is_encrypted_doc(data: bytes) -> bool:
    """True when the Word document's FIB says it is encrypted (or XOR-obfuscated) with a password."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not ole.exists("WordDocument"):
                return False
            header = ole.openstream("WordDocument").read(12)
    except Exception:  # a damaged container: antiword will say what is wrong
        return False
    return len(header) >= 12 and bool(int.from_bytes(header[10:12], "little") & _FIB_ENCRYPTED)


def _antiword(executable: str, file: Path, *options: str) -> str:
    try:
        done = subprocess.run([executable, *options, str(file)], capture_output=True, timeout=ANTIWORD_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        raise ReadError(f"antiword took longer than {ANTIWORD_TIMEOUT} s on the .doc file") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip().replace(str(file), "the file")
        raise ReadError(f"the .doc file could not be read by antiword: {message or f'exit status {done.returncode}'}")
    return done.stdout.decode("utf-8", errors="replace")


def docbook_tables(xml: str) -> list[list[list[str]]]:
    """The tables of antiword's DocBook output, as rows of cell texts."""
    root = _docbook_root(xml)
    if root is None:
        return []
    return [_table_rows(table) for table in root.iter("informaltable", "table")]


def _docbook_root(xml: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
    try:
        return etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None


def _table_rows(table) -> list[list[str]]:
    return [[" ".join("".join(entry.itertext()).split()) for entry in row.iter("entry")]
            for row in table.iter("row")]


def docbook_blocks(xml: str) -> list[str | list[list[str]]]:
    """Paragraphs and tables of the DocBook output alone (used when the two outputs disagree)."""
    root = _docbook_root(xml)
    blocks: list[str | list[list[str]]] = []
    if root is None:
        return blocks
    for element in root.iter("title", "subtitle", "para", "informaltable", "table"):
        if any(a.tag in ("bookinfo", "informaltable", "table") for a in element.iterancestors()):
            continue
        if element.tag in ("informaltable", "table"):
            blocks.append(_table_rows(element))
        elif next(element.iter("informaltable", "table"), None) is None:
            blocks.append(" ".join("".join(element.itertext()).split()))
    return blocks


def merge_outputs(text: str, tables: list[list[list[str]]]) -> list[str | list[list[str]]] | None:
    """Text-output lines with each drawn table replaced by its DocBook rows; None if they disagree."""
    blocks: list[str | list[list[str]]] = []
    drawn = 0
    in_drawing = False
    for line in text.split("\n"):
        line = _PICTURE.sub("", line).rstrip()
        if _DRAWN_ROW.match(line):
            if not in_drawing:
                if drawn >= len(tables):
                    return None
                blocks.append(tables[drawn])
                drawn += 1
            in_drawing = True
            continue
        in_drawing = False
        if line or (blocks and isinstance(blocks[-1], str) and blocks[-1] != ""):
            blocks.append(line)
    if drawn != len(tables):
        return None
    while blocks and blocks[-1] == "":
        blocks.pop()
    return blocks


def read_doc_document(path: Path, data: bytes) -> Document:
    """Read a Word 97–2003 binary document."""
    check_size(data, ".doc file")
    executable = shutil.which("antiword")
    if executable is None:
        raise ReadError("reading .doc files needs antiword (Debian package 'antiword'), which is not installed")
    if is_encrypted_doc(data):
        raise ReadError("the .doc file is encrypted with a password")
    with tempfile.TemporaryDirectory(prefix="letopis-doc-") as folder:
        file = Path(folder) / "document.doc"
        file.write_bytes(data)
        text = _antiword(executable, file, "-m", "UTF-8.txt", "-w", "0")
        xml = _antiword(executable, file, "-x", "db")
    tables = docbook_tables(xml)
    blocks = merge_outputs(text, tables)
    if blocks is None:
        blocks = docbook_blocks(xml)
    builder = TextBuilder()
    for block in blocks:
        if isinstance(block, str):
            builder.line(block)
        elif block:
            width = max(len(row) for row in block)
            builder.table([row + [""] * (width - len(row)) for row in block])
    metadata = ole_metadata(data)
    return build_document(path, data, "doc", builder, ".doc file", title=metadata.get("title"), metadata=metadata)
