"""Personal data: ЕГН and ЛНЧ on a generated test set (every valid number masked, nothing else), and private
contacts masked when ``LETOPIS_REDACT_CONTACTS=1`` while an institution's stay."""
from __future__ import annotations

import json
import os
import random
import re
import sqlite3

from extract.document import Document, Table
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


# --- a generated test set: every ЕГН in varied contexts, and numbers that only look like one ---------

EGN_CONTEXTS = (
    "ЕГН {n}", "ЕГН: {n}", "ЕГН:{n}", "ЕГН №{n}", "ЕГН/ЛНЧ: {n}", "(ЕГН {n})", "Единен граждански номер: {n}",
    "Мария Стоянова Ангелова, ЕГН {n}, живуща в с. Лешница, ул. „Трета“ № 4.",
    "Отпуска еднократна помощ на Иван Петров Иванов с ЕГН {n}.",
    "| 3 | Мария Иванова | {n} | 500 лв. |", "Иван Петров\t{n}\tс. Лешница", "1. Петър Колев – {n}",
    "ЕГН\n{n}", "лице с ЕГН {split}", "ЕГН: {split}", "{n}", "Наследници: Гергана Пенева ({n}) и др.",
    "Декларатор: Стоян Стоянов; {n}; гр. Троян",
)
"""Where ЕГН are written in municipal documents; ``{split}`` is the 6 + 4 form some forms print."""


def other_contexts(rng: random.Random) -> list[str]:
    """Non-personal numbers; the first group deliberately uses ten digits that pass the ЕГН checks."""
    valid = make_egn(rng)
    ten = f"{rng.randint(0, 9_999_999_999):010d}"
    mobile = f"08{rng.choice('789')}{rng.randint(0, 9_999_999):07d}"
    return [
        f"Фактура № {valid} от 12.03.2024 г.", f"ф-ра №{valid}/2024", f"по фактура {valid}",
        f"ЕИК {valid}", f"Вх. № {valid}", f"Изх. №{valid}", f"платени {valid} лв.", f"сума {valid},50 лв.",
        f"{valid} евро", f"тел. {valid}", f"IBAN: {valid}", f"по договор № {valid}",
        f"тел. {mobile}", f"+359 {mobile[1:4]} {mobile[4:7]} {mobile[7:]}", f"GSM: {mobile[:4]} {mobile[4:]}",
        f"02 {rng.randint(100, 999)} {rng.randint(1000, 9999)}", f"056/{rng.randint(100000, 999999)}",
        f"0700 {rng.randint(10000, 99999)}", f"ЕИК {rng.randint(0, 999_999_999):09d}",
        f"БУЛСТАТ {rng.randint(0, 9_999_999_999_999):013d}",
        f"IBAN BG{rng.randint(10, 99)} BNBG 9661 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(10, 99)}",
        f"BG{rng.randint(10, 99)}UNCR7000{rng.randint(10**9, 10**10 - 1)}",
        f"{rng.randint(1, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)},{rng.randint(10, 99)} лв.",
        f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1990, 2030)} г.",
        f"BG05SFOP001-2.0{rng.randint(10, 99)}-{rng.randint(1, 9999):04d}",
        f"{rng.randint(10000, 99999)}.{rng.randint(1, 999)}.{rng.randint(1, 9999)}",
        f"№ {break_checksum(valid)}", break_checksum(valid), f"{ten}" if not is_egn(ten) else "0000000000",
    ]


def egn_test_set(seed: int = 2024, size: int = 2000) -> tuple[list[tuple[str, str]], list[str]]:
    """``size`` (text, ЕГН) pairs and ``size`` texts holding no personal number."""
    rng = random.Random(seed)
    positives = []
    for i in range(size):
        number = make_egn(rng)
        template = EGN_CONTEXTS[i % len(EGN_CONTEXTS)]
        positives.append((template.format(n=number, split=f"{number[:6]} {number[6:]}"), number))
    negatives: list[str] = []
    while len(negatives) < size:
        negatives.extend(other_contexts(rng))
    return positives, negatives[:size]


def with_checksum(body: str) -> str:
    check = sum(int(d) * w for d, w in zip(body, EGN_WEIGHTS)) % 11
    return body + str(0 if check == 10 else check)


def test_birth_date_encoding_edges():
    assert is_egn(with_checksum("004229123"))       # 29 February 2000: month + 40
    assert is_egn(with_checksum("993231123"))       # 31 December 1899: month + 20
    assert not is_egn(with_checksum("000229123"))   # 29 February 1900 never was
    assert not is_egn(with_checksum("991331123"))   # month 13
    assert not is_egn(with_checksum("995301123"))   # month 53


def leaks(text: str, number: str) -> bool:
    """Whether redaction missed the ЕГН ``number`` in ``text`` (or found something else too)."""
    masked, spans = redact(text)
    return [kind for *_, kind in spans] != ["egn"] or number in re.sub(r"\s", "", masked)


def test_generated_egn_set_recall_is_total_and_nothing_else_is_masked():
    positives, negatives = egn_test_set()
    missed = [text for text, number in positives if leaks(text, number)]
    assert missed == [], f"{len(missed)} of {len(positives)} ЕГН missed, e.g. {missed[:3]}"
    masked = [text for text in negatives if find_personal_numbers(text)]
    assert masked == [], f"{len(masked)} of {len(negatives)} other numbers masked, e.g. {masked[:3]}"
    valid_looking = sum(1 for text in negatives for run in re.findall(r"\d{10}", text) if is_egn(run))
    assert valid_looking >= 300, "the negatives include numbers that pass the ЕГН checks"


def test_an_egn_in_a_table_cell_title_or_metadata_is_masked_there_too():
    text = "Списък\nИван Петров\t7501020018\n"
    table = Table(rows=[["Иван Петров", "7501020018"]], start=7, end=len(text) - 1)
    doc = Document(text=text, source="t", sha256="", format="docx", title="Молба от 7501020018",
                   metadata={"author": "ЕГН 7501020018"}, tables=[table])
    result = extract_document(doc)
    assert "7501020018" not in json.dumps(result, ensure_ascii=False)
    assert result["metadata"]["tables"][0]["rows"] == [["Иван Петров", MASK * 10]]


# --- private contacts (LETOPIS_REDACT_CONTACTS=1) -----------------------------------------------

PRIVATE_CONTACTS = [
    "Заявител: Иван Петров, тел. 0888 123 456", "Мария Иванова, GSM: 0898123456, с. Лешница",
    "за връзка: +359 887 12 34 56", "моб. (0899) 123-456", "тел.: 0988/123 456", "ivan.petrov@gmail.com",
    "пишете на maria_ivanova78@abv.bg", "e-mail: p.kolev@yahoo.com", "i.petrov@stroy-ood.bg",
    "Георги Георгиев, 00359 88 812 3456",
]
INSTITUTIONAL_CONTACTS = [
    "Община Габрово, тел. 066 818 400", "факс: 02 981 23 45", "Горещ телефон: 0888 123 456",
    "Деловодство – 0887 654 321", "тел. на общината 0700 10 200", "Кметство Лозен: 0899 111 222",
    "info@gabrovo.bg", "obs@obshtina-karnobat.bg", "kmet@velingrad.bg", "press@mrrb.government.bg",
    "obshtina_bobovdol@abv.bg", "office@stroy-ood.bg", "info@sofia.bg", "ЕИК 000056814", "IBAN BG80 BNBG 9661 0887 1234 56",
]


def test_private_phones_and_addresses_are_masked_and_institutional_ones_stay():
    for text in PRIVATE_CONTACTS:
        masked, spans = redact(text, contacts=True)
        assert len(spans) == 1 and spans[0][2] in ("phone", "email"), text
        start, end, kind = spans[0]
        assert set(masked[start:end]) <= {MASK, " ", "-", "/", "(", ")", "+"} and len(masked) == len(text), text
    for text in INSTITUTIONAL_CONTACTS:
        assert redact(text, contacts=True) == (text, []), text


def test_contacts_stay_unless_the_setting_is_on(monkeypatch):
    text = "Заявител: Иван Петров, ЕГН 7501020018, тел. 0888 123 456, ivan.petrov@gmail.com. Община Габрово, info@gabrovo.bg"
    assert [kind for *_, kind in redact(text)[1]] == ["egn"]
    assert [kind for *_, kind in redact(text, contacts=True)[1]] == ["egn", "phone", "email"]
    monkeypatch.setattr("extract.pipeline.REDACT_CONTACTS", True)
    result = extract_document(Document(text=text, source="t", sha256="", format="txt"))
    assert [r["kind"] for r in result["redactions"]] == ["egn", "phone", "email"]
    assert "0888" not in result["text"] and "gmail" not in result["text"] and "info@gabrovo.bg" in result["text"]
    for redaction in result["redactions"]:
        evidence = redaction["evidence"]
        assert result["text"][evidence["start"]:evidence["end"]] == evidence["text"]


def test_generated_mobiles_are_masked_in_every_common_spelling():
    rng = random.Random(5)
    for _ in range(300):
        digits = f"{rng.choice(['87', '88', '89', '98', '99'])}{rng.randint(0, 9_999_999):07d}"
        spelling = rng.choice([f"0{digits}", f"0{digits[:3]} {digits[3:6]} {digits[6:]}", f"+359 {digits[:2]} {digits[2:5]} {digits[5:]}",
                               f"+359{digits}", f"0{digits[:3]}/{digits[3:]}", f"(0{digits[:3]}) {digits[3:6]}-{digits[6:]}"])
        text = f"{rng.choice(['Иван Петров', 'Сигнал от гражданин', 'Собственик'])}, тел. {spelling}, адрес ..."
        masked, spans = redact(text, contacts=True)
        assert [kind for *_, kind in spans] == ["phone"] and digits[-4:] not in masked, text


def test_the_setting_changes_the_extractor_version_and_is_off_by_default():
    import subprocess
    import sys

    from extract.privacy import REDACT_CONTACTS_ENV, redact_contacts_enabled

    assert not redact_contacts_enabled({}) and redact_contacts_enabled({REDACT_CONTACTS_ENV: "1"})
    command = [sys.executable, "-c", "from extract import EXTRACTOR_VERSION; print(EXTRACTOR_VERSION)"]
    env = {k: v for k, v in os.environ.items() if k != REDACT_CONTACTS_ENV}
    plain = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout.strip()
    redacting = subprocess.run(command, env={**env, REDACT_CONTACTS_ENV: "1"}, capture_output=True, text=True,
                               check=True).stdout.strip()
    assert redacting == plain + "+contacts"


def test_the_archived_file_is_never_changed(tmp_path):
    from index.build import build

    corpus = tmp_path / "documents"
    corpus.mkdir()
    original = "Заповед\nОтпуска помощ на Мария Стоянова Ангелова, ЕГН 7501020018.\n".encode("utf-8")
    (corpus / "a.txt").write_bytes(original)
    build([corpus], tmp_path / "l.db")
    assert (corpus / "a.txt").read_bytes() == original
    conn = sqlite3.connect(tmp_path / "l.db")
    assert "7501020018" not in conn.execute("select text from documents").fetchone()[0]
    assert conn.execute("select kind, evidence_text from redactions").fetchall() == [("egn", MASK * 10)]
