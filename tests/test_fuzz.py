"""Property tests: no input makes an extractor raise, and evidence offsets always hold."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS
from extract.contract import RECORD_KINDS
from extract.document import Document
from extract.normalize import normalize_text
from extract.pipeline import extract_document

SEED = (CORPUS / "000_0e2c83b0f1a29f14.txt").read_text(encoding="utf-8")
BULGARIAN = st.sampled_from(list("абвгдежзийклмнопрстуфхцчшщъьюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЮЯ"
                                 "0123456789 .,;:–-/„“\"()№\n\tлвBGOPCX€"))
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(text: str) -> None:
    document = Document(text=normalize_text(text), source="fuzz", sha256="", format="txt")
    result = extract_document(document)
    for kind in RECORD_KINDS:
        for item in result[kind]:
            evidence = item["evidence"]
            assert document.text[evidence["start"]:evidence["end"]] == evidence["text"]
    if result["attendance"]:
        evidence = result["attendance"]["evidence"]
        assert document.text[evidence["start"]:evidence["end"]] == evidence["text"]


@FUZZ
@given(st.text(max_size=400))
def test_any_unicode(text):
    _check(text)


@FUZZ
@given(st.lists(BULGARIAN, max_size=600).map("".join))
def test_bulgarian_looking_noise(text):
    _check(text)


@FUZZ
@given(st.integers(0, len(SEED)), st.integers(0, 200), st.text(max_size=30))
def test_mutated_real_document(position, length, insert):
    _check(SEED[:position] + insert + SEED[position + length:])


# --- readers and every extractor, on bytes, mutations of real documents and text ------------------

import importlib  # noqa: E402 - the additions below keep the original tests above untouched
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from extract.fields.agenda import extract_agenda  # noqa: E402
from extract.fields.amounts import extract_amounts  # noqa: E402
from extract.fields.attendance import extract_attendance  # noqa: E402
from extract.fields.dates import choose_document_date, extract_dates  # noqa: E402
from extract.fields.decisions import extract_decisions  # noqa: E402
from extract.fields.doctype import classify_doc_type  # noqa: E402
from extract.fields.municipality import extract_municipality  # noqa: E402
from extract.fields.organizations import extract_organizations  # noqa: E402
from extract.fields.people import extract_people  # noqa: E402
from extract.fields.projects import extract_projects  # noqa: E402
from extract.privacy import MASK, redact  # noqa: E402
from extract.readers import ReadError, read_document  # noqa: E402

BOUNDED = settings(max_examples=12, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
READER_FUNCTIONS = {
    "txt": ("text", "read_text_document"), "html": ("html", "read_html_document"),
    "pdf": ("pdf", "read_pdf_document"), "docx": ("docx", "read_docx_document"),
    "doc": ("doc", "read_doc_document"), "rtf": ("rtf", "read_rtf_document"),
    "odt": ("odf", "read_odt_document"), "ods": ("odf", "read_ods_document"),
    "xlsx": ("sheet", "read_xlsx_document"), "xls": ("sheet", "read_xls_document"),
}
"""Every reader by the format it reads; formats whose reader is not in this checkout are left out."""
DOC_TYPES = ("protocol", "decision", "agenda", "press_release", "project_page", "report", "announcement", "other")


def _reader(fmt: str):
    module, name = READER_FUNCTIONS[fmt]
    try:
        return getattr(importlib.import_module(f"extract.readers.{module}"), name)
    except (ImportError, AttributeError):
        return None


READERS = {fmt: reader for fmt in READER_FUNCTIONS if (reader := _reader(fmt)) is not None}
SEEDS = {fmt: min((p for p in CORPUS.glob(f"*.{fmt}")), key=lambda p: p.stat().st_size).read_bytes()
         for fmt in READERS if any(CORPUS.glob(f"*.{fmt}"))}
"""The smallest bundled document of each format, the seed its mutations start from."""


def mutate(data: bytes, operations: list[tuple[str, int, bytes]]) -> bytes:
    """``data`` after byte flips, truncations, insertions, deletions and duplications at the given places."""
    out = bytearray(data)
    for kind, where, chunk in operations:
        at = where % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= (chunk[0] if chunk else 0xFF) or 0x01
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = chunk
        elif kind == "delete":
            del out[at:at + len(chunk) + 1]
        elif kind == "duplicate":
            out[at:at] = out[at:at + 4096]
    return bytes(out)


OPERATIONS = st.lists(st.tuples(st.sampled_from(["flip", "flip", "truncate", "insert", "delete", "duplicate"]),
                                st.integers(0, 1 << 24), st.binary(max_size=48)), min_size=1, max_size=5)


def assert_honest(document) -> None:
    """A read document whose every offset points into its text."""
    assert isinstance(document.text, str)
    assert document.pages and document.pages[0] == 0 and document.pages == sorted(document.pages)
    assert all(0 <= page <= len(document.text) for page in document.pages)
    for table in document.tables:
        assert 0 <= table.start <= table.end <= len(document.text)


def evidence_items(value):
    """Every ``evidence`` object anywhere in an extractor's output."""
    if isinstance(value, dict):
        if isinstance(value.get("evidence"), dict):
            yield value["evidence"]
        for item in value.values():
            yield from evidence_items(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from evidence_items(item)


def assert_evidence(text: str, output) -> None:
    for evidence in evidence_items(output):
        assert 0 <= evidence["start"] <= evidence["end"] <= len(text)
        assert text[evidence["start"]:evidence["end"]] == evidence["text"]


def read_or_reject(fmt: str, data: bytes):
    """The reader's document, or None when it raised ReadError (any other exception fails the test)."""
    try:
        document = READERS[fmt](Path(f"fuzz.{fmt}"), data)
    except ReadError as error:
        assert str(error).strip(), "a ReadError carries a reason"
        return None
    assert_honest(document)
    return document


@pytest.mark.parametrize("fmt", sorted(READERS))
@BOUNDED
@given(data=st.binary(max_size=2048))
def test_reader_on_random_bytes(fmt, data):
    read_or_reject(fmt, data)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@BOUNDED
@given(operations=OPERATIONS)
def test_reader_on_mutated_real_document_then_every_extractor(fmt, operations):
    document = read_or_reject(fmt, mutate(SEEDS[fmt], operations))
    if document is not None:
        result = extract_document(document)
        assert_evidence(result["text"], result)


@BOUNDED
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(["txt", "html", "pdf", "docx", "doc", "rtf", "odt",
                                                             "ods", "xlsx", "xls", "zip", "", "bin"]),
       prefix=st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf1 ",
                               b"<html><body>", b"\xef\xbb\xbf", b"\xff\xfe"]))
def test_read_document_sniffs_any_bytes_under_any_name(tmp_path_factory, data, suffix, prefix):
    path = tmp_path_factory.mktemp("sniff") / (f"fuzz.{suffix}" if suffix else "fuzz")
    path.write_bytes(prefix + data)
    try:
        document = read_document(path)
    except ReadError:
        return
    assert_honest(document)


NOISE = st.lists(st.one_of(BULGARIAN, st.sampled_from([
    "ЕГН ", "7501020018", "ЛНЧ ", "тел. ", "0888 123 456", "+359 ", "@", "abv.bg", "gmail.com", "info@", ".bg",
    "Община ", "Общински съвет – ", "РЕШЕНИЕ № ", "Гласували: за – ", "против – ", "въздържали се – ",
    "Присъстваха ", " от ", " общински съветници", "лв.", " евро", "BG16RFOP001-1.001-0001", "г.", "2024",
    "ПРОТОКОЛ", "Дневен ред:", "\n1. ", "проект", "бюджет", "| ", " |\n", "\f", "Д-р инж. ", "Иван Петров",
])), max_size=200).map("".join)


@BOUNDED
@given(text=st.one_of(st.text(max_size=600), NOISE), doc_type=st.sampled_from(DOC_TYPES))
def test_every_field_extractor_alone_keeps_its_evidence_honest(text, doc_type):
    document = Document(text=normalize_text(text), source="fuzz", sha256="", format="txt")
    dates, amounts = extract_dates(document), extract_amounts(document)
    municipality, _ = extract_municipality(document)
    outputs = [dates, amounts, extract_people(document), extract_attendance(document), extract_agenda(document),
               extract_decisions(document, doc_type), extract_organizations(document),
               extract_projects(document, dates, municipality, amounts), classify_doc_type(document),
               choose_document_date(document, dates, doc_type)]
    assert_evidence(document.text, outputs)


@BOUNDED
@given(text=st.one_of(st.text(max_size=600), NOISE), contacts=st.booleans())
def test_redaction_keeps_offsets_and_masks_only_inside_its_spans(text, contacts):
    masked, spans = redact(text, contacts=contacts)
    assert len(masked) == len(text)
    changed = [i for i, (a, b) in enumerate(zip(text, masked)) if a != b]
    assert all(masked[i] == MASK and any(start <= i < end for start, end, _ in spans) for i in changed)
    assert all(0 <= start < end <= len(text) for start, end, _ in spans)
