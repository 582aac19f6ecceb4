#!/usr/bin/env python3
"""Benchmark ``letopis build`` and the served database on a synthetic corpus; prints every figure.

    python bench/build.py                      # 1,000 and 10,000 documents, 100,000 served
    python bench/build.py --small 200 --large 1000 --served 10000   # a quick run

In one run, on the same files:

1. raw pypdfium2 text extraction of the PDFs of the large corpus, in one process and in one
   process per core: docs/s, pages/s;
2. ``letopis build`` of the same PDFs with every core: docs/s, pages/s, and the ratio to (1);
3. ``letopis build`` of the small corpus with 1 .. N workers (scaling);
4. full builds of the small and the large corpus: docs/s, pages/s and peak RSS (the writer
   process and the largest worker), then a no-change re-run of the large one, as a fraction
   of its full build;
5. Datasette latency p50/p99 (JSON API over loopback) of a full-text search and of every
   canned query with typical parameters, on a database of ``--served`` documents made by
   cloning the large build's documents and records under new ids.

The corpus is generated once into ``--data`` (default ``bench/data``, git-ignored) and kept.
Each build runs as a separate ``letopis build`` process, timed from start to exit.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from synthetic import generate  # noqa: E402


@dataclass
class Run:
    seconds: float
    writer_rss_mb: float
    max_rss_mb: float
    summary: str
    timing: str = ""
    """The build's own account of its phases (``took … s: … extracting and storing, …``)."""


def cores() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def letopis() -> str:
    found = shutil.which("letopis", path=str(Path(sys.executable).parent)) or shutil.which("letopis")
    if not found:
        raise SystemExit("letopis is not installed in this environment (pip install -e .)")
    return found


def timed_build(corpus: Path, db: Path, workers: int, *, fresh: bool = True) -> Run:
    """Run ``letopis build`` in a child process; wall time and peak RSS of the writer and of any process.

    The largest resident size of any process of the build (writer or worker) comes from
    the kernel's accounting of reaped descendants, read in a fresh wrapper process so that
    earlier runs do not count; the writer's own peak is sampled.
    """
    if fresh:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    wrapper = ("import resource, subprocess, sys, tempfile, time, psutil\n"
               "err = tempfile.TemporaryFile(mode='w+')\n"  # a file, not a pipe: many failures must not block it
               "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=err, text=True)\n"
               "peak, proc = 0, psutil.Process(p.pid)\n"
               "while p.poll() is None:\n"
               "    try: peak = max(peak, proc.memory_info().rss)\n"
               "    except psutil.Error: pass\n"
               "    time.sleep(0.05)\n"
               "out = p.stdout.read().strip().splitlines()\n"
               "children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
               "err.seek(0)\n"
               "took = next((line.strip() for line in err if line.startswith('took ')), '')\n"
               "print(peak, children, out[0] if out else '', took, sep='\\t')\n")
    command = [sys.executable, "-c", wrapper, letopis(), "build", str(corpus), "--db", str(db), "--quiet",
               "--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    writer, largest, summary, timing = done.stdout.strip("\n").split("\t")
    return Run(seconds, int(writer) / 2**20, int(largest) / 2**20, summary, timing)


def raw_pdfium(pdfs: list[Path]) -> tuple[float, int]:
    """Seconds to extract the text layer of every page with pypdfium2 alone, and the page count."""
    import pypdfium2 as pdfium

    pages = 0
    started = time.perf_counter()
    for path in pdfs:
        pdf = pdfium.PdfDocument(path)
        for page in pdf:
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
            pages += 1
        pdf.close()
    return time.perf_counter() - started, pages


def _raw_pdfium_chunk(paths: list[Path]) -> int:
    return raw_pdfium(paths)[1]


def raw_pdfium_parallel(pdfs: list[Path], processes: int) -> float:
    """Seconds for the same text extraction spread over ``processes`` processes (pool start included)."""
    from multiprocessing import get_context

    chunks = [pdfs[i::processes] for i in range(processes)]
    started = time.perf_counter()
    with get_context("fork").Pool(processes) as pool:
        pool.map(_raw_pdfium_chunk, chunks)
    return time.perf_counter() - started


def page_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select coalesce(sum(json_array_length(pages)), 0) from documents").fetchone()[0]
    finally:
        conn.close()


def linked_copy(files: list[Path], folder: Path) -> Path:
    """``folder`` holding hard links to ``files`` (a sub-corpus without copying bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        target = folder / path.name
        if not target.exists():
            os.link(path, target)
    return folder


# --- the served database -------------------------------------------------------------------


def clone_database(source: Path, target: Path, documents: int) -> int:
    """Copy ``source`` and add clones of its documents (and their records) until ``documents``.

    Clone *k* of a document has id ``<id>:k`` and path ``<path>#k``; its records follow
    the same rule, and the full-text indexes are filled by the tables' triggers. Entity tables
    are kept as they are: clones point at the same persons and projects.
    """
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target)
    try:
        have = conn.execute("select count(*) from documents").fetchone()[0]
        copies = -(-documents // have)
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' and sql not like "
                                             "'%VIRTUAL%' and name not like '%_fts%' and name not like 'sqlite_%'")]
        cloned = []
        for table in tables:
            columns = [r[1] for r in conn.execute(f'pragma table_info("{table}")')]
            if table != "documents" and "document_id" not in columns:
                continue
            cloned.append((table, columns))
        conn.execute("pragma synchronous = off")
        for k in range(1, copies):
            limit = min(have, documents - k * have)
            if limit <= 0:
                break
            conn.execute("create temp table if not exists chosen (id text primary key)")
            conn.execute("delete from temp.chosen")
            conn.execute("insert into temp.chosen select id from documents where id not like '%:%' order by id "
                         "limit ?", [limit])
            for table, columns in cloned:
                def expr(column: str) -> str:
                    if column == "id" or column == "document_id" or column.endswith("_document_id"):
                        return f"case when \"{column}\" is null then null else \"{column}\" || ':{k}' end"
                    if column == "path" and table == "documents":
                        return f"path || '#{k}'"
                    return f'"{column}"'
                key = "id" if table == "documents" else "document_id"
                conn.execute(f'insert into "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
                             f'select {", ".join(expr(c) for c in columns)} from "{table}" '
                             f'where "{key}" in (select id from temp.chosen)')
            conn.commit()
        conn.execute("analyze")
        conn.commit()
        return conn.execute("select count(*) from documents").fetchone()[0]
    finally:
        conn.close()


def schema_of(db: Path) -> set[tuple[str, str]]:
    """The tables, indexes and triggers of a database with their SQL (a cached clone is reused only while it matches)."""
    conn = sqlite3.connect(db)
    try:
        return set(conn.execute("select name, coalesce(sql, '') from sqlite_master where name not like 'sqlite_%'"))
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def typical_requests(db: Path) -> dict[str, str]:
    """Label → JSON API path: a full-text search and each canned query with typical parameters."""
    conn = sqlite3.connect(db)
    try:
        municipality = conn.execute("select municipality from documents where municipality is not null "
                                    "group by 1 order by count(*) desc limit 1").fetchone()[0]
        person = conn.execute("select name from people where name is not null group by 1 "
                              "order by count(*) desc limit 1").fetchone()[0]
        programme = conn.execute("select programme from project_mentions where programme is not null "
                                 "limit 1").fetchone()
    finally:
        conn.close()
    queries = {
        # The documents table's search box: a plain search is sent on to the search query (a
        # redirect, followed and timed); narrowed by a column filter it stays Datasette's own.
        "table search box (→ search)": "/letopis/documents.json?_size=20&_search=" + urllib.parse.quote("бюджета"),
        "table search + filter": "/letopis/documents.json?" + urllib.parse.urlencode(
            {"_size": 20, "_search": "бюджета", "municipality": municipality}),
        "search ?q=": "/letopis/search.json?q=" + urllib.parse.quote("решение отпадъци"),
        "protocol_search": "/letopis/protocol_search.json?" + urllib.parse.urlencode({"q": "дълг", "municipality": ""}),
        "decisions_search (region, years)": "/letopis/decisions_search.json?" + urllib.parse.urlencode(
            {"q": "отпадъци", "municipality": "област Пловдив", "date_from": "2023-01-01", "date_to": "2023-12-31"}),
        "spending_by_procedure": "/letopis/spending_by_procedure.json?" + urllib.parse.urlencode(
            {"programme": (programme[0] if programme else "")[:20]}),
        "latest_decisions": "/letopis/latest_decisions.json?municipality=",
        "search_feed": "/letopis/search_feed.json?" + urllib.parse.urlencode({"q": "бюджет"}),
        "meetings": "/letopis/meetings.json?municipality=",
        "decisions_by_municipality": "/letopis/decisions_by_municipality.json?" + urllib.parse.urlencode(
            {"municipality": municipality, "date_from": "2020-01-01", "date_to": ""}),
        "decisions_by_municipality (all)": "/letopis/decisions_by_municipality.json?municipality=&date_from=&date_to=",
        "project_budgets": "/letopis/project_budgets.json?" + urllib.parse.urlencode(
            {"municipality": "", "programme": (programme[0] if programme else "")[:20], "min_eur": "100000"}),
        "person_documents": "/letopis/person_documents.json?" + urllib.parse.urlencode({"name": person}),
        "consistency_flags": "/letopis/consistency_flags.json?kind=&municipality=",
        "failures": "/letopis/failures.json",
    }
    return queries


def latency(db: Path, repeats: int) -> dict[str, tuple[float, float, int]]:
    """Label → (p50 ms, p99 ms, rows) for each typical request, against a served copy of ``db``."""
    from index.serve import serve_command

    port = free_port()
    link_dir = db.parent / "served"
    link_dir.mkdir(exist_ok=True)
    link = link_dir / "letopis.db"
    link.unlink(missing_ok=True)
    os.symlink(db.resolve(), link)
    server = subprocess.Popen(serve_command(link, port=port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        results = {}
        for label, path in typical_requests(db).items():
            times, rows = [], 0
            for i in range(repeats + 3):
                started = time.perf_counter()
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    body = json.loads(response.read())
                elapsed = (time.perf_counter() - started) * 1000
                if i >= 3:  # the first requests warm the page cache
                    times.append(elapsed)
                rows = len(body.get("rows", []))
            times.sort()
            results[label] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], rows)
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- report --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--served", type=int, default=100000)
    parser.add_argument("--workers", type=int, default=cores())
    parser.add_argument("--repeats", type=int, default=100, help="requests per query for the latency figures")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--pdf-only", action="store_true", help="only the PDF throughput section")
    parser.add_argument("--latency-only", action="store_true",
                        help="only the Datasette latency section (on the databases of an earlier full run)")
    args = parser.parse_args(argv)
    data = args.data
    data.mkdir(parents=True, exist_ok=True)
    print(f"# letopis build benchmark — {cores()} cores, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d')}", flush=True)
    if args.latency_only:
        return latency_section(data, args)

    started = time.perf_counter()
    files = generate(data / f"corpus-{args.large}", args.large, jobs=cores())
    print(f"corpus: {args.large} documents generated or found in {time.perf_counter() - started:.0f} s", flush=True)
    small = linked_copy(files[:args.small], data / f"corpus-{args.small}")
    # Throughput is a steady-state figure: the PDFs of the large corpus, so that the build's
    # fixed start-up (imports, model loading, about 3 s) does not dominate a run of a few seconds.
    pdf_files = [p for p in files[:args.large] if p.suffix == ".pdf"]
    pdfs = linked_copy(pdf_files, data / f"pdfs-{args.large}")

    print("\n## PDF throughput (text layer)")
    for path in pdf_files:  # the page cache warm for every contender, not only for the ones that run later
        path.read_bytes()
    raw_seconds, raw_pages = raw_pdfium(pdf_files)
    raw_parallel = raw_pdfium_parallel(pdf_files, args.workers)
    run = timed_build(pdfs, data / "pdfs.db", args.workers)
    print(f"raw pypdfium2 (1 process):     {len(pdf_files) / raw_seconds:8.1f} docs/s {raw_pages / raw_seconds:8.1f} pages/s")
    print(f"raw pypdfium2 ({args.workers} processes):   {len(pdf_files) / raw_parallel:8.1f} docs/s "
          f"{raw_pages / raw_parallel:8.1f} pages/s")
    print(f"letopis build ({args.workers} workers):    {len(pdf_files) / run.seconds:8.1f} docs/s "
          f"{raw_pages / run.seconds:8.1f} pages/s   ({len(pdf_files)} PDFs, {raw_pages} pages, whole process)")
    print(f"ratio build / raw (1 process):       {raw_seconds / run.seconds:8.2f}")
    print(f"ratio build / raw ({args.workers} processes):     {raw_parallel / run.seconds:8.2f}")
    print(f"the build {run.timing}", flush=True)
    if args.pdf_only:
        return 0

    print("\n## Scaling (small corpus, full build)")
    for workers in sorted({1, *range(2, args.workers + 1)}):
        run = timed_build(small, data / "scaling.db", workers)
        pages = page_count(data / "scaling.db")
        print(f"{workers} worker(s): {run.seconds:7.1f} s {args.small / run.seconds:7.1f} docs/s "
              f"{pages / run.seconds:7.1f} pages/s", flush=True)

    print("\n## Full builds, re-run and memory")
    results = {}
    for size, corpus in ((args.small, small), (args.large, data / f"corpus-{args.large}")):
        db = data / f"build-{size}.db"
        run = timed_build(corpus, db, args.workers)
        pages = page_count(db)
        results[size] = run
        print(f"{size:6d} documents: {run.seconds:7.1f} s {size / run.seconds:7.1f} docs/s {pages / run.seconds:7.1f} "
              f"pages/s; peak RSS writer {run.writer_rss_mb:.0f} MB, largest process {run.max_rss_mb:.0f} MB "
              f"[{run.summary}]")
        print(f"{'':20}the build {run.timing}", flush=True)
    rerun = timed_build(data / f"corpus-{args.large}", data / f"build-{args.large}.db", args.workers, fresh=False)
    full = results[args.large]
    print(f"no-change re-run of {args.large}: {rerun.seconds:.2f} s = {100 * rerun.seconds / full.seconds:.2f} % "
          f"of the full build [{rerun.summary}]")
    a, b = results[args.small], results[args.large]
    print(f"peak RSS {args.large} vs {args.small}: writer {100 * (b.writer_rss_mb / a.writer_rss_mb - 1):+.1f} %, "
          f"largest process {100 * (b.max_rss_mb / a.max_rss_mb - 1):+.1f} %", flush=True)
    return latency_section(data, args)


def latency_section(data: Path, args: argparse.Namespace) -> int:
    """Print p50/p99 of each typical request on the served database (cloned from the large build if stale)."""
    print(f"\n## Datasette latency, {args.served} documents (JSON API over loopback, {args.repeats} requests each)")
    served = data / f"served-{args.served}.db"
    if not served.exists() or schema_of(served) != schema_of(data / f"build-{args.large}.db"):
        started = time.perf_counter()
        count = clone_database(data / f"build-{args.large}.db", served, args.served)
        print(f"cloned {count} documents in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"{'request':34} {'p50 ms':>8} {'p99 ms':>8} {'rows':>6}")
    for label, (p50, p99, rows) in latency(served, args.repeats).items():
        print(f"{label:34} {p50:8.1f} {p99:8.1f} {rows:6d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
