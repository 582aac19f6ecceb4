"""Readers: a file in, a normalised ``Document`` out (or a ``ReadError`` with a reason a person understands)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from extract.document import Document
from extract.readers import ReadError, read_document

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "documents"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

SENTENCE = "Общинският съвет прие бюджета на Община Габрово за 2024 г. с 25 гласа „за“.\n"


def assert_evidence_honest(doc: Document) -> None:
    """Every offset the document exposes points into its text."""
    assert doc.pages[0] == 0
    assert doc.pages == sorted(doc.pages)
    assert all(0 <= p <= len(doc.text) for p in doc.pages)
    for table in doc.tables:
        assert 0 <= table.start <= table.end <= len(doc.text)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------------------------

def test_utf8_and_cp1251_read_to_the_same_text(tmp_path):
    utf8 = read_document(write(tmp_path, "utf8.txt", SENTENCE.encode("utf-8")))
    cp1251 = read_document(write(tmp_path, "cp1251.txt", SENTENCE.encode("cp1251")))
    assert utf8.text == SENTENCE
    assert cp1251.text == SENTENCE
    assert utf8.format == cp1251.format == "txt"
    assert utf8.metadata["encoding"] == "utf-8"
    assert cp1251.metadata["encoding"] == "cp1251"
    assert utf8.title == SENTENCE.strip()
    assert utf8.sha256 != cp1251.sha256
    assert len(utf8.sha256) == 64
    assert_evidence_honest(utf8)


def test_utf8_bom_is_dropped(tmp_path):
    doc = read_document(write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + SENTENCE.encode("utf-8")))
    assert doc.text == SENTENCE
    assert not doc.text.startswith("\ufeff")
    assert doc.metadata["encoding"] == "utf-8"


def test_latin_lookalikes_inside_cyrillic_words_become_cyrillic(tmp_path):
    # "Oбщина" with a Latin O, "Cофия" with a Latin C, "пpоект" with a Latin p.
    raw = "Oбщина Cофия изпълнява пpоект.\n"
    doc = read_document(write(tmp_path, "mixed.txt", raw.encode("utf-8")))
    assert doc.text == "Община София изпълнява проект.\n"
    assert len(doc.text) == len(raw)  # substitution is character for character
    assert all(not ("a" <= c.lower() <= "z") for c in doc.text)


def test_project_code_with_cyrillic_lookalikes_stays_latin(tmp_path):
    # "BG05M9ОР001" written with Cyrillic О and Р.
    raw = "Проект BG05M9\u041e\u0420001-2.004-0033 на Община Русе.\n"
    doc = read_document(write(tmp_path, "code.txt", raw.encode("utf-8")))
    assert "BG05M9OP001-2.004-0033" in doc.text
    assert "Община Русе" in doc.text
    assert doc.text.index("BG05") == raw.index("BG05")


def test_crlf_and_cr_line_ends_become_lf(tmp_path):
    doc = read_document(write(tmp_path, "crlf.txt", "Първи ред\r\nВтори ред\r\nТрети ред\r\n".encode("utf-8")))
    assert doc.text == "Първи ред\nВтори ред\nТрети ред\n"
    assert "\r" not in doc.text
    cp = read_document(write(tmp_path, "crlf1251.txt", "Първи ред\r\nВтори ред\r\n".encode("cp1251")))
    assert cp.text == "Първи ред\nВтори ред\n"


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t  "])
def test_empty_file_is_a_read_error(tmp_path, data):
    with pytest.raises(ReadError, match="empty"):
        read_document(write(tmp_path, "empty.txt", data))


def test_missing_file_is_a_read_error(tmp_path):
    with pytest.raises(ReadError, match="cannot open"):
        read_document(tmp_path / "no-such-file.txt")


def test_binary_garbage_named_txt_is_a_read_error(tmp_path):
    import random

    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(ReadError) as error:
        read_document(write(tmp_path, "garbage.txt", garbage))
    assert "binary" in str(error.value) or "text" in str(error.value)


def test_control_character_garbage_without_nuls_is_a_read_error(tmp_path):
    garbage = bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 0x41]) * 200
    with pytest.raises(ReadError, match="binary"):
        read_document(write(tmp_path, "ctrl.txt", garbage))


# --------------------------------------------------------------------------------------------
# Broken PDFs and zips
# --------------------------------------------------------------------------------------------

def test_truncated_pdf_is_a_read_error_with_a_reason(tmp_path):
    data = (CORPUS / "101_karnobat_protokol.pdf").read_bytes()
    path = write(tmp_path, "truncated.pdf", data[: len(data) // 3])
    with pytest.raises(ReadError) as error:
        read_document(path)
    reason = str(error.value)
    assert "PDF" in reason
    assert len(reason) > 10


def test_pdf_header_only_is_a_read_error(tmp_path):
    with pytest.raises(ReadError, match="PDF"):
        read_document(write(tmp_path, "stub.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"))


def test_zip_that_is_not_a_docx_is_a_read_error(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a word document")
        archive.writestr("data/table.csv", "a,b\n1,2\n")
    with pytest.raises(ReadError, match="not a Word document"):
        read_document(write(tmp_path, "fake.docx", buffer.getvalue()))


def test_plain_zip_named_zip_is_unsupported(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ReadError, match="unsupported"):
        read_document(write(tmp_path, "archive.zip", buffer.getvalue()))


def test_damaged_docx_is_a_read_error(tmp_path):
    data = (CORPUS / "106_gabrovo_rabotna_sreshta.docx").read_bytes()
    with pytest.raises(ReadError, match="DOCX"):
        read_document(write(tmp_path, "cut.docx", data[: len(data) // 2]))


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="bg">
<head>
  <meta charset="utf-8">
  <title>Обновяване на парк „Дъбника“ | Община Враца</title>
</head>
<body>
  <header class="site-header">
    <nav class="main-menu">
      <ul>
        <li><a href="/">Начало</a></li>
        <li><a href="/obshtina">Структура на общината</a></li>
        <li><a href="/uslugi">Административни услуги</a></li>
        <li><a href="/kontakti">Контакти с администрацията</a></li>
      </ul>
    </nav>
  </header>
  <div class="breadcrumbs"><a href="/">Начало</a> » <a href="/novini">Новини от кметството</a> » Парк Дъбника</div>
  <div id="cookie-notice" class="cookie-banner">
    <p>Този сайт използва бисквитки, за да подобри вашето преживяване. Приемам всички бисквитки.</p>
  </div>
  <div class="container">
    <main>
      <article class="post">
        <h1>Община Враца обновява парк „Дъбника“</h1>
        <div class="post-meta">Публикувано на: 12.03.2024</div>
        <p>Община Враца подписа договор за обновяване на парк „Дъбника“ по Програма „Развитие на регионите“ 2021–2027.
        Стойността на проекта е 1 250 000 лв., а срокът за изпълнение е осемнадесет месеца от подписването.</p>
        <p>Предвижда се ремонт на алеите, нова детска площадка, осветление и видеонаблюдение в целия парк.
        Кметът призова гражданите да споделят своите идеи за бъдещето на зелените площи в града.</p>
        <p>Документи: <a href="/files/dogovor-dabnika.pdf">Договор (PDF)</a>,
        <a href="/files/grafik.docx?v=2">График на дейностите</a></p>
      </article>
    </main>
    <aside class="sidebar">
      <h3>Последни новини от района</h3>
      <ul><li><a href="/n1">Коледен базар на площада пред читалището</a></li></ul>
    </aside>
  </div>
  <footer class="site-footer">
    <p>Всички права запазени © Община Враца, ул. „Стефанаки Савов“ 6, телефон за връзка 092 624 581</p>
  </footer>
</body>
</html>
"""


@pytest.fixture(scope="module")
def html_doc(tmp_path_factory) -> Document:
    path = tmp_path_factory.mktemp("html") / "dabnika.html"
    path.write_bytes(PAGE.encode("utf-8"))
    return read_document(path)


def test_html_main_text_has_headline_and_paragraphs(html_doc):
    assert html_doc.format == "html"
    assert "Община Враца обновява парк „Дъбника“" in html_doc.text
    assert "подписа договор за обновяване на парк „Дъбника“" in html_doc.text
    assert "нова детска площадка" in html_doc.text
    # The headline comes before the body.
    assert html_doc.text.index("обновява парк") < html_doc.text.index("подписа договор")


@pytest.mark.parametrize("chrome", [
    "Структура на общината", "Административни услуги", "Контакти с администрацията",  # menu
    "Новини от кметството",  # breadcrumbs
    "бисквитки",  # cookie banner
    "Коледен базар", "Последни новини от района",  # sidebar
    "Всички права запазени", "Стефанаки Савов",  # footer
])
def test_html_main_text_leaves_out_page_chrome(html_doc, chrome):
    assert chrome not in html_doc.text


def test_html_publication_date(html_doc):
    assert html_doc.metadata.get("published") == "2024-03-12"
    assert "12.03.2024" in html_doc.text


def test_html_title(html_doc):
    assert html_doc.title and "Дъбника" in html_doc.title
    assert html_doc.metadata["html_title"] == "Обновяване на парк „Дъбника“ | Община Враца"


def test_html_attachment_links(html_doc):
    urls = [link["url"] for link in html_doc.links]
    assert any(url.endswith("dogovor-dabnika.pdf") for url in urls)
    assert any("grafik.docx" in url for url in urls)
    assert len(urls) == 2  # menu links are not attachments
    texts = {link["text"] for link in html_doc.links}
    assert "Договор (PDF)" in texts


def test_html_in_windows_1251_with_declared_charset(tmp_path):
    page = PAGE.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">')
    page = page.replace("©", "(c)").replace("»", "&raquo;").replace("–", "-").replace("„", "&bdquo;").replace("“", "&ldquo;")
    doc = read_document(write(tmp_path, "cp.html", page.encode("cp1251")))
    assert "нова детска площадка" in doc.text
    assert "Община Враца обновява парк" in doc.text


def test_html_paragraphs_apart(html_doc):
    first = html_doc.text.index("подписа договор")
    second = html_doc.text.index("Предвижда се ремонт")
    assert "\n\n" in html_doc.text[first:second]


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

def _render_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(DEJAVU))
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.cell(0, 10, "ПРОТОКОЛ № 7", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 10, "Първа страница: заседание на Общински съвет – Елена.", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.cell(0, 10, "Втора страница: бюджет на проекта.", new_x="LMARGIN", new_y="NEXT")
    from fpdf.fonts import FontFace

    with pdf.table(col_widths=(90, 50), width=140, headings_style=FontFace(emphasis=None)) as table:
        for row in (("Източник", "Сума, лв."), ("Европейско финансиране", "50 893,92"),
                    ("Национално съфинансиране", "8 981,28"), ("Общо", "59 875,20")):
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.output(str(path))


@pytest.fixture(scope="module")
def rendered_pdf(tmp_path_factory) -> Document:
    pytest.importorskip("fpdf")
    if not DEJAVU.exists():
        pytest.skip("DejaVuSans.ttf not installed")
    path = tmp_path_factory.mktemp("pdf") / "two_pages.pdf"
    _render_pdf(path)
    return read_document(path)


def test_rendered_pdf_pages_and_offsets(rendered_pdf):
    doc = rendered_pdf
    assert doc.format == "pdf"
    assert doc.metadata["page_count"] == 2
    assert len(doc.pages) == 2 and doc.pages[0] == 0
    first = doc.text.index("Първа страница")
    second = doc.text.index("Втора страница")
    assert doc.pages[1] <= second
    assert first < doc.pages[1]
    assert doc.page_of(first) == 1
    assert doc.page_of(second) == 2
    assert doc.page_of(doc.pages[1]) == 2
    assert doc.page_of(doc.pages[1] - 1) == 1
    assert "\f" in doc.text[first:second]
    assert doc.title == "ПРОТОКОЛ № 7"
    assert_evidence_honest(doc)


def test_rendered_pdf_table(rendered_pdf):
    doc = rendered_pdf
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert table.page == 2
    assert table.rows[0] == ["Източник", "Сума, лв."]
    assert ["Национално съфинансиране", "8 981,28"] in table.rows
    assert len(table.rows) == 4
    assert doc.pages[1] <= table.start < table.end <= len(doc.text)
    assert doc.text[table.start:].startswith("Източник")
    assert "Европейско финансиране 50 893,92" in doc.text[table.start:table.end]


def test_rendered_pdf_table_span_covers_its_last_cell(rendered_pdf):
    table = rendered_pdf.tables[0]
    assert rendered_pdf.text[table.start:table.end].endswith("Общо 59 875,20")


def test_corpus_pdf_two_pages():
    doc = read_document(CORPUS / "101_karnobat_protokol.pdf")
    assert doc.metadata["page_count"] == 2
    assert len(doc.pages) == 2
    assert doc.text.startswith("ОБЩИНСКИ СЪВЕТ – КАРНОБАТ")
    assert "П Р О Т О К О Л" in doc.text
    assert doc.page_of(0) == 1
    assert doc.page_of(len(doc.text) - 1) == 2
    # A page break sits just before the second page's offset.
    assert doc.text[doc.pages[1] - 3:doc.pages[1]] == "\n\f\n"
    assert_evidence_honest(doc)


def test_corpus_pdf_ruled_budget_tables():
    doc = read_document(CORPUS / "102_velingrad_proekt_ee.pdf")
    assert len(doc.tables) >= 2
    budget = next(t for t in doc.tables if t.rows and t.rows[0][0] == "Източник на финансиране")
    assert budget.rows[0] == ["Източник на финансиране", "Сума, лв.", "Дял, %"]
    assert ["Европейски фонд за регионално развитие (ЕФРР)", "2 087 652,14", "82,93"] in budget.rows
    assert all(len(row) == 3 for row in budget.rows)
    assert "2 087 652,14" in doc.text[budget.start:budget.end]
    assert doc.page_of(budget.start) == budget.page
    facts = next(t for t in doc.tables if t.rows and t.rows[0][0] == "Наименование")
    assert ["Бенефициент", "Община Велинград"] in facts.rows
    assert_evidence_honest(doc)


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docx_doc() -> Document:
    return read_document(CORPUS / "106_gabrovo_rabotna_sreshta.docx")


def test_docx_paragraphs(docx_doc):
    doc = docx_doc
    assert doc.format == "docx"
    assert doc.pages == [0]
    lines = doc.text.splitlines()
    assert lines[0] == "ОБЩИНА ГАБРОВО"
    assert lines[1] == "ПРОТОКОЛ № 3"
    assert "Днес, 19 юни 2025 г., от 10:00 ч. в зала 201 на Община Габрово" in doc.text
    assert doc.title


def test_docx_table_rows_and_tab_separated_text(docx_doc):
    doc = docx_doc
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert table.rows[0] == ["Име и фамилия", "Длъжност", "Подпис"]
    assert ["Димитър Колев", "заместник-кмет, председател на работната група", "/п/"] in table.rows
    assert all(len(row) == 3 for row in table.rows)
    assert "Име и фамилия\tДлъжност\tПодпис" in doc.text
    assert "Димитър Колев\tзаместник-кмет, председател на работната група\t/п/" in doc.text
    span = doc.text[table.start:table.end]
    assert span.startswith("Име и фамилия\t")
    assert span.count("\n") == len(table.rows) - 1
    assert span.endswith("\t".join(table.rows[-1]))


# --------------------------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------------------------

def test_evidence_is_an_honest_slice():
    doc = Document(text="Първа страница.\n\f\nВтора страница.", source="t", sha256="", format="pdf", pages=[0, 18])
    for start, end in [(0, 5), (6, 15), (18, 23), (0, len(doc.text)), (3, 3)]:
        evidence = doc.evidence(start, end)
        assert evidence["text"] == doc.text[start:end]
        assert (evidence["start"], evidence["end"]) == (start, end)
    assert doc.evidence(18, 23)["page"] == 2
    assert doc.evidence(0, 5)["page"] == 1
    assert doc.evidence(17, 20)["page"] == 1


@pytest.mark.parametrize("start,end", [(-1, 3), (5, 4), (0, 10_000), (40, 41)])
def test_evidence_out_of_range_raises(start, end):
    doc = Document(text="Първа страница.\n\f\nВтора страница.", source="t", sha256="", format="pdf", pages=[0, 18])
    with pytest.raises(ValueError):
        doc.evidence(start, end)


def test_evidence_from_read_documents_is_honest(html_doc, docx_doc):
    for doc in (html_doc, docx_doc, read_document(CORPUS / "101_karnobat_protokol.pdf")):
        for start in range(0, len(doc.text), max(1, len(doc.text) // 7)):
            end = min(len(doc.text), start + 25)
            assert doc.evidence(start, end)["text"] == doc.text[start:end]
            assert doc.evidence(start, end)["page"] == doc.page_of(start)
