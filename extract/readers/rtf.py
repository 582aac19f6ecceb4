"""RTF reader: paragraphs and tables (``\\trowd … \\cell … \\row``) in document order.

A small tokenizer rather than a text stripper, because tables must come out as rows and cells,
and because ``\\'xx`` bytes have to be decoded in the code page of the font they are written in:
Bulgarian RTF says ``\\ansicpg1251`` and often declares its fonts as charset 0 while meaning
windows-1251, which generic strippers decode as windows-1252 (``Îáùèíà`` for ``Община``).
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from pathlib import Path

from extract.document import Document
from extract.readers import ReadError
from extract.readers.office import TextBuilder, build_document, check_size

_TOKEN = re.compile(r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([\r\n]+)"
                    r"|([^\\{}\r\n]+)", re.S)

# fcharset → code page; charset 0 (ANSI) and 1 (default) mean the document's \ansicpg.
_CHARSET_CODEPAGE = {77: "mac_roman", 128: "cp932", 129: "cp949", 134: "gbk", 136: "big5", 161: "cp1253",
                     162: "cp1254", 163: "cp1258", 177: "cp1255", 178: "cp1256", 186: "cp1257", 204: "cp1251",
                     222: "cp874", 238: "cp1250", 255: "cp437"}

# Destinations whose text is not part of the document body.
_SKIPPED = frozenset("""
    annotation atnauthor atndate atnicn atnid atnparent atnref atntime author background bkmkend bkmkstart
    buptim category colortbl comment company creatim datafield datastore docvar doccomm falt ffname fldinst
    filetbl fontemb fontfile footer footerf footerl footerr footnote ftncn ftnsep ftnsepc generator
    header headerf headerl headerr hlinkbase info keycode keywords latentstyles listoverridetable listpicture
    listtable manager mmathPr nonesttables nonshppict object objdata operator panose pgdsctbl pict printim
    private revtbl revtim rsidtbl rxe shpinst shptxt stylesheet subject tc template themedata title txe
    userprops xe xmlnstbl colorschememapping
""".split())
_INFO_FIELDS = {"title", "author", "subject", "keywords"}
_SYMBOLS = {"line": "\n", "tab": "\t", "emdash": "\u2014", "endash": "\u2013", "emspace": " ", "enspace": " ",
            "qmspace": " ", "bullet": "\u2022", "lquote": "\u2018", "rquote": "\u2019", "ldblquote": "\u201c",
            "rdblquote": "\u201d", "nestcell": " ", "nestrow": " "}
_CONTROL_SYMBOLS = {"~": "\u00a0", "_": "-", "-": "", "\\": "\\", "{": "{", "}": "}", "\n": "\n", "\r": "\n"}
# Bullets drawn with Symbol or Wingdings glyphs arrive as private-use characters.
_SYMBOL_FONT_BULLETS = {0xF0B7: "\u2022", 0xF0A7: "\u2022", 0xF0D8: "\u2022", 0xF076: "\u2022",
                        0xF06E: "\u2022", 0xF0FC: "\u2022"}
_STRUCTURE = frozenset({"par", "sect", "page", "pard", "intbl", "itap", "cell", "row"})
MAX_BIN = 100 * 1024 * 1024


@dataclass(frozen=True)
class _Group:
    """Reading state that a ``{`` saves and the matching ``}`` restores."""

    dest: str = "body"  # body, fonttbl, skip, or an \info field name
    font: int | None = None
    uc: int = 1
    hidden: bool = False  # \v: text Word does not show


class _Reader:
    """Walks the tokens once, collecting paragraphs, table rows and \\info fields."""

    def __init__(self) -> None:
        self.blocks: list[str | list[list[str]]] = []
        self.info: dict[str, str] = {}
        self.created: dict[str, int] = {}
        self.codepage = "cp1252"
        self.default_font: int | None = None
        self.font_codepages: dict[int, str] = {}
        self.font_being_defined: int | None = None
        self.pending = bytearray()
        self.pending_codepage = "cp1252"
        self.paragraph: list[str] = []
        self.cells: list[str] = []
        self.rows: list[list[str]] = []
        self.in_table = False
        self.group = _Group()
        self.stack: list[_Group] = []
        self.skip_fallback = 0

    # ---------------------------------------------------------------- output

    def _font_codepage(self) -> str:
        font = self.group.font if self.group.font is not None else self.default_font
        return self.font_codepages.get(font, self.codepage) if font is not None else self.codepage

    def flush_bytes(self) -> None:
        if self.pending:
            self.emit_text(bytes(self.pending).decode(self.pending_codepage, errors="replace"))
            self.pending.clear()

    def add_bytes(self, raw: bytes) -> None:
        codepage = self._font_codepage()
        if self.pending and codepage != self.pending_codepage:
            self.flush_bytes()
        self.pending_codepage = codepage
        self.pending.extend(raw)

    def emit_text(self, text: str) -> None:
        dest = self.group.dest
        if self.group.hidden:
            return
        if dest == "body":
            self.paragraph.append(text)
        elif dest in _INFO_FIELDS:
            self.info[dest] = self.info.get(dest, "") + text

    def emit(self, text: str) -> None:
        self.flush_bytes()
        self.emit_text(text)

    def _flush_table(self) -> None:
        if self.cells:
            self.rows.append(self.cells)
            self.cells = []
        if self.rows:
            self.blocks.append(self.rows)
            self.rows = []

    def end_paragraph(self) -> None:
        self.flush_bytes()
        if self.group.dest != "body":
            return
        if self.in_table:
            self.paragraph.append("\n")
            return
        self._flush_table()
        self.blocks.append("".join(self.paragraph))
        self.paragraph = []

    def end_cell(self) -> None:
        self.flush_bytes()
        self.cells.append("".join(self.paragraph))
        self.paragraph = []

    def end_row(self) -> None:
        self.flush_bytes()
        if self.paragraph and "".join(self.paragraph).strip():
            self.end_cell()
        self.paragraph = []
        if self.cells:
            self.rows.append(self.cells)
        self.cells = []

    def finish(self) -> None:
        self.flush_bytes()
        if self.in_table or self.cells:
            self.end_row()
        self._flush_table()
        if "".join(self.paragraph).strip():
            self.blocks.append("".join(self.paragraph))

    # ---------------------------------------------------------------- tokens

    def open_group(self) -> None:
        self.flush_bytes()
        self.stack.append(self.group)
        self.skip_fallback = 0

    def close_group(self) -> None:
        self.flush_bytes()
        self.skip_fallback = 0
        if self.group.dest == "fonttbl":
            self.font_being_defined = None
        if self.stack:
            self.group = self.stack.pop()

    def control_word(self, word: str, arg: int | None) -> None:
        if self.skip_fallback:
            self.skip_fallback -= 1
            return
        group = self.group
        if word in _SKIPPED:
            if word in _INFO_FIELDS and group.dest in ("info", *_INFO_FIELDS):
                self.flush_bytes()
                # A field may come twice (\upr: an ANSI copy, then the Unicode one): the last wins.
                self.info[word] = ""
                self.group = replace(group, dest=word)
            elif word == "info":
                self.group = replace(group, dest="info")
            elif word == "creatim":
                self.group = replace(group, dest="creatim")
            else:
                self.group = replace(group, dest="skip")
            return
        if group.dest == "creatim" and word in ("yr", "mo", "dy", "hr", "min") and arg is not None:
            self.created[word] = arg
            return
        if word == "ud" and self.stack:
            # {\*\ud ...} is the Unicode twin of an \upr group: read it like its parent.
            self.group = replace(group, dest=self.stack[-1].dest)
        elif word == "fonttbl":
            self.group = replace(group, dest="fonttbl")
        elif group.dest == "fonttbl":
            self._font_definition(word, arg)
        elif word == "u" and arg is not None:
            code = arg + 0x10000 if arg < 0 else arg
            self.emit(_SYMBOL_FONT_BULLETS.get(code) or (chr(code) if 0 <= code < 0x10000 else "\ufffd"))
            self.skip_fallback = group.uc
        elif word == "uc" and arg is not None:
            self.group = replace(group, uc=max(0, arg))
        elif word == "f" and arg is not None:
            self.flush_bytes()
            self.group = replace(group, font=arg)
        elif word in ("v", "plain"):
            self.flush_bytes()
            hidden = word == "v" and arg != 0
            self.group = replace(group, hidden=hidden, font=None if word == "plain" else group.font)
        elif word == "deff" and arg is not None:
            self.default_font = arg
        elif word == "ansicpg" and arg is not None:
            self.codepage = _codepage(f"cp{arg}", self.codepage)
        elif word in ("mac", "pc", "pca"):
            self.codepage = {"mac": "mac_roman", "pc": "cp437", "pca": "cp850"}[word]
        elif word in _STRUCTURE and group.dest != "body":
            return  # a table or paragraph in a header, footnote or field code is not the body's
        elif word == "par":
            self.end_paragraph()
        elif word in ("sect", "page"):
            if "".join(self.paragraph).strip():
                self.end_paragraph()
        elif word == "pard":
            self.in_table = False
        elif word == "intbl":
            self.in_table = True
        elif word == "itap":
            self.in_table = bool(arg)
        elif word == "cell":
            self.end_cell()
        elif word == "row":
            self.end_row()
        elif word in _SYMBOLS:
            self.emit(_SYMBOLS[word])

    def _font_definition(self, word: str, arg: int | None) -> None:
        if word == "f" and arg is not None:
            self.font_being_defined = arg
        elif word == "fcharset" and arg is not None and self.font_being_defined is not None:
            codepage = _CHARSET_CODEPAGE.get(arg)
            if codepage:
                self.font_codepages[self.font_being_defined] = codepage
        elif word == "cpg" and arg is not None and self.font_being_defined is not None:
            self.font_codepages[self.font_being_defined] = _codepage(f"cp{arg}", self.codepage)

    def control_symbol(self, symbol: str) -> None:
        if self.skip_fallback:
            self.skip_fallback -= 1
            return
        if symbol == "*":
            # An ignorable destination: none that this reader needs is marked with \*.
            self.group = replace(self.group, dest="skip")
        elif symbol in ("\n", "\r"):
            self.end_paragraph()
        elif symbol in _CONTROL_SYMBOLS:
            self.emit(_CONTROL_SYMBOLS[symbol])

    def raw_text(self, raw: str) -> None:
        if self.skip_fallback:
            dropped = min(self.skip_fallback, len(raw))
            self.skip_fallback -= dropped
            raw = raw[dropped:]
        if raw and self.group.dest not in ("skip", "fonttbl", "info", "creatim"):
            self.add_bytes(raw.encode("latin-1"))

    def hex_byte(self, value: str) -> None:
        if self.skip_fallback:
            self.skip_fallback -= 1
            return
        if self.group.dest not in ("skip", "fonttbl", "info", "creatim"):
            self.add_bytes(bytes([int(value, 16)]))


def _codepage(name: str, fallback: str) -> str:
    try:
        codecs.lookup(name)
    except LookupError:
        return fallback
    return name


def parse_rtf(data: bytes) -> tuple[list[str | list[list[str]]], dict[str, str]]:
    """Blocks (a paragraph string, or a table as rows of cells) and \\info fields of an RTF file.

    A file whose groups are not all closed was cut short: that is a ``ReadError``.
    """
    raw = data.decode("latin-1")  # one character per byte: 8-bit text is decoded by its font later
    reader = _Reader()
    position, end = 0, len(raw)
    while position < end:
        match = _TOKEN.match(raw, position)
        if match is None:  # a lone backslash at the very end
            break
        position = match.end()
        word, arg, hex_value, symbol, brace, _newline, text = match.groups()
        if word:
            number = int(arg) if arg else None
            if word == "bin" and number:
                # Binary data: its length is given, its bytes are not RTF.
                position += min(max(0, number), MAX_BIN)
                continue
            reader.control_word(word, number)
        elif hex_value:
            reader.hex_byte(hex_value)
        elif symbol is not None:
            reader.control_symbol(symbol)
        elif brace == "{":
            reader.open_group()
        elif brace == "}":
            reader.close_group()
            if not reader.stack:
                break  # the document group is closed; readers ignore anything after it
        elif text:
            reader.raw_text(text)
    if reader.stack:
        raise ReadError(f"the RTF is truncated or damaged ({len(reader.stack)} groups are not closed)")
    reader.finish()
    info = {k: " ".join(v.split()) for k, v in reader.info.items() if v.strip()}
    if {"yr", "mo", "dy"} <= reader.created.keys():
        c = reader.created
        info["created"] = f"{c['yr']:04d}-{c['mo']:02d}-{c['dy']:02d}T{c.get('hr', 0):02d}:{c.get('min', 0):02d}:00"
    return reader.blocks, info


def read_rtf_document(path: Path, data: bytes) -> Document:
    """Read a Rich Text Format file."""
    check_size(data, "RTF")
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ReadError("not an RTF file (it does not start with {\\rtf)")
    if looks_binary(data):
        raise ReadError("the RTF is damaged (binary content where RTF has only text)")
    blocks, info = parse_rtf(data)
    builder = TextBuilder()
    for block in blocks:
        if isinstance(block, str):
            builder.line(block)
        else:
            builder.table(_rectangular(block))
    return build_document(path, data, "rtf", builder, "RTF", title=info.get("title"),
                          metadata={"author": info.get("author"), "title": info.get("title"),
                                    "created": info.get("created")})


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def looks_binary(data: bytes) -> bool:
    """True when control bytes show that a file is not the 7-bit text RTF is (\\bin data aside)."""
    sample = data[:65536]
    if b"\\bin" in data:
        return False
    return len(_CONTROL_BYTES.findall(sample)) > max(2, len(sample) // 1000)


def _rectangular(rows: list[list[str]]) -> list[list[str]]:
    """Rows padded to one width, so a cell's column index means the same in every row."""
    width = max(len(row) for row in rows)
    return [row + [""] * (width - len(row)) for row in rows]
