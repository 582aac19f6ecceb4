"""Hostile input: a corpus of broken, pathological and misleading files, built with tight limits.

Every bad file must land in ``failures`` with a reason a person understands, every valid file
must be indexed with the same records as when it is built alone, nothing may hang, and the exit
status must say that something failed (3). The corpus is generated here, not committed.

Policy for big files: size alone never fails a file; the per-document time and memory limits
do. A valid 3,000-page PDF (a line of text per page) reads in a second or two and is indexed in
full; a 50 MB page of markup without an article fails ("no main text") or is stopped by the time
limit, and either way it is recorded with its reason.
"""
from __future__ import annotations

import io
import os
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from index.build import build

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = REPO / "corpus" / "documents"
VALID_COPIES = ["000_0e2c83b0f1a29f14.txt", "102_velingrad_proekt_ee.pdf", "106_gabrovo_rabotna_sreshta.docx",
                "150_vratsa-dabnika-proekt.html"]
CP1251_NAME = "Протокол_12.txt".encode("cp1251")
SECRET = "ПОВЕРИТЕЛНО-7f3a: този файл е извън корпуса"
TIME_LIMIT, MEMORY_LIMIT_MB = 10, 1024
DOCX_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
              'wordprocessingml.document.main+xml"/></Types>')
DOCX_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'officeDocument" Target="word/document.xml"/></Relationships>')


# --- the generated corpus --------------------------------------------------------------------


def zip_bomb(megabytes: int = 210) -> bytes:
    """A DOCX whose document.xml unpacks to ``megabytes`` MB of spaces (about 1 MB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        archive.writestr("_rels/.rels", DOCX_RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def lying_zip_bomb(megabytes: int = 64) -> bytes:
    """A DOCX whose headers claim document.xml is 1 kB while it inflates to ``megabytes`` MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        archive.writestr("_rels/.rels", DOCX_RELS)
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (megabytes << 20))
    data = bytearray(buffer.getvalue())
    name = b"word/document.xml"
    local, central = data.find(name) - 30, data.rfind(name) - 46
    assert data[local:local + 4] == b"PK\x03\x04" and data[central:central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, local + 22, 1024)
    struct.pack_into("<I", data, central + 24, 1024)
    return bytes(data)


def encrypted_pdf() -> bytes:
    """A one-page PDF that needs a password to open (fpdf2's RC4 encryption)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Protocol No 7 of the municipal council")
    return bytes(pdf.output())


def many_pages_pdf(pages: int = 3000) -> bytes:
    """A valid PDF of ``pages`` small pages, a line of text on each."""
    from fpdf import FPDF

    pdf = FPDF(format=(100, 50))
    pdf.set_font("helvetica", size=8)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Annex 3, page {number}: budget line {number * 7}, 1 200.50 BGN")
    return bytes(pdf.output())


def huge_html(megabytes: int = 50) -> bytes:
    """A 50 MB page of navigation markup without any article text."""
    row = "<div class='menu'><span>Община</span> <a href='/p'>Начало</a></div>\n".encode("utf-8")
    return b"<html><head><title>x</title></head><body>" + row * ((megabytes << 20) // len(row)) + b"</body></html>"


def nested_html(depth: int = 100_000) -> bytes:
    """A page whose few words sit under ``depth`` nested divs."""
    return b"<html><body>" + b"<div>" * depth + "Решение № 1".encode("utf-8") + b"</div>" * depth + b"</body></html>"


def damaged_utf8(data: bytes) -> bytes:
    """UTF-8 text with three invalid bytes inserted after a line end (still readable)."""
    cut = data.index(b"\n", len(data) // 2) + 1
    return data[:cut] + b"\xff\xfe\xc3" + data[cut:]


def make_corpus(root: Path) -> tuple[Path, set[str], set[str]]:
    """The hostile corpus under ``root/documents``; returns it with the names expected to fail and to be indexed."""
    corpus, outside = root / "documents", root / "outside"
    corpus.mkdir()
    outside.mkdir()
    rng = random.Random(7)
    pdf = (DOCUMENTS / "101_karnobat_protokol.pdf").read_bytes()
    bad = {
        "truncated.pdf": pdf[: len(pdf) // 2],
        "corrupt.pdf": b"%PDF-1.7\n" + rng.randbytes(20_000),
        "encrypted.pdf": encrypted_pdf(),
        "text_named.pdf": "Това е обикновен текст, записан като .pdf.".encode("utf-8"),
        "zip_bomb.docx": zip_bomb(),
        "lying_zip_bomb.docx": lying_zip_bomb(),
        "plain_zip.docx": _plain_zip(),
        "huge.html": huge_html(),
        "nested.html": nested_html(),
        "garbage.txt": rng.randbytes(20_000),
        "high_bytes.txt": bytes(rng.randrange(128, 256) for _ in range(20_000)),
        "empty.txt": b"",
        "blank.txt": b" \n\t\n  ",
    }
    valid = {
        "karnobat_protokol.docx": pdf,  # a PDF under a Word name: read by its content
        "damaged_utf8.txt": damaged_utf8((DOCUMENTS / "001_fea2a16c60401719.txt").read_bytes()),
        "annex_3000_pages.pdf": many_pages_pdf(),
    }
    for name, data in {**bad, **valid}.items():
        (corpus / name).write_bytes(data)
    for name in VALID_COPIES:
        shutil.copy2(DOCUMENTS / name, corpus / name)
    (outside / "secret.txt").write_text(f"{SECRET}\nПротокол № 3 на Общински съвет.\n", encoding="utf-8")
    os.symlink(outside / "secret.txt", corpus / "outside_link.txt")
    os.symlink(root / "nowhere.txt", corpus / "dangling_link.txt")
    os.mkfifo(corpus / "named_pipe.txt")
    with open(os.path.join(os.fsencode(corpus), CP1251_NAME), "wb") as f:
        f.write("Протокол № 12 на Общински съвет – Карнобат.\n".encode("utf-8"))
    escaped = CP1251_NAME.decode("utf-8", "backslashreplace")
    failing = set(bad) | {"outside_link.txt", "dangling_link.txt", "named_pipe.txt", escaped}
    return corpus, failing, set(valid) | set(VALID_COPIES)


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "не е документ на Word")
    return buffer.getvalue()


# --- checks ----------------------------------------------------------------------------------


def is_sentence_for_people(reason: str) -> bool:
    """One line of words, not a traceback, a repr or a bare exception name."""
    return (bool(reason) and "\n" not in reason and len(reason) <= 300 and len(reason.split()) >= 3
            and not re.search(r"Traceback|File \"|line \d+, in|<[\w.]+ object at 0x|^\w+(Error|Exception)$", reason))


IGNORED = {"indexed_at", "failed_at", "path", "file_mtime_ns", "file_size", "extractor_version"}
"""Where and when a file was built; the version too, a digest of the source tree that edits made while the
test runs may change between the two builds (the records themselves must not differ)."""


def content(db_path: Path) -> dict[str, list[tuple]]:
    """Every table except failures as sorted rows, without paths and build times."""
    conn = sqlite3.connect(db_path)
    try:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' and name != 'failures' "
                                            "and name not like 'sqlite_%' and name not like '%_fts%'")]
        out = {}
        for table in names:
            columns = [r[1] for r in conn.execute(f'pragma table_info("{table}")') if r[1] not in IGNORED]
            rows = conn.execute(f'select {", ".join(f"[{c}]" for c in columns)} from "{table}"').fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def run_cli_build(corpus: Path, db_path: Path, timeout: float) -> tuple[int, str, float]:
    """``letopis build`` in its own process group; killed (and the test failed) if it outlives ``timeout``."""
    command = [sys.executable, "-c", "from index.cli import main; main()", "build", str(corpus), "--db", str(db_path), "--workers", "2",
               "--time-limit", str(TIME_LIMIT), "--memory-limit", str(MEMORY_LIMIT_MB), "--quiet"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               errors="replace", start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"letopis build hung: still running after {timeout} s")
    return process.returncode, stderr, time.monotonic() - started


# --- the test --------------------------------------------------------------------------------


def test_a_hostile_corpus_fails_file_by_file_and_indexes_every_valid_document(tmp_path):
    corpus, failing, valid = make_corpus(tmp_path)
    db_path = tmp_path / "hostile.db"
    status, stderr, seconds = run_cli_build(corpus, db_path, timeout=180)
    assert status == 3, f"exit status {status}, expected 3 (built, some files failed):\n{stderr[-3000:]}"
    assert "Traceback" not in stderr

    conn = sqlite3.connect(db_path)
    failures = {Path(p).name: (t, r) for p, t, r in conn.execute("select path, error_type, reason from failures")}
    indexed = {Path(p).name for (p,) in conn.execute("select path from documents")}
    assert set(failures) == failing, f"missing {failing - set(failures)}, unexpected {set(failures) - failing}"
    assert indexed == valid, f"not indexed: {valid - indexed}, unexpected: {indexed - valid}"
    unclear = {name: reason for name, (_, reason) in failures.items() if not is_sentence_for_people(reason)}
    assert unclear == {}
    assert failures["outside_link.txt"][0] == "OutsideCorpus" and failures["named_pipe.txt"][0] == "NotAFile"
    assert failures["huge.html"][0] in ("ReadError", "TimeLimit", "MemoryLimit", "MemoryError")
    assert not conn.execute("select 1 from documents where text like ?", [f"%{SECRET[:12]}%"]).fetchone()
    pages = conn.execute("select json_array_length(pages) from documents where path like '%annex_3000_pages.pdf'")
    assert pages.fetchone()[0] == 3000, "the huge but valid PDF is indexed in full"
    conn.close()

    alone = tmp_path / "alone"
    alone.mkdir()
    for name in valid:
        shutil.copy2(corpus / name, alone / name)
    build([alone], tmp_path / "alone.db")
    assert content(db_path) == content(tmp_path / "alone.db"), "valid files get the records they get when built alone"
    assert seconds < 120


def test_a_few_bad_bytes_do_not_turn_utf8_text_into_windows_1251():
    from extract.readers.text import decode_bytes

    text = "Общинският съвет прие бюджета на Община Габрово за 2024 г.\n" * 3
    damaged = damaged_utf8(text.encode("utf-8"))
    decoded, encoding = decode_bytes(damaged)
    assert encoding == "utf-8" and decoded.replace("\ufffd", "") == text
    assert decode_bytes(text.encode("cp1251")) == (text, "cp1251")
