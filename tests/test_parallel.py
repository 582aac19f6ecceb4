"""Parallel and distributed builds: the same database whatever runs the extraction, and limits per document."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from index.build import build
from index.workers import Job, run_local

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = REPO / "corpus" / "documents"
VOLATILE = {"indexed_at", "failed_at"}
"""Columns that say when a build ran, not what it found."""


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every row of every table with its rowid, in rowid order, the build's timestamps blanked."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' "
                                              "and name not like 'sqlite_%' order by name")]
        out = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f'pragma table_info("{table}")')]
            selected = ", ".join("null" if c in VOLATILE else f'"{c}"' for c in columns)
            try:
                out[table] = conn.execute(f'select rowid, {selected} from "{table}" order by rowid').fetchall()
            except sqlite3.OperationalError:  # a WITHOUT ROWID table (FTS bookkeeping)
                out[table] = conn.execute(f'select {selected} from "{table}" order by 1').fetchall()
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """A copy of bundled documents of every format, plus an empty file that must fail."""
    folder = tmp_path_factory.mktemp("parallel") / "documents"
    folder.mkdir()
    names = sorted(p.name for p in DOCUMENTS.iterdir())
    chosen = [n for n in names if n.endswith((".pdf", ".docx"))] + \
        [n for n in names if n.endswith(".html")][:6] + [n for n in names if n.endswith(".txt")][:12]
    for name in chosen:
        shutil.copy2(DOCUMENTS / name, folder / name)
    (folder / "broken.txt").write_bytes(b"")
    old = time.time() - 60  # past the racy window, so the stat columns are stored in every build
    for path in folder.iterdir():
        os.utime(path, (old, old))
    return folder


def test_one_worker_n_workers_and_a_dask_cluster_make_identical_databases(small_corpus, tmp_path):
    distributed = pytest.importorskip("distributed")
    one = build([small_corpus], tmp_path / "one.db", workers=1)
    many = build([small_corpus], tmp_path / "many.db", workers=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask = build([small_corpus], tmp_path / "dask.db", scheduler=cluster.scheduler_address)
    assert one.summary() == many.summary() == dask.summary()
    assert one.failed == 1 and one.added == len(list(small_corpus.iterdir())) - 1
    reference = snapshot(tmp_path / "one.db")
    assert reference["documents"] and reference["people"] and reference["failures"]
    assert snapshot(tmp_path / "many.db") == reference
    assert snapshot(tmp_path / "dask.db") == reference


def test_a_rebuild_reads_no_file_whose_size_and_time_are_unchanged(small_corpus, tmp_path, monkeypatch):
    db_path = tmp_path / "l.db"
    build([small_corpus], db_path, workers=2)
    import index.build

    hashed = []
    original = index.build.sha256_file
    monkeypatch.setattr(index.build, "sha256_file", lambda path: hashed.append(path.name) or original(path))
    report = build([small_corpus], db_path, workers=2)
    assert report.unchanged == len(list(small_corpus.iterdir())) - 1
    assert hashed == ["broken.txt"], "only the file that failed (it has no stored document) is read again"


def test_a_renamed_file_keeps_its_records_without_being_extracted(small_corpus, tmp_path):
    corpus = tmp_path / "documents"
    shutil.copytree(small_corpus, corpus)
    db_path = tmp_path / "l.db"
    build([corpus], db_path)
    before = snapshot(db_path)["people"]
    pdf = next(corpus.glob("*.pdf"))
    pdf.rename(corpus / ("renamed_" + pdf.name))
    calls = []

    def counting(path: Path) -> dict:
        calls.append(path.name)
        raise AssertionError("a renamed file must not be extracted")

    from extract import EXTRACTOR_VERSION

    report = build([corpus], db_path, extract_file=counting, extractor_version=EXTRACTOR_VERSION)
    assert calls == ["broken.txt"] and report.updated == 1 and report.removed == 0
    conn = sqlite3.connect(db_path)
    paths = [Path(p).name for (p,) in conn.execute("select path from documents")]
    assert "renamed_" + pdf.name in paths and pdf.name not in paths
    assert snapshot(db_path)["people"] == before


# --- limits per document -------------------------------------------------------------------


def _pathological(path: Path) -> dict:
    """A fake extractor: files named after a pathology misbehave, the others extract to a stub."""
    if path.name.startswith("slow"):
        time.sleep(60)
    if path.name.startswith("hungry"):
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB, touched page by page
        return {"text": str(len(hoard))}
    if path.name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    return {"text": path.read_text(encoding="utf-8")}


def test_a_slow_a_memory_hungry_and_a_crashing_file_fail_and_the_others_go_on(tmp_path):
    names = ["a.txt", "slow.txt", "b.txt", "hungry.txt", "c.txt", "crash.txt", "d.txt"]
    for name in names:
        (tmp_path / name).write_text(name, encoding="utf-8")
    jobs = [Job(name, tmp_path / name, "0" * 64) for name in names]
    started = time.monotonic()
    outcomes = list(run_local(jobs, _pathological, workers=2, time_limit=2, memory_limit_mb=512))
    assert time.monotonic() - started < 30
    assert [o.job.path for o in outcomes] == names, "outcomes come back in job order"
    by_name = {o.job.path: o for o in outcomes}
    assert [n for n in names if by_name[n].ok] == ["a.txt", "b.txt", "c.txt", "d.txt"]
    assert by_name["slow.txt"].error_type == "TimeLimit" and "2 s limit" in by_name["slow.txt"].reason
    assert by_name["hungry.txt"].error_type in {"MemoryError", "MemoryLimit"}
    assert "memory" in by_name["hungry.txt"].reason
    assert by_name["crash.txt"].error_type == "WorkerCrashed"
    assert by_name["d.txt"].result == {"text": "d.txt"}


def test_files_waiting_behind_a_stopped_file_are_extracted_by_its_replacement(tmp_path):
    # A worker holds the next job in its pipe while it runs one (JOBS_PER_WORKER): when it is
    # killed, the waiting jobs go to the worker that replaces it instead of being lost.
    names = ["slow.txt", "a.txt", "crash.txt", "b.txt", "c.txt"]
    for name in names:
        (tmp_path / name).write_text(name, encoding="utf-8")
    jobs = [Job(name, tmp_path / name, "0" * 64) for name in names]
    outcomes = list(run_local(jobs, _pathological, workers=1, time_limit=1, memory_limit_mb=512))
    assert [o.job.path for o in outcomes] == names
    assert [o.error_type for o in outcomes] == ["TimeLimit", None, "WorkerCrashed", None, None]
    assert [o.result for o in outcomes if o.ok] == [{"text": n} for n in ("a.txt", "b.txt", "c.txt")]


def test_jobs_are_pulled_only_as_workers_free_up(tmp_path):
    pulled = []

    def jobs():
        for i in range(50):
            pulled.append(i)
            yield Job(str(i), tmp_path / "x.txt", "0" * 64)

    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    outcomes = run_local(jobs(), _pathological, workers=2, window=4)
    next(outcomes)
    assert len(pulled) <= 5, "the window bounds how far ahead of the writer the jobs are taken"
    assert len(list(outcomes)) == 49
