"""The command line: extract, build, evaluate, manifest (a thin layer over the libraries)."""
from __future__ import annotations

import json
import shutil

import sqlite_utils
from click.testing import CliRunner

from conftest import CORPUS, GOLD
from index.cli import main

SAMPLE = ["000_0e2c83b0f1a29f14.txt", "003_2f1b3316d03a53f2.txt"]


def _sample_corpus(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    for name in SAMPLE:
        shutil.copy(CORPUS / name, folder / name)
    return folder


def _dump(path) -> dict:
    db = sqlite_utils.Database(path)
    return {table: sorted(json.dumps(row, default=repr) for row in db[table].rows) for table in db.table_names()}


def test_extract_jsonl_without_text(tmp_path):
    folder = _sample_corpus(tmp_path)
    result = CliRunner().invoke(main, ["extract", str(folder), "--format", "jsonl", "--no-text"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert all("text" not in r for r in records)
    assert records[0]["doc_type"] == "protocol" and records[0]["municipality"] == "Кочериново"
    assert records[1]["projects"][0]["code"] == "BG05SFOP001-2.025-0007"


def test_extract_reports_a_broken_file_and_goes_on(tmp_path):
    folder = _sample_corpus(tmp_path)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    result = CliRunner().invoke(main, ["extract", str(folder), "--format", "jsonl", "--no-text"])
    assert result.exit_code == 1
    assert len(result.stdout.strip().splitlines()) == 2
    assert "broken.pdf" in result.stderr and "PDF" in result.stderr


def test_build_twice_changes_nothing_and_a_new_file_is_added(tmp_path):
    folder = _sample_corpus(tmp_path)
    db_path = tmp_path / "letopis.db"
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(folder), "--db", str(db_path), "--quiet"])
    assert first.exit_code == 0, first.output
    before = _dump(db_path)
    second = runner.invoke(main, ["build", str(folder), "--db", str(db_path), "--quiet"])
    assert second.exit_code == 0 and "0 added, 0 updated" in second.output
    assert _dump(db_path) == before
    shutil.copy(CORPUS / "004_bcd0f9b3358dc160.txt", folder)
    third = runner.invoke(main, ["build", str(folder), "--db", str(db_path), "--quiet"])
    assert "1 added" in third.output
    db = sqlite_utils.Database(db_path)
    assert db["documents"].count == 3
    assert db["projects"].count >= 2


def test_build_records_a_failure_and_indexes_the_rest(tmp_path):
    folder = _sample_corpus(tmp_path)
    (folder / "empty.txt").write_bytes(b"")
    db_path = tmp_path / "letopis.db"
    result = CliRunner().invoke(main, ["build", str(folder), "--db", str(db_path), "--quiet"])
    db = sqlite_utils.Database(db_path)
    assert db["documents"].count == 2
    failures = list(db["failures"].rows)
    assert [f["path"].endswith("empty.txt") for f in failures] == [True]
    assert "empty" in failures[0]["reason"]
    assert result.exit_code == 3, "a failed file makes the exit status say so"


def test_evaluate_prints_a_table_per_split(tmp_path):
    result = CliRunner().invoke(main, ["evaluate", str(GOLD), str(CORPUS), "--only", "00?_*"])
    assert result.exit_code == 0, result.output
    assert "== all: 5 documents" in result.output and "== seeds: 5 documents" in result.output
    assert "all (micro)" in result.output and "people" in result.output


def test_manifest_is_idempotent(tmp_path):
    folder = _sample_corpus(tmp_path)
    manifest = tmp_path / "manifest.csv"
    runner = CliRunner()
    args = ["manifest", str(folder), "--manifest", str(manifest), "--gold", str(GOLD)]
    assert runner.invoke(main, args).exit_code == 0
    first = manifest.read_text(encoding="utf-8")
    assert "Кочериново" in first and first.count("\n") == 3
    assert runner.invoke(main, args).exit_code == 0
    assert manifest.read_text(encoding="utf-8") == first
