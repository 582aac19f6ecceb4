"""ЕГН and ЛНЧ redaction on a generated test set: every valid number masked, nothing else."""
from __future__ import annotations

import random

from extract.document import Document
from extract.pipeline import extract_document
from extract.privacy import EGN_WEIGHTS, LNCH_WEIGHTS, MASK, find_personal_numbers, is_egn, is_lnch, redact


def make_egn(rng: random.Random) -> str:
    year = rng.randint(1850, 2024)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    coded_month = month + (20 if year < 1900 else 40 if year >= 2000 else 0)
    body = f"{year % 100:02d}{coded_month:02d}{day:02d}{rng.randint(0, 999):03d}"
    check = sum(int(d) * w for d, w in zip(body, EGN_WEIGHTS)) % 11
    return body + str(0 if check == 10 else check)


def make_lnch(rng: random.Random) -> str:
    body = f"{rng.randint(0, 999_999_999):09d}"
    return body + str(sum(int(d) * w for d, w in zip(body, LNCH_WEIGHTS)) % 10)


def break_checksum(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10)


def test_every_generated_egn_is_found_and_masked():
    rng = random.Random(7)
    numbers = [make_egn(rng) for _ in range(500)]
    text = "\n".join(f"{i}. Иван Петров, ЕГН {n}, адрес ..." for i, n in enumerate(numbers))
    masked, spans = redact(text)
    assert len(spans) == 500 and all(kind == "egn" for *_, kind in spans)
    assert not any(n in masked for n in numbers)
    assert len(masked) == len(text)


def test_valid_looking_numbers_that_are_not_personal_numbers_stay():
    rng = random.Random(11)
    wrong_checksums = [break_checksum(make_egn(rng)) for _ in range(300)]
    phones = ["0893532069", "0887123456", "0700 10 200", "035062216"]
    others = ["36498.501.2817", "BG05SFOP001-2.025-0007", "10-08-2024", "1234567890"]
    text = " ; ".join(wrong_checksums + phones + others)
    assert [n for n in wrong_checksums if is_egn(n)] == []
    assert find_personal_numbers(text) == []


def test_lnch_is_masked_next_to_its_name_only():
    rng = random.Random(3)
    number = make_lnch(rng)
    assert is_lnch(number)
    assert find_personal_numbers(f"ЛНЧ {number}")[0][2] in ("lnch", "egn")
    if not is_egn(number):
        assert find_personal_numbers(f"тел. {number}") == []


def test_pipeline_masks_before_extracting_and_records_the_redaction():
    text = "Отпуска помощ в размер на 500 лв. на Мария Стоянова Ангелова, ЕГН 7501020018, от с. Лешница."
    result = extract_document(Document(text=text, source="t", sha256="", format="txt"))
    assert "7501020018" not in result["text"]
    assert MASK * 10 in result["text"]
    assert [r["kind"] for r in result["redactions"]] == ["egn"]
    assert result["redactions"][0]["evidence"]["text"] == MASK * 10
    assert [p["name"] for p in result["people"]] == ["Мария Стоянова Ангелова"]
