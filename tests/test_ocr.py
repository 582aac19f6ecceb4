"""OCR of PDF pages without a usable text layer: the detector, the repairs, the page geometry, and
the reader on the scanned fixtures of corpus/scans/ (made by corpus/fixtures/scan.py).

Tesseract is required, not optional: CI installs it, so a missing binary fails these tests loudly.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from extract.readers import ReadError, read_document
from extract.readers import ocr
from extract.readers.ocr_layout import deskew, find_grids, skew_angle

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "corpus" / "documents"
SCANS = ROOT / "corpus" / "scans"
INSTALL = "install the Debian packages tesseract-ocr tesseract-ocr-bul"

GOOD_TEXT = "Общинският съвет прие бюджета на Община Габрово за 2024 г. с 25 гласа „за“. " * 3


@pytest.fixture(scope="module")
def tesseract() -> str:
    """The tesseract binary, with Bulgarian; fails (never skips) when it is missing."""
    binary = shutil.which("tesseract")
    assert binary, f"tesseract is not installed: {INSTALL}"
    languages = subprocess.run([binary, "--list-langs"], capture_output=True, text=True).stdout.split()
    assert "bul" in languages, f"tesseract has no Bulgarian: {INSTALL}"
    return binary


def _pdfium_page_texts(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()


# --------------------------------------------------------------------------------------------
# The detector
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(DOCUMENTS.glob("*.pdf")), ids=lambda p: p.name)
def test_every_page_of_every_bundled_pdf_keeps_its_text_layer(path):
    for number, text in enumerate(_pdfium_page_texts(path), 1):
        assert ocr.text_layer_problem(text) is None, f"page {number}: {ocr.text_layer_stats(text)}"


@pytest.mark.parametrize("path", sorted(p for p in DOCUMENTS.iterdir() if p.suffix in (".txt", ".html")),
                         ids=lambda p: p.name)
def test_real_text_of_the_corpus_is_not_garbage(path):
    text = read_document(path).text
    for start in range(0, len(text), 3000):
        page = text[start:start + 3000]
        if len(page.split()) > 8:
            assert not ocr.page_needs_ocr(page), (start, ocr.text_layer_stats(page))


@pytest.mark.parametrize("garbage, reason", [
    (GOOD_TEXT.encode("cp1251").decode("latin-1"), "mojibake"),                        # Ïðîòîêîë
    (GOOD_TEXT.encode("cp1251").decode("cp1252", "replace"), "mojibake"),
    ("".join(chr(0xE000 + ord(c) % 256) if c.isalpha() else c for c in GOOD_TEXT), "private-use characters"),
    ("".join("\ufffd" if c.isalpha() else c for c in GOOD_TEXT), "replacement or control characters"),
    ("".join("\x03" if c.isalpha() else c for c in GOOD_TEXT), "replacement or control characters"),
    ("Bdjhqwx Ksdfgh 12 Lkjhgf qwrtz, zxcvbn mnbvcx plkjhg hgfdsk sdfghj " * 3, "implausible words"),
])
def test_garbage_text_layers_need_ocr(garbage, reason):
    assert ocr.text_layer_problem(garbage) == reason
    assert ocr.page_needs_ocr(garbage)


def test_an_empty_page_needs_ocr_only_when_images_cover_it():
    assert ocr.text_layer_problem("", image_coverage=0.95) == "no text layer"
    assert ocr.text_layer_problem("стр. 2", image_coverage=0.95) == "no text layer"
    assert not ocr.page_needs_ocr("", image_coverage=0.0)        # a blank page
    assert not ocr.page_needs_ocr("\n  \n", image_coverage=0.05)  # a logo on an empty page


def test_good_bulgarian_and_english_text_does_not_need_ocr():
    assert not ocr.page_needs_ocr(GOOD_TEXT)
    assert not ocr.page_needs_ocr("The municipal council adopted the budget for 2024 with 25 votes. " * 3)
    assert not ocr.page_needs_ocr("Проект BG16RFOP001-2.002-0031-C01 по ОПРР, ЕФРР, ДДС и ЗМСМА. " * 3)


# --------------------------------------------------------------------------------------------
# Repairs
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seen, repaired", [
    ("РЕШЕНИЕ Ne 58/26.02.2026 г.", "РЕШЕНИЕ № 58/26.02.2026 г."),
    ("приложения Ле 1 до Хе 5", "приложения № 1 до № 5"),
    ("Протокол Мо 7 и No 8", "Протокол № 7 и № 8"),
    ("Покана изх. Ne\n08-00-114", "Покана изх. №\n08-00-114"),
    ("с вх. М 1200-151/07.10.2025 г.", "с вх. № 1200-151/07.10.2025 г."),
    ("Решение N°412", "Решение №412"),
    ("Мол 5 души", "Мол 5 души"),                       # an ordinary word is not a number sign
    ("М 1:1000", "М 1:1000"),                           # one letter only after a word that takes №
])
def test_number_sign(seen, repaired):
    assert ocr.repair_number_sign(seen) == repaired


@pytest.mark.parametrize("seen, repaired", [
    ("договор ВС16ЕЕРКООЗ-2.004-0012-С01 от", "договор BG16FFPR003-2.004-0012-C01 от"),
    ("помощ ВС16КЕОРО01-2.002-0031-С01 по", "помощ BG16RFOP001-2.002-0031-C01 по"),
    ("помощ ВС16КЕОРОО01-2.002-0031-С01 по", "помощ BG16RFOP001-2.002-0031-C01 по"),   # a doubled O
    ("Процедура ВС16КЕОРО01-2.002 „Енергийна", "Процедура BG16RFOP001-2.002 „Енергийна"),
    ("проект BG16RFOP001-2.002-0031-CO1 с", "проект BG16RFOP001-2.002-0031-C01 с"),
    ("код BG05M9ОР001-2.004-0033", "код BG05M9OP001-2.004-0033"),
    ("код BG16FFPR004-2.004-0012", "код BG16FFPR004-2.004-0012"),   # an unknown code is not "corrected"
    ("Възложителят ВСИЧКИ-2.1 и Варненската-1.2", "Възложителят ВСИЧКИ-2.1 и Варненската-1.2"),
])
def test_project_codes_back_to_latin(seen, repaired):
    assert ocr.repair_codes(seen) == repaired


@pytest.mark.parametrize("seen, repaired", [
    ("сумата 65 41O,72 лв.", "сумата 65 410,72 лв."),
    ("и 1 2З4 лв.", "и 1 234 лв."),
    ("в размер на 65'410,72", "в размер на 65 410,72"),
    ("възлиза на 2 456 .061,34 лв.", "възлиза на 2 456 061,34 лв."),
    ("Общо 2517 301,34 100,00", "Общо 2 517 301,34 100,00"),
    ("65410,72 лв.", "65410,72 лв."),                       # no separators at all is fine as it is
    ("през 2024 301,34 лв.", "през 2024 301,34 лв."),       # a year is not a lost thousands group
    ("фирма 5 ООО", "фирма 5 ООО"),
    ("на 12.03.2024 г.", "на 12.03.2024 г."),
])
def test_amounts(seen, repaired):
    assert ocr.repair_amounts(seen) == repaired


@pytest.mark.parametrize("seen, repaired", [
    ("на 10 юли 2025 Г, когато", "на 10 юли 2025 г., когато"),
    ("проведено на 26.02.2026 r.", "проведено на 26.02.2026 г."),
    ("за 2023\nг:", "за 2023\nг."),
    ("на 26.02.2026 г.", "на 26.02.2026 г."),
])
def test_year_marker(seen, repaired):
    assert ocr.repair_year_marker(seen) == repaired


@pytest.mark.parametrize("seen, repaired", [
    ("„за“ - 17, „против“ — няма, „въздържали\nсе“ ~ 2.", "„за“ – 17, „против“ – няма, „въздържали\nсе“ – 2."),
    ("Гласували: за - 21, против - 2, въздържали се - 4.", "Гласували: за – 21, против – 2, въздържали се – 4."),
    ("заседание - 5", "заседание - 5"),
])
def test_vote_tally_dashes(seen, repaired):
    assert ocr.repair_vote_dashes(seen) == repaired


def test_euro_sign():
    assert ocr.repair_euro_sign("разход в размер на Е 4 300,50 с ДДС") == "разход в размер на € 4 300,50 с ДДС"
    assert ocr.repair_euro_sign("С 4 300,50 лв. се увеличава") == "С 4 300,50 лв. се увеличава"


@pytest.mark.parametrize("seen, repaired", [
    ("Пот. 1 от дневния ред", "По т. 1 от дневния ред"),
    ("По tT. 4 от дневния ред", "По т. 4 от дневния ред"),
    ("чл. 21, an. 1, т. 6", "чл. 21, ал. 1, т. 6"),
    ("19.01.2026 г. 10:00 4. Кметство", "19.01.2026 г. 10:00 ч. Кметство"),
    ("Иван Петров /n/", "Иван Петров /п/"),
    ("лечение на детето й.", "лечение на детето ѝ."),
    ("Общински съвет - Тутракан", "Общински съвет – Тутракан"),
    ("Програма 2014-2020 г.", "Програма 2014–2020 г."),
    ("заместник-кмет", "заместник-кмет"),
])
def test_word_fixes(seen, repaired):
    assert ocr.repair_words(seen) == repaired


@pytest.mark.parametrize("seen, repaired", [
    ("подкрепа Ha Оперативна програма", "подкрепа на Оперативна програма"),
    ("председател на работната\nrpyna\nРадостина", "председател на работната\nгрупа\nРадостина"),
    ("CC „бл. 7“ и CC „Запад“", "СС „бл. 7“ и СС „Запад“"),
    ("412 т CO2-екв. годишно", "412 т CO2-екв. годишно"),        # touches a digit
    ("The council met on Monday", "The council met on Monday"),  # Latin between Latin words
    ("Община Сливен стартира проект", "Община Сливен стартира проект"),
])
def test_latin_lookalike_words(seen, repaired):
    assert ocr.repair_latin_words(seen) == repaired


def test_repairs_leave_good_text_alone():
    text = ("РЕШЕНИЕ № 58/26.02.2026 г. Общинският съвет – Тутракан прие „за“ – 17. "
            "Проект BG16FFPR003-2.004-0012-C01 на стойност 1 146 780,40 евро, € 4 300,50 с ДДС.")
    assert ocr.repair_ocr_text(text) == text


# --------------------------------------------------------------------------------------------
# Page geometry (no Tesseract)
# --------------------------------------------------------------------------------------------

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _page_with_grid(angle: float = 0.0):
    """A 150 dpi page: lines of words above and below a ruled table of 4 rows and 2 columns."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(DEJAVU, 20)
    for y in list(range(120, 560, 32)) + list(range(1060, 1600, 32)):
        draw.text((120, y), "Общинският съвет прие бюджета на общината за 2024 г. с 25 гласа", font=font, fill=0)
    for y in (600, 700, 800, 900, 1000):
        draw.line((120, y, 1120, y), fill=0, width=2)
    for x in (120, 500, 1120):
        draw.line((x, 600, x, 1000), fill=0, width=2)
    for y in (640, 740, 840, 940):
        draw.text((140, y), "Бенефициент", font=font, fill=0)
        draw.text((520, y), "Община Габрово", font=font, fill=0)
    return image.rotate(angle, resample=Image.BICUBIC, fillcolor=255) if angle else image


def test_skew_is_measured_and_undone():
    assert abs(skew_angle(_page_with_grid(0.8)) + 0.8) <= 0.1
    assert abs(skew_angle(_page_with_grid(-0.5)) - 0.5) <= 0.1
    assert abs(skew_angle(_page_with_grid())) <= 0.1
    level = _page_with_grid()
    assert deskew(level) is level
    assert len(find_grids(deskew(_page_with_grid(0.8)), dpi=150)) == 1


def test_a_ruled_grid_is_found_with_its_rows_and_columns():
    grids = find_grids(_page_with_grid(), dpi=150)
    assert len(grids) == 1
    assert len(grids[0].rows) == 4
    assert all(len(row) == 2 for row in grids[0].rows)
    assert abs(grids[0].top - 600) <= 3 and abs(grids[0].bottom - 1000) <= 3
    assert abs(grids[0].rows[0][1].left - 500) <= 3


# --------------------------------------------------------------------------------------------
# Tesseract and the reader
# --------------------------------------------------------------------------------------------

def test_tesseract_runs_with_one_openmp_thread(monkeypatch):
    monkeypatch.setenv("OMP_THREAD_LIMIT", "8")
    assert ocr.tesseract_env()["OMP_THREAD_LIMIT"] == "1"


def test_a_scan_without_tesseract_is_a_clear_read_error(monkeypatch):
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    with pytest.raises(ReadError, match="tesseract-ocr tesseract-ocr-bul"):
        read_document(SCANS / "105_belogradchik_obsazhdane.pdf")


@pytest.fixture(scope="module")
def scanned_decision(tesseract) -> dict:
    from extract import extract_file

    return extract_file(SCANS / "103_tutrakan_reshenie_58.pdf")


def test_golden_scanned_decision(scanned_decision):
    record = scanned_decision
    assert record["doc_type"] == "decision"
    assert record["municipality"] == "Тутракан"
    assert record["document_date"] == "2026-02-26"
    assert {"2026-02-26", "2027-09-30", "2025-11-07"} <= {d["value"] for d in record["dates"]}
    assert any(a["value"] == 1146780.4 and a["currency"] == "EUR" for a in record["amounts"])
    decision = next(d for d in record["decisions"] if d.get("number") == "58")
    assert (decision["votes_for"], decision["votes_against"], decision["votes_abstained"]) == (17, 0, 2)
    assert any(p["code"].startswith("BG16FFPR003-2.004-0012") for p in record["projects"])


def test_ocr_confidence_is_recorded_and_lowers_record_confidence(scanned_decision):
    from extract.calibrate import confidence_of

    info = scanned_decision["metadata"]["ocr"]
    assert info["engine"].startswith("tesseract ")
    assert [p["page"] for p in info["pages"]] == [1]
    page_confidence = info["pages"][0]["confidence"]
    assert 0.8 < page_confidence < 1.0
    date = next(d for d in scanned_decision["dates"] if d["value"] == "2026-02-26")
    assert date["confidence"] == round(confidence_of("dates", date["method"]) * page_confidence, 3)


def test_a_mixed_pdf_only_ocrs_its_scanned_page(tesseract):
    doc = read_document(SCANS / "106_gabrovo_rabotna_sreshta.pdf")
    assert [p["page"] for p in doc.metadata["ocr"]["pages"]] == [2]
    assert doc.metadata["ocr"]["pages"][0]["reason"] == "no text layer"
    first, second = doc.text[:doc.pages[1]], doc.text[doc.pages[1]:]
    assert "ПРОТОКОЛ № 3" in first
    assert "Председател на работната група" in second
    assert "10 юли 2025" in second


def test_a_garbage_text_layer_is_sent_to_ocr(tesseract):
    doc = read_document(SCANS / "107_sliven_presscom.pdf")
    assert [(p["page"], p["reason"]) for p in doc.metadata["ocr"]["pages"]] == [(1, "mojibake")]
    assert "Ïðåññúîáùåíèå".lower() not in doc.text.lower()
    assert "Община Сливен" in doc.text
    assert "BG16FFPR003-2.001-0085-C01" in doc.text


def test_text_layer_pdfs_are_never_ocrd():
    for path in sorted(DOCUMENTS.glob("*.pdf")):
        assert "ocr" not in read_document(path).metadata, path.name


# --------------------------------------------------------------------------------------------
# The fixture script
# --------------------------------------------------------------------------------------------

def test_scan_script_is_deterministic_and_leaves_no_text_layer(tmp_path):
    spec = importlib.util.spec_from_file_location("scan", ROOT / "corpus" / "fixtures" / "scan.py")
    scan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scan)
    data = (DOCUMENTS / "105_belogradchik_obsazhdane.pdf").read_bytes()
    first, second = scan.scan_pdf(data, seed=7), scan.scan_pdf(data, seed=7)
    assert first == second
    assert first != scan.scan_pdf(data, seed=8)
    path = tmp_path / "scan.pdf"
    path.write_bytes(first)
    assert all(not text.strip() for text in _pdfium_page_texts(path))


_WORD_LETTERS = "абвгдежзийклмнопрстуфхцчшщъьюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЬЮЯѝЍёіїєaeiouybcdfgkmnstzAEIOUYBCDKMNZÏðîéß"


def test_plausible_words_pattern_agrees_with_the_word_by_word_rule():
    """The one-pass pattern behind text_layer_stats judges every word as _is_plausible_word does."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    words = st.text(alphabet=_WORD_LETTERS, min_size=1, max_size=9)

    @settings(max_examples=500, deadline=None)
    @given(st.lists(words, min_size=1, max_size=30))
    def check(sample):
        expected = sum(len(w) for w in sample if ocr._is_plausible_word(w))
        assert sum(map(len, ocr._PLAUSIBLE_WORDS.findall(" ".join(sample)))) == expected

    check()
