"""Crash safety: a build killed with SIGKILL anywhere, then run again, makes exactly the database
an uninterrupted build makes, and every database left behind by a kill is consistent.

Kill points (seeded): a build forked from this process kills itself right before its N-th SQL
statement (``set_trace_callback`` on the writer's connection), so points fall inside a
document's transaction, between documents, inside schema creation, entity resolution and the
checks; a few more builds are killed from outside after a random delay. A second scenario kills
an incremental build whose only change is a removed file, where nothing but the build itself
knows that the entities must be resolved again.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from index.schema import RECORD_TABLES
from test_parallel import snapshot

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = REPO / "corpus" / "documents"
NAMES = [
    "000_0e2c83b0f1a29f14.txt", "101_karnobat_protokol.pdf", "106_gabrovo_rabotna_sreshta.docx",
    "159_nova-zagora-reshenie-byudzhet-2024.txt", "210_parvomay-protokol-6-2024.txt",
    "211_parvomay-reshenie-104-sobstven-prinos.txt", "212_parvomay-proekt-chitalishte-start.html",
    "213_parvomay-protokol-14-2024.txt", "214_parvomay-protokol-15-chl45.txt", "215_parvomay-reshenie-236-flag.txt",
    "216_parvomay-chitalishte-zakluchitelna.html", "217_pazardzhik-reshenie-412.txt", "218_pazardzhik-protokol-32.txt",
    "219_pazardzhik-proekt-mobilna-podkrepa.html", "220_pazardzhik-presrelease-mobilni-ekipi.txt",
]
"""Fifteen documents of four formats that share people and projects and raise consistency flags."""
REMOVED = "212_parvomay-proekt-chitalishte-start.html"
SEED = 20240607


# --- running a build that can be killed --------------------------------------------------------


def _child(corpus: Path, db_path: Path, kill_at: int | None, trace_file: Path | None) -> None:
    """In a forked process: build, killing this process group right before SQL statement ``kill_at``."""
    import sqlite_utils

    import index.build

    os.setpgid(0, 0)
    counter = itertools.count(1)
    marks: dict[str, int] = {}
    last = [0]

    def trace(sql: str) -> None:
        last[0] = next(counter)
        if sql.lstrip().startswith('CREATE TRIGGER "documents_ai"'):
            marks.setdefault("search_triggers", last[0])
        if last[0] == kill_at:
            os.killpg(0, signal.SIGKILL)

    opened = sqlite_utils.Database

    def traced_database(*args, **kwargs):
        db = opened(*args, **kwargs)
        db.conn.set_trace_callback(trace)
        return db

    def marked(name: str, function):
        def call(*args, **kwargs):
            marks.setdefault(name, last[0] + 1)
            return function(*args, **kwargs)
        return call

    sqlite_utils.Database = traced_database
    index.build.resolve = marked("resolve", index.build.resolve)
    index.build.run_checks = marked("checks", index.build.run_checks)
    index.build.build([corpus], db_path, workers=1, time_limit=120)
    if trace_file is not None:
        trace_file.write_text(json.dumps({"statements": last[0], **marks}), encoding="utf-8")


def run_build(corpus: Path, db_path: Path, *, kill_at: int | None = None, kill_after: float | None = None,
              trace_file: Path | None = None) -> bool:
    """Build in a forked child (models already loaded here); True if the build was killed."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _child(corpus, db_path, kill_at, trace_file)
            code = 0
        finally:
            os._exit(code)
    try:
        os.setpgid(pid, pid)  # here too, so a kill from outside cannot come before the child's own call
    except OSError:
        pass
    if kill_after is not None:
        time.sleep(kill_after)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    try:
        os.killpg(pid, signal.SIGKILL)  # a worker the build had started, if one outlived it
    except ProcessLookupError:
        pass
    if os.WIFSIGNALED(status):
        return True
    assert os.WEXITSTATUS(status) == 0, "the build failed without being killed"
    return False


# --- consistency ---------------------------------------------------------------------------------


def record_counts(db_path: Path) -> dict[str, tuple[int, ...]]:
    """document id → number of rows of each record kind."""
    conn = sqlite3.connect(db_path)
    try:
        ids = [r[0] for r in conn.execute("select id from documents")]
        return {doc_id: tuple(conn.execute(f"select count(*) from [{spec.name}] where document_id = ?",
                                           [doc_id]).fetchone()[0] for spec in RECORD_TABLES.values())
                for doc_id in ids}
    finally:
        conn.close()


def assert_consistent(db_path: Path, complete: dict[str, tuple[int, ...]]) -> None:
    """What a kill leaves: an intact file, no orphan rows, every stored document with all its records."""
    if not db_path.exists():
        return
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        if "documents" not in tables:
            return
        for spec in RECORD_TABLES.values():
            if spec.name in tables:
                orphans = conn.execute(f"select count(*) from [{spec.name}] where document_id not in "
                                       "(select id from documents)").fetchone()[0]
                assert orphans == 0, f"{spec.name} has rows of a document that is not stored"
    finally:
        conn.close()
    for doc_id, counts in record_counts(db_path).items():
        assert counts == complete[doc_id], f"document {doc_id} is half-loaded"


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kill") / "documents"
    folder.mkdir()
    for name in NAMES:
        shutil.copy2(DOCUMENTS / name, folder / name)
    (folder / "broken.txt").write_bytes(b"")
    old = time.time() - 60  # past the racy window, so every build stores the same stat columns
    for path in folder.iterdir():
        os.utime(path, (old, old))
    from extract import warm_up

    warm_up()  # once, before forking: every build below starts warm
    return folder


def kill_points(trace: dict, rng: random.Random, anywhere: int, late: int) -> list[int]:
    """Statement numbers to kill at: ``anywhere`` over the whole build, ``late`` during resolution and checks."""
    total, resolve_from = trace["statements"], trace["resolve"]
    points = set(rng.sample(range(resolve_from, total + 1), late))
    while len(points) < late + anywhere:
        points.add(rng.randint(1, total))
    return sorted(points)


def test_a_fresh_build_killed_anywhere_and_run_again_equals_an_uninterrupted_one(corpus, tmp_path):
    reference, trace_file = tmp_path / "reference.db", tmp_path / "trace.json"
    started = time.monotonic()
    run_build(corpus, reference, trace_file=trace_file)
    duration = time.monotonic() - started
    trace = json.loads(trace_file.read_text(encoding="utf-8"))
    expected, complete = snapshot(reference), record_counts(reference)
    assert expected["flags"] and expected["persons"] and expected["failures"]

    rng = random.Random(SEED)
    points = [("statement", n) for n in kill_points(trace, rng, anywhere=8, late=3)]
    points += [("statement", trace["checks"])]  # after resolution, before the checks
    points += [("statement", trace["search_triggers"])]  # full-text table made, its triggers not yet
    points += [("delay", rng.uniform(0.2, duration)) for _ in range(2)]
    for kind, where in points:
        db_path = tmp_path / f"killed-{kind}-{where:.3f}.db"
        killed = run_build(corpus, db_path, kill_at=where if kind == "statement" else None,
                           kill_after=where if kind == "delay" else None)
        assert killed or kind == "delay", f"statement {where} was never reached"
        assert_consistent(db_path, complete)
        assert not run_build(corpus, db_path)
        assert snapshot(db_path) == expected, f"killed at {kind} {where}: the database differs after the re-run"


def test_an_incremental_build_killed_after_a_removal_still_resolves_again(corpus, tmp_path):
    base = tmp_path / "base.db"
    run_build(corpus, base)
    changed = tmp_path / "documents"
    shutil.copytree(corpus, changed, copy_function=shutil.copy2)
    (changed / REMOVED).unlink()
    # The stored paths name the corpus folder, so the changed copy must sit at the same path.
    original = corpus.parent / "original"
    corpus.rename(original)
    try:
        changed.rename(corpus)
        reference, trace_file = tmp_path / "reference.db", tmp_path / "trace.json"
        shutil.copy(base, reference)
        run_build(corpus, reference, trace_file=trace_file)
        trace = json.loads(trace_file.read_text(encoding="utf-8"))
        expected, complete = snapshot(reference), record_counts(reference)
        rng = random.Random(SEED + 1)
        for where in kill_points(trace, rng, anywhere=2, late=3):
            db_path = tmp_path / f"killed-{where}.db"
            shutil.copy(base, db_path)
            assert run_build(corpus, db_path, kill_at=where)
            assert_consistent(db_path, {**record_counts(base), **complete})
            assert not run_build(corpus, db_path)
            assert snapshot(db_path) == expected, f"killed at statement {where}: the database differs after the re-run"
    finally:
        shutil.rmtree(corpus)
        original.rename(corpus)


def test_an_indexed_file_that_starts_failing_takes_its_entities_with_it(tmp_path):
    """Not a crash, but the same gap: a document dropped because its file now fails must be resolved away."""
    from index.build import build

    corpus, alone = tmp_path / "documents", tmp_path / "alone"
    corpus.mkdir()
    alone.mkdir()
    names = ["210_parvomay-protokol-6-2024.txt", "211_parvomay-reshenie-104-sobstven-prinos.txt",
             "217_pazardzhik-reshenie-412.txt"]
    for name in names:
        shutil.copy2(DOCUMENTS / name, corpus / name)
    for name in names[:2]:
        shutil.copy2(DOCUMENTS / name, alone / name)
    build([corpus], tmp_path / "l.db")
    (corpus / names[2]).write_bytes(b"")
    report = build([corpus], tmp_path / "l.db")
    build([alone], tmp_path / "alone.db")
    assert report.failed == 1
    for table in ("persons", "organizations", "projects", "municipalities", "flags"):
        assert snapshot(tmp_path / "l.db")[table] == snapshot(tmp_path / "alone.db")[table], table
