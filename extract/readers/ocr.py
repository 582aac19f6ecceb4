"""OCR for PDF pages without a usable text layer: detect them, read them with Tesseract, repair the text.

Three parts, each usable on its own:

* ``page_needs_ocr`` / ``text_layer_problem``: is a page's text layer missing or garbage?
* ``ocr_pdf_page`` / ``ocr_image``: render a page at ``OCR_DPI``, level it, and read it with the
  ``tesseract`` binary (``-l bul+eng``); ruled tables are found in the image and read cell by cell
  (``ocr_layout``). The result carries the page text, its tables and the mean word confidence (0..1).
* ``repair_ocr_text``: domain repairs of what Tesseract gets wrong in Bulgarian municipal documents
  (``№`` read as ``Ne``, project codes read in Cyrillic look-alikes, ...), driven by the data file
  ``models/patterns/ocr_repairs.json``.

Tesseract always runs with ``OMP_THREAD_LIMIT=1``: its OpenMP threads only fight each other (and the
build's worker processes) for cores, which makes it several times slower, not faster.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from extract.readers import ReadError
from extract.readers.ocr_layout import Grid, Slot, blank_out, deskew, find_grids, stack_cells
from models import data_path

TESSERACT = "tesseract"
TESSERACT_PACKAGES = "tesseract-ocr tesseract-ocr-bul"
OCR_LANGUAGES = "bul+eng"
OCR_DPI = 300
# 3 = automatic page segmentation: on the scanned corpus as good as 4 (one column) and better than
# 6 (one block), and unlike them it copes with pages in two columns.
PAGE_SEGMENTATION_MODE = 3
TABLE_SEGMENTATION_MODE = 6  # the stacked cells of tables are one uniform block of text
OCR_TIMEOUT_SECONDS = 300
TESSERACT_ENV = {"OMP_THREAD_LIMIT": "1"}

# --- text-layer detector -------------------------------------------------------------------------
# A page needs OCR when its text layer is (near) empty but the page carries an image, or when the
# text it has is garbage. Shares are of the visible (non-space) characters, or of the letters.
MIN_TEXT_CHARS = 40              # fewer visible characters than this is "no text layer"
MIN_IMAGE_COVERAGE = 0.3         # ... but only on a page that images cover this much of
MAX_PRIVATE_USE_SHARE = 0.02     # U+E000-U+F8FF: glyph codes of fonts without a Unicode map
MAX_BROKEN_SHARE = 0.02          # U+FFFD and control characters
MAX_MOJIBAKE_SHARE = 0.15        # letters of Latin-1 Supplement / Extended-A (Ïðîòîêîë) among letters
MIN_PLAUSIBLE_SHARE = 0.6        # letters in words that look Bulgarian or English, among letters
MIN_LETTERS_TO_JUDGE = 20        # too few letters to judge words: only the character tests apply
MAX_WORDS_JUDGED = 120           # words whose plausibility is tested on one page (an even sample)

_CYRILLIC_VOWELS = set("аеиоуъюяѝэыАЕИОУЪЮЯЍЭЫ")
_LATIN_VOWELS = set("aeiouyAEIOUY")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class TextLayerStats:
    """Counts behind the detector's verdict on one page's text layer."""

    visible: int
    letters: int
    private_use: int
    broken: int
    mojibake: int
    plausible_letters: int


def _is_cyrillic_word(word: str) -> bool:
    return all("\u0400" <= c <= "\u045f" or c in "ѝЍ" for c in word)


def _is_plausible_word(word: str) -> bool:
    """A word of one script (Cyrillic or ASCII Latin) that a Bulgarian or English text could hold:
    short, an abbreviation in capitals, or with a vowel of its script."""
    if _is_cyrillic_word(word):
        vowels = _CYRILLIC_VOWELS
    elif word.isascii():
        vowels = _LATIN_VOWELS
    else:
        return False
    return len(word) <= 3 or word.isupper() or any(c in vowels for c in word)


def _alternatives(letters: str, capitals: str, vowels: str) -> str:
    return f"[{letters}]{{1,3}}|[{capitals}]+|[{letters}]*[{vowels}][{letters}]*"


# _is_plausible_word as one pattern, for whole words between non-letters: run over a sample of
# words joined by spaces, it judges them all in one call instead of one Python call per word.
_PLAUSIBLE_WORDS = re.compile(r"(?<![^\W\d_])(?:" + "|".join((
    _alternatives("\u0400-\u045f", "\u0400-\u042f", "".join(sorted(_CYRILLIC_VOWELS))),
    _alternatives("A-Za-z", "A-Z", "".join(sorted(_LATIN_VOWELS))))) + r")(?![^\W\d_])")


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# U+FFFD and the control characters (category Cc) that are not whitespace.
_BROKEN = re.compile("[\ufffd\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_MOJIBAKE_LETTER = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f]")
_SUSPECT = re.compile("|".join(p.pattern for p in (_PRIVATE_USE, _BROKEN, _MOJIBAKE_LETTER)))


def text_layer_stats(text: str) -> TextLayerStats:
    """Character and word counts of a text layer, for ``text_layer_problem``.

    Counted with regular expressions rather than a loop over characters: every page of every
    PDF passes through here, so it has to cost far less than reading the page.
    """
    visible = sum(map(len, text.split()))  # str.split() and re's \s agree on what is whitespace
    words = _LETTER_RUN.findall(text)
    letters = sum(map(len, words))
    # The word test is the costly part: judge an evenly spread sample of words (every k-th) and
    # scale its plausible share up to all letters. A garbage layer is garbage throughout, so
    # the sample gives the same verdict; a page with fewer words is judged word by word.
    step = max(1, len(words) // MAX_WORDS_JUDGED)
    sample = words[::step]
    sampled_letters = sum(map(len, sample))
    plausible_sampled = sum(map(len, _PLAUSIBLE_WORDS.findall(" ".join(sample))))
    plausible = round(letters * plausible_sampled / sampled_letters) if sampled_letters else 0
    if _SUSPECT.search(text) is None:  # the usual case: one scan instead of three
        return TextLayerStats(visible, letters, 0, 0, 0, plausible)
    return TextLayerStats(visible, letters, len(_PRIVATE_USE.findall(text)), len(_BROKEN.findall(text)),
                          len(_MOJIBAKE_LETTER.findall(text)), plausible)


def text_layer_problem(text: str, image_coverage: float | Callable[[], float] = 1.0) -> str | None:
    """Why a page's text layer cannot be used (``"no text layer"``, ``"mojibake"`` ...), or None.

    ``image_coverage`` is the share of the page that images cover (0..1): an empty page without
    images is blank, not a scan. It may be a function, called only for a page without text
    (walking a page's objects costs more than judging its text).
    """
    stats = text_layer_stats(text)
    if stats.visible < MIN_TEXT_CHARS:
        coverage = image_coverage() if callable(image_coverage) else image_coverage
        return "no text layer" if coverage >= MIN_IMAGE_COVERAGE else None
    if stats.private_use > MAX_PRIVATE_USE_SHARE * stats.visible:
        return "private-use characters"
    if stats.letters and stats.mojibake > MAX_MOJIBAKE_SHARE * stats.letters:
        return "mojibake"
    if stats.broken > MAX_BROKEN_SHARE * stats.visible:
        return "replacement or control characters"
    if stats.letters >= MIN_LETTERS_TO_JUDGE and stats.plausible_letters < MIN_PLAUSIBLE_SHARE * stats.letters:
        return "implausible words"
    return None


def page_needs_ocr(text: str, image_coverage: float = 1.0) -> bool:
    """True when a page's text layer is missing (on a page with images) or garbage."""
    return text_layer_problem(text, image_coverage) is not None


# --- Tesseract -----------------------------------------------------------------------------------
# A "word" shorter than this share of the page's median word height, read with low confidence and
# at most two characters long, is scanner dust (speckles read as "Ц", ":" or "3"), not text.
SPECKLE_MAX_CHARS = 2
SPECKLE_MAX_CONFIDENCE = 80.0
SPECKLE_MAX_RELATIVE_HEIGHT = 0.4
_DASHES = set("-–—")
MIN_TABLE_ROWS = 2  # as the text-layer table reader: one ruled row is a box, not a table


@dataclass(frozen=True)
class OcrWord:
    """One word of Tesseract's TSV output: its box in pixels; ``line`` is (block, paragraph, line)."""

    text: str
    confidence: float  # 0..100
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]

    @property
    def center(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2


@dataclass(frozen=True)
class OcrResult:
    """What Tesseract read on a page: its text, the mean word confidence (0..1), the number of
    words, and the ruled tables found on the page image (rows of cell texts)."""

    text: str
    confidence: float
    words: int
    tables: tuple[list[list[str]], ...] = ()


def tesseract_env() -> dict[str, str]:
    """The environment Tesseract runs in: this process's, with ``OMP_THREAD_LIMIT=1`` forced."""
    return {**os.environ, **TESSERACT_ENV}


def _missing_tesseract(detail: str) -> ReadError:
    return ReadError(f"the PDF needs OCR but {detail}: install the Debian packages {TESSERACT_PACKAGES}")


def tesseract_binary() -> str:
    """The path of the ``tesseract`` binary; a ``ReadError`` naming the Debian packages when missing."""
    binary = shutil.which(TESSERACT)
    if binary is None:
        raise _missing_tesseract("tesseract is not installed")
    return binary


def _run_tesseract(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    binary = tesseract_binary()
    try:
        return subprocess.run([binary, *args], input=stdin, capture_output=True, env=tesseract_env(),
                              timeout=OCR_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as error:
        raise ReadError(f"OCR of a page took longer than {OCR_TIMEOUT_SECONDS} s") from error


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    """``tesseract 5.3.0``: the engine and version that read OCR'd pages."""
    result = _run_tesseract(["--version"])
    lines = (result.stdout or result.stderr).decode("utf-8", "replace").splitlines()
    return lines[0].strip() if lines else "tesseract"


def parse_tsv(tsv: str) -> list[OcrWord]:
    """The words of Tesseract's TSV output, in reading order."""
    words = []
    for row in csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if len(row) < 12 or row[0] != "5" or not row[11].strip():
            continue
        left, top, width, height = (int(v) for v in row[6:10])
        words.append(OcrWord(text=row[11].strip(), confidence=float(row[10]), left=left, top=top, width=width,
                             height=height, line=(int(row[2]), int(row[3]), int(row[4]))))
    return words


def is_speckle(word: OcrWord, median_height: float) -> bool:
    """Scanner dust read as a character: tiny, short and read with low confidence."""
    return (len(word.text) <= SPECKLE_MAX_CHARS and word.confidence < SPECKLE_MAX_CONFIDENCE
            and word.height < SPECKLE_MAX_RELATIVE_HEIGHT * median_height and not set(word.text) <= _DASHES)


def drop_speckles(words: list[OcrWord]) -> list[OcrWord]:
    """The words without scanner dust."""
    if not words:
        return words
    median_height = statistics.median(w.height for w in words)
    return [w for w in words if not is_speckle(w, median_height)]


def mean_confidence(words: list[OcrWord]) -> float:
    """Mean word confidence on 0..1 (0 for a page without words)."""
    scores = [w.confidence for w in words if w.confidence >= 0]
    return round(sum(scores) / len(scores) / 100, 4) if scores else 0.0


def cell_texts(grids: list[Grid], slots: list[Slot], words: list[OcrWord]) -> list[list[list[str]]]:
    """The rows of cell texts of each table, from the words read on the stacked cells."""
    tables = [[["" for _ in row] for row in grid.rows] for grid in grids]
    for slot in slots:
        inside = [w.text for w in words if slot.top <= w.center[1] < slot.bottom]
        tables[slot.table][slot.row][slot.column] = " ".join(inside)
    return tables


def page_text(words: list[OcrWord], tables: list[tuple[int, list[list[str]]]]) -> str:
    """Tesseract's lines, with each table (its top, its rows) put in, one line per row (as a text
    layer gives a table), before the first line below the table's top."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    pending = sorted(tables, key=lambda t: t[0])
    out = []
    for line in lines.values():
        while pending and pending[0][0] < min(w.top for w in line):
            out.extend(" ".join(c for c in row if c) for row in pending.pop(0)[1])
        out.append(" ".join(w.text for w in line))
    for _, rows in pending:
        out.extend(" ".join(c for c in row if c) for row in rows)
    return "\n".join(out)


def tesseract_words(image, dpi: int = OCR_DPI, psm: int = PAGE_SEGMENTATION_MODE) -> list[OcrWord]:
    """The words Tesseract (``-l bul+eng``) reads on a Pillow image, without scanner dust."""
    buffer = io.BytesIO()
    image.convert("L").save(buffer, "PPM")  # uncompressed: cheaper than PNG through a pipe
    result = _run_tesseract(["stdin", "stdout", "--dpi", str(dpi), "-l", OCR_LANGUAGES, "--psm", str(psm), "tsv"],
                            stdin=buffer.getvalue())
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        if "loading language" in message.lower():
            raise _missing_tesseract(f"Tesseract lacks the languages {OCR_LANGUAGES}")
        raise ReadError(f"OCR failed: {message.splitlines()[-1] if message else f'exit code {result.returncode}'}")
    return drop_speckles(parse_tsv(result.stdout.decode("utf-8", "replace")))


def ocr_image(image, dpi: int = OCR_DPI, psm: int = PAGE_SEGMENTATION_MODE) -> OcrResult:
    """Read a page image: straighten it, OCR the text around its ruled tables, then the tables'
    cells (stacked, in one more Tesseract run), and lay the tables out row by row.

    Raises ``ReadError`` when Tesseract is missing or fails. The text is Tesseract's, unrepaired.
    """
    image = deskew(image.convert("L"))
    grids = [grid for grid in find_grids(image, dpi) if len(grid.rows) >= MIN_TABLE_ROWS]
    if not grids:
        words = tesseract_words(image, dpi, psm)
        return OcrResult(text=page_text(words, []), confidence=mean_confidence(words), words=len(words))
    words = tesseract_words(blank_out(image, grids, dpi), dpi, psm)
    stacked, slots = stack_cells(image, grids, dpi)
    cell_words = tesseract_words(stacked, dpi, TABLE_SEGMENTATION_MODE)
    tables = cell_texts(grids, slots, cell_words)
    text = page_text(words, [(grid.top, rows) for grid, rows in zip(grids, tables)])
    return OcrResult(text=text, confidence=mean_confidence(words + cell_words), words=len(words) + len(cell_words),
                     tables=tuple(tables))


def render_page(page, dpi: int = OCR_DPI):
    """A pypdfium2 page as a grey Pillow image at ``dpi``."""
    return page.render(scale=dpi / 72, grayscale=True).to_pil()


def ocr_pdf_page(page, dpi: int = OCR_DPI) -> OcrResult:
    """Render a pypdfium2 page and read it (``ocr_image``)."""
    tesseract_binary()  # fail before the rendering when there is nothing to read the image with
    return ocr_image(render_page(page, dpi), dpi)


# --- repairs -------------------------------------------------------------------------------------
# Costs of reading one character of a known code prefix as another (see ``code_prefix_cost``).
DIGIT_CONFUSION_COST = 0.1
LETTER_CONFUSION_COST = 0.3
CASE_COST = 0.1
CODE_INDEL_COST = 0.6
MAX_CODE_PREFIX_COST = 2.5
MIN_CODE_PREFIX_MARGIN = 0.5


@lru_cache(maxsize=1)
def repair_rules() -> dict:
    """The repair tables of ``models/patterns/ocr_repairs.json``."""
    return json.loads(data_path("patterns", "ocr_repairs.json").read_text(encoding="utf-8"))


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _code_tables() -> tuple[dict[str, str], set[tuple[str, str]], dict[str, str], tuple[str, ...]]:
    from extract.lexicon import programmes
    from extract.normalize import CYRILLIC_TO_LATIN

    rules = repair_rules()["codes"]
    lookalike = {chr(k): chr(v) for k, v in CYRILLIC_TO_LATIN.items()}
    letters = {(a, b) for a, b in rules["letter_confusions"]}
    prefixes = {row["prefix"] for row in programmes() if re.fullmatch(r"BG\d\d[A-Z0-9]{4}\d{3}", row["prefix"])}
    return lookalike, letters, rules["digit_confusions"], tuple(sorted(prefixes | set(rules["extra_prefixes"])))


def _char_cost(seen: str, wanted: str) -> float:
    lookalike, letters, digits, _ = _code_tables()
    if seen == wanted or lookalike.get(seen) == wanted:
        return 0.0
    upper = seen.upper()
    if upper == wanted or lookalike.get(upper) == wanted:
        return CASE_COST
    if wanted.isdigit() and digits.get(seen) == wanted:
        return DIGIT_CONFUSION_COST
    if (seen, wanted) in letters or (upper, wanted) in letters or (lookalike.get(upper), wanted) in letters:
        return LETTER_CONFUSION_COST
    return 1.0


def _aligned_cost(seen: str, prefix: str) -> float:
    costs = [_char_cost(a, b) for a, b in zip(seen, prefix)]
    return float("inf") if max(costs, default=0.0) >= 1.0 else sum(costs)


def code_prefix_cost(seen: str, prefix: str) -> float:
    """How far ``seen`` is from a known code prefix, counting only OCR confusions.

    Characters are compared in place: a look-alike or a known confusion is cheap, any other
    substitution impossible (infinite) - a code the gazetteer does not know (``BG16FFPR004``) must
    not be "repaired" into one it knows (``BG16FFPR003``). One character more or less (a doubled
    ``OO``) costs ``CODE_INDEL_COST``.
    """
    if len(seen) == len(prefix):
        return _aligned_cost(seen, prefix)
    if len(seen) == len(prefix) + 1:  # a character too many
        return min(_aligned_cost(seen[:i] + seen[i + 1:], prefix) for i in range(len(seen))) + CODE_INDEL_COST
    if len(seen) + 1 == len(prefix):  # a character lost
        return min(_aligned_cost(seen, prefix[:i] + prefix[i + 1:]) for i in range(len(prefix))) + CODE_INDEL_COST
    return float("inf")


def nearest_code_prefix(seen: str) -> str | None:
    """The known code prefix that ``seen`` is an OCR misreading of, when one clearly is."""
    scored = sorted((code_prefix_cost(seen, p), p) for p in _code_tables()[3] if abs(len(p) - len(seen)) <= 1)
    if not scored or scored[0][0] > MAX_CODE_PREFIX_COST:
        return None
    if len(scored) > 1 and scored[1][0] - scored[0][0] < MIN_CODE_PREFIX_MARGIN:
        return None
    return scored[0][1]


_SHAPE_CLASSES = "BG99AAAA999"  # B and G literal, 9 a digit, A a letter or digit


def _shape_repair(seen: str) -> str | None:
    """``seen`` mapped onto the ISUN prefix shape (BG, 2 digits, 4 letters/digits, 3 digits), or None."""
    lookalike, _, digits, _ = _code_tables()
    out = []
    for ch, cls in zip(seen, _SHAPE_CLASSES):
        latin = lookalike.get(ch.upper(), ch.upper())
        if cls == "9":
            latin = ch if ch.isdigit() else digits.get(ch)
            if latin is None:
                return None
        elif cls in "BG":
            if _char_cost(ch, cls) >= 1.0:
                return None
            latin = cls
        elif not (latin.isascii() and latin.isalnum()):
            return None
        out.append(latin)
    return "".join(out)


def _digit_class() -> str:
    return "\\d" + "".join(re.escape(c) for c in repair_rules()["amount_digit_confusions"])


@lru_cache(maxsize=1)
def _code_pattern() -> re.Pattern:
    d = _digit_class()
    suffix = "".join(re.escape(c) for c in repair_rules()["codes"]["contract_suffix_letter"])
    return re.compile(
        rf"(?<![\w-])(?P<head>[BВ8вb][\w|]{{9,11}}|[BВ8вb]\w[-–—]\w{{3}})"
        rf"(?P<procedure>[-–—][ \t]?[{d}]{{1,2}}(?:\.[{d}]{{1,3}}){{1,3}})"
        rf"(?:(?P<serial>[-–—][{d}]{{4}})(?P<suffix>[-–—][{suffix}C][{d}]{{2}})?)?(?![\w])")


def _as_digits(text: str) -> str:
    digits = repair_rules()["amount_digit_confusions"]
    return "".join(digits.get(c, c) for c in text if not c.isspace())


def repair_codes(text: str) -> str:
    """Project codes read with Cyrillic look-alikes and confusions back to Latin.

    ``ВС16КЕОРО01-2.002-0031-С01`` → ``BG16RFOP001-2.002-0031-C01``. Only a token followed by the
    numeric tail of a code is touched, so ordinary words keep their letters.
    """
    def fix(match: re.Match) -> str:
        head = match["head"]
        repaired = nearest_code_prefix(head) or (_shape_repair(head) if len(head) == 11 else None)
        if repaired is None:
            return match[0]
        parts = [repaired, "-" + _as_digits(match["procedure"][1:])]
        if match["serial"]:
            parts.append("-" + _as_digits(match["serial"][1:]))
        if match["suffix"]:
            parts.append("-C" + _as_digits(match["suffix"][2:]))
        return "".join(parts)

    return _code_pattern().sub(fix, text)


@lru_cache(maxsize=1)
def _number_sign_patterns() -> tuple[re.Pattern, re.Pattern]:
    rules = repair_rules()["number_sign"]
    follows = r"(?=\s?(?:\d|BG))"
    anywhere = re.compile(rf"(?<![\w])(?:{_alternation(rules['misreadings'])})\.?{follows}")
    context = rules["context_only"]
    after = re.compile(rf"(?P<before>(?<![\w])(?i:{_alternation(context['after'])})[ \t]+)"
                       rf"(?:{_alternation(context['misreadings'])}){follows}")
    return anywhere, after


def repair_number_sign(text: str) -> str:
    """``Ne 5``, ``Хе 12``, ``вх. М 1200`` → ``№ 5``, ``№ 12``, ``вх. № 1200``."""
    anywhere, after = _number_sign_patterns()
    text = anywhere.sub("№", text)
    return after.sub(lambda m: m["before"] + "№", text)


# A lead of four to six digits before digit groups lost its separator ("2517 301,34"); a year
# there ("2024 301,34") is more likely a year followed by an amount, and is left alone.
_LEAD = r"(?P<lead>\d{1,3}|(?!(?:19|20)\d\d\D)\d{4,6})"


@lru_cache(maxsize=1)
def _amount_patterns() -> tuple[re.Pattern, re.Pattern]:
    rules = repair_rules()
    d = _digit_class()
    separator = "[" + "".join(re.escape(c) for c in rules["amount_group_separators"]) + "\u00a0]{1,2}"
    currency = _alternation(rules["currency_words"])
    with_decimals = re.compile(rf"(?<![\w,.]){_LEAD}(?P<groups>(?:{separator}[{d}]{{3}}){{1,4}})(?P<dec>,[{d}]{{2}})(?![\w])")
    with_currency = re.compile(rf"(?<![\w,.])(?P<lead>\d{{1,3}})(?P<groups>(?:[ \u00a0][{d}]{{3}}){{1,4}})"
                               rf"(?=[ \u00a0]?(?:{currency}))")
    return with_decimals, with_currency


def _repair_groups(lead: str, groups: str, decimals: str = "") -> str | None:
    """The digits of an amount regrouped in threes, or None when a group holds no digit at all."""
    digits = repair_rules()["amount_digit_confusions"]
    parts = [g for g in re.split(r"[^\w]", groups) if g]
    if not all(any(c.isdigit() for c in g) for g in parts):
        return None  # a group without a single digit is a word ("5 ООО"), not a misread number
    number = lead + "".join(digits.get(c, c) for g in parts for c in g)
    head = len(number) % 3 or 3
    grouped = [number[:head]] + [number[i:i + 3] for i in range(head, len(number), 3)]
    return " ".join(grouped) + "".join(digits.get(c, c) for c in decimals)


def repair_amounts(text: str) -> str:
    """Digits misread as letters and mangled group separators inside amounts.

    ``65 41O,72`` → ``65 410,72``; ``1 2З4 лв.`` → ``1 234 лв.``; ``65'410,72``, ``2 456 .061,34``
    and ``2517 301,34`` → ``65 410,72``, ``2 456 061,34``, ``2 517 301,34``.
    """
    with_decimals, with_currency = _amount_patterns()

    def fix(match: re.Match) -> str:
        repaired = _repair_groups(match["lead"], match["groups"], match.groupdict().get("dec") or "")
        return match[0] if repaired is None else repaired

    return with_currency.sub(fix, with_decimals.sub(fix, text))


@lru_cache(maxsize=1)
def _year_marker_pattern() -> re.Pattern:
    marks = "".join(repair_rules()["year_marker_misreadings"])
    return re.compile(rf"(?P<year>(?<!\d)(?:19|20)\d\d)(?P<space>[ \t]?\n?[ \t]?)[{marks}](?P<punct>[.,:]?)(?![\w])")


def repair_year_marker(text: str) -> str:
    """``г.`` after a year read as ``r.``, ``Г,`` or ``г:``: ``2025 Г,`` → ``2025 г.,``."""
    def fix(match: re.Match) -> str:
        return match["year"] + match["space"] + ("г.," if match["punct"] == "," else "г.")

    return _year_marker_pattern().sub(fix, text)


@lru_cache(maxsize=1)
def _vote_pattern() -> re.Pattern:
    rules = repair_rules()
    words = _alternation(rules["vote_words"]).replace("\\ ", r"\s+")
    dashes = _alternation(rules["vote_dash_misreadings"])
    return re.compile(rf"(?P<word>(?<![^\W\d_])[„\"“]?(?:{words})[“”\"]?)[ \t]*(?:{dashes})[ \t]*(?=\d|няма)", re.I)


def repair_vote_dashes(text: str) -> str:
    """The en dash of a vote tally: ``„за“ - 17`` → ``„за“ – 17``."""
    return _vote_pattern().sub(lambda m: m["word"] + " – ", text)


@lru_cache(maxsize=1)
def _euro_pattern() -> re.Pattern:
    rules = repair_rules()
    signs = "".join(rules["euro_sign_misreadings"])
    currency = _alternation(rules["currency_words"])
    return re.compile(rf"(?<![\w])[{signs}](?=[ \t]?\d{{1,3}}(?:[ \u00a0]\d{{3}})*,\d{{2}}(?!\d)(?![ \t]?(?:{currency})))")


def repair_euro_sign(text: str) -> str:
    """``€`` read as a letter before an amount without a currency word: ``Е 4 300,50`` → ``€ 4 300,50``."""
    return _euro_pattern().sub("€", text)


@lru_cache(maxsize=1)
def _word_fixes() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(rule["pattern"]), rule["replacement"]) for rule in repair_rules()["word_fixes"])


def repair_words(text: str) -> str:
    """The fixed misreadings of ``word_fixes`` (``Пот. 1`` → ``По т. 1``, ``an. 2`` → ``ал. 2``)."""
    for pattern, replacement in _word_fixes():
        text = pattern.sub(replacement, text)
    return text


MAX_RECASED_WORD = 3


@lru_cache(maxsize=1)
def _lookalike_table() -> tuple[dict[int, int], re.Pattern]:
    rules = repair_rules()["cyrillic_lookalikes"]
    return str.maketrans(rules["latin"], rules["cyrillic"]), re.compile(f"[{rules['latin']}]+")


def repair_latin_words(text: str) -> str:
    """A Latin word made only of Cyrillic look-alikes, between Cyrillic words, becomes Cyrillic.

    ``Ha Общински`` → ``На Общински``, ``rpyna`` → ``група``. The neighbours are the nearest words
    before and after it; a word touching a digit (``CO2``) is left alone.
    """
    table, latin_only = _lookalike_table()
    words = list(re.finditer(r"[^\W\d_]+", text))
    chars = list(text)
    for i, word in enumerate(words):
        touching = text[max(0, word.start() - 1):word.start()] + text[word.end():word.end() + 1]
        if not latin_only.fullmatch(word[0]) or any(c.isdigit() for c in touching):
            continue
        neighbours = [words[j][0] for j in (i - 1, i + 1) if 0 <= j < len(words)]
        if neighbours and all(_is_cyrillic_word(n) for n in neighbours):
            cyrillic = word[0].translate(table)
            before = text[max(0, word.start() - 20):word.start()].rstrip()[-1:]
            if len(cyrillic) <= MAX_RECASED_WORD and cyrillic.istitle() and (before.islower() or before == ","):
                cyrillic = cyrillic.lower()  # "Ha" inside a sentence is "на": OCR took н for H
            chars[word.start():word.end()] = cyrillic
    return "".join(chars)


REPAIRS = (repair_codes, repair_number_sign, repair_amounts, repair_year_marker, repair_vote_dashes,
           repair_euro_sign, repair_words, repair_latin_words)


def repair_ocr_text(text: str) -> str:
    """Every domain repair of OCR text, in order (codes before ``№``, which may precede a code)."""
    for repair in REPAIRS:
        text = repair(text)
    return text
