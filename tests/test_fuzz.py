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
