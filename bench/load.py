#!/usr/bin/env python3
"""Load test of the served database: many concurrent readers, and one expensive query cut off meanwhile.

    python bench/load.py                          # bench/data/build-10000.db if built, 50 clients, 60 s
    python bench/load.py --db letopis.db --clients 20 --seconds 30

1. Takes the database (``--db``; by default ``bench/data/build-10000.db`` when ``bench/build.py``
   has made it, else a build of ``corpus/documents``), copies it to a temporary directory (the
   original is never touched) and brings the copy to the current schema.
2. Starts ``letopis serve`` on a free loopback port.
3. Runs ``--clients`` concurrent clients for ``--seconds``, each sending, one after the other,
   a request drawn from a mix: every canned query of ``metadata.yml`` with parameters sampled
   from the database, full-text search on the documents table, table pages with facets, and
   document and entity pages.
4. Meanwhile, at ``--expensive-at`` seconds and then every 10 s, one more client sends an
   ad-hoc SQL query that would run for minutes (a triple cross join); Datasette must cut it off
   at ``sql_time_limit_ms`` with an error, while the other clients keep being served.
5. Prints requests, errors and p50/p99 latency per kind, the expensive queries' outcome, and the
   other clients' latency while an expensive query ran. Exits 1 if any ordinary request failed
   or an expensive query was not cut off.

The clients are httpx's asyncio client (installed with Datasette), in this process.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

EXPENSIVE_SQL = ("select count(*) from documents a, documents b, documents c "
                 "where a.text like '%' || b.title || '%' and c.id != a.id")
"""Billions of row combinations, each with a LIKE over a whole document: minutes without a time limit."""
SEARCH_WORDS = ["бюджет", "решение", "проект", "общински съвет", "читалище", "ремонт", "заседание", "кмет",
                "договор", "отпадъци", "училище", "улица", "финансиране", "програма", "протокол"]


@dataclass
class Sample:
    """One finished request: what kind, when it started (s since the load began), how long, whether it failed."""

    kind: str
    started: float
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)
    expensive: list[Sample] = field(default_factory=list)


# --- the database and the server -----------------------------------------------------------------


def default_database() -> Path | None:
    candidate = REPO / "bench" / "data" / "build-10000.db"
    return candidate if candidate.exists() else None


def letopis_command() -> list[str]:
    return [sys.executable, "-c", "from index.cli import main; main()"]


def prepare_database(source: Path | None, folder: Path) -> Path:
    """A copy of ``source`` (or a fresh build of corpus/documents) at ``folder/letopis.db``, on the current schema."""
    target = folder / "letopis.db"
    if source is None:
        print("building corpus/documents (no --db and no bench/data/build-10000.db) ...", flush=True)
        done = subprocess.run(letopis_command() + ["build", str(REPO / "corpus" / "documents"), "--db", str(target),
                                                   "--quiet"], cwd=REPO)
        if done.returncode not in (0, 3):
            raise SystemExit(f"letopis build failed with status {done.returncode}")
    else:
        shutil.copyfile(source, target)
    import sqlite_utils

    from index.schema import ensure_schema

    db = sqlite_utils.Database(target)
    ensure_schema(db)  # an older database gains the columns and indexes the served queries use
    db.close()
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_path: Path, port: int) -> subprocess.Popen:
    """``letopis serve`` in its own process group (it runs Datasette as a child)."""
    return subprocess.Popen(letopis_command() + ["serve", str(db_path), "--host", "127.0.0.1", "--port", str(port)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def stop_server(server: subprocess.Popen) -> None:
    try:
        server.send_signal(signal.SIGINT)  # serve() stops Datasette on Ctrl-C
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


async def wait_until_up(client, base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"letopis serve exited: {server.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if (await client.get(base + "/-/versions.json", timeout=2)).status_code == 200:
                return
        except Exception:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("letopis serve did not answer within 120 s")


# --- the request mix -----------------------------------------------------------------------------


def canned_parameters(sql: str) -> list[str]:
    """The ``:name`` parameters of a canned query (string literals such as 'urn:letopis:…' left out)."""
    return sorted(set(re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", re.sub(r"'[^']*'", "''", sql))))


def sample_values(db_path: Path, rng: random.Random) -> dict[str, list[str]]:
    """Parameter values users would type, taken from the database itself (plus "" for "any")."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)

    def column(sql: str) -> list[str]:
        try:
            return [str(r[0]) for r in conn.execute(sql) if r[0] not in (None, "")]
        except sqlite3.OperationalError:
            return []

    try:
        titles = " ".join(column("select title from documents order by random() limit 200"))
        words = [w for w in re.findall(r"[а-яА-Я]{6,}", titles)][:80]
        years = column("select distinct year from documents where year is not null")
        values = {
            "q": SEARCH_WORDS + words,
            "municipality": column("select municipality from documents where municipality is not null "
                                   "group by municipality order by count(*) desc limit 25") + [""],
            "name": column("select name from persons order by mentions desc limit 60"),
            "kind": column("select distinct kind from flags") + [""],
            "programme": column("select programme from projects where programme is not null group by programme "
                                "order by count(*) desc limit 10") + [""],
            "date_from": [f"{y}" for y in years] + [""],
            "date_to": [f"{y}-12" for y in years] + [""],
            "min_eur": ["", "10000", "100000", "1000000"],
            "document": column("select id from documents order by random() limit 200"),
            "person": column("select id from persons order by random() limit 200"),
            "project": column("select id from projects order by random() limit 100"),
        }
    finally:
        conn.close()
    rng.shuffle(values["q"])
    return {k: v or [""] for k, v in values.items()}


def request_kinds(values: dict[str, list[str]]) -> dict[str, tuple[float, callable]]:
    """Kind → (weight, function of an rng giving a path), from the canned queries in metadata.yml and pages."""
    import yaml

    from index.serve import metadata_path

    metadata = yaml.safe_load(metadata_path().read_text(encoding="utf-8"))
    queries = metadata["databases"]["letopis"].get("queries", {})

    def canned(name: str, parameters: list[str]):
        return lambda rng: f"/letopis/{name}.json?" + urllib.parse.urlencode(
            {p: rng.choice(values.get(p, [""])) for p in parameters})

    weights = {"search": 6.0, "protocol_search": 2.0, "decisions_by_municipality": 2.0, "project_budgets": 2.0,
               "person_documents": 2.0, "consistency_flags": 1.0}
    kinds = {name: (weights.get(name, 0.5), canned(name, canned_parameters(query["sql"])))
             for name, query in queries.items()}
    kinds["documents table search"] = (2.0, lambda rng: "/letopis/documents.json?_size=20&_search="
                                       + urllib.parse.quote(rng.choice(values["q"])))
    kinds["decisions facets"] = (1.0, lambda rng: "/letopis/decisions.json?_facet=outcome&_facet=municipality&"
                                 + urllib.parse.urlencode({"municipality": rng.choice(values["municipality"])}))
    kinds["document page"] = (2.0, lambda rng: f"/letopis/documents/{rng.choice(values['document'])}.json")
    kinds["person page"] = (1.0, lambda rng: f"/letopis/persons/{rng.choice(values['person'])}.json")
    kinds["search page (HTML)"] = (1.0, lambda rng: "/letopis/search?q=" + urllib.parse.quote(rng.choice(values["q"])))
    return kinds


def failure_of(response) -> str:
    """Why a response counts as an error ("" if it does not): an HTTP error, or Datasette's ``ok: false``."""
    if response.status_code >= 400:
        return f"HTTP {response.status_code}: {response.text[:160]}"
    if "json" in response.headers.get("content-type", ""):
        body = response.json()
        if isinstance(body, dict) and body.get("ok") is False:
            return f"error: {str(body.get('error'))[:160]}"
    return ""


# --- running ------------------------------------------------------------------------------------


async def client_loop(client, base: str, kinds, rng: random.Random, load: Load, started: float, until: float) -> None:
    names = list(kinds)
    weights = [kinds[n][0] for n in names]
    while time.monotonic() < until:
        kind = rng.choices(names, weights)[0]
        path = kinds[kind][1](rng)
        begun = time.monotonic()
        try:
            response = await client.get(base + path, timeout=60)
            detail = failure_of(response)
        except Exception as error:  # a refused or dropped connection is an error like any other
            detail = f"{type(error).__name__}: {error}"
        load.samples.append(Sample(kind, begun - started, time.monotonic() - begun, not detail,
                                   f"{path} -> {detail}" if detail else ""))


async def expensive_loop(client, base: str, load: Load, started: float, first: float, until: float) -> None:
    """The expensive ad-hoc query at ``first`` seconds, then every 10 s while the load runs."""
    at = first
    while started + at < until - 5:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        begun = time.monotonic()
        try:
            response = await client.get(base + "/letopis.json?" + urllib.parse.urlencode({"sql": EXPENSIVE_SQL}),
                                        timeout=120)
            detail = failure_of(response) or f"HTTP {response.status_code}, answered in full"
            cut_off = "too long" in detail or "interrupted" in detail.lower()
        except Exception as error:
            detail, cut_off = f"{type(error).__name__}: {error}", False
        load.expensive.append(Sample("expensive ad-hoc SQL", begun - started, time.monotonic() - begun, cut_off, detail))
        at += 10


async def run_load(base: str, server: subprocess.Popen, kinds, clients: int, seconds: float, expensive_at: float,
                   seed: int) -> tuple[Load, float]:
    import httpx

    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(limits=limits) as client:
        await wait_until_up(client, base, server)
        warm = random.Random(seed)
        for kind, (_, make) in kinds.items():  # one of each first: the server's caches and imports warm up
            await client.get(base + make(warm), timeout=60)
        load, started = Load(), time.monotonic()
        until = started + seconds
        tasks = [client_loop(client, base, kinds, random.Random(seed + i), load, started, until)
                 for i in range(clients)]
        tasks.append(expensive_loop(client, base, load, started, expensive_at, until))
        await asyncio.gather(*tasks)
        return load, time.monotonic() - started


# --- the report ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def table(rows: list[tuple], header: tuple) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    return "\n".join(lines)


def summary_rows(samples: list[Sample]) -> list[tuple]:
    by_kind: dict[str, list[Sample]] = {}
    for sample in samples:
        by_kind.setdefault(sample.kind, []).append(sample)
    rows = []
    for kind in sorted(by_kind, key=lambda k: -len(by_kind[k])):
        group = by_kind[kind]
        times = [s.seconds * 1000 for s in group]
        rows.append((kind, len(group), sum(not s.ok for s in group), f"{percentile(times, 50):.0f}",
                     f"{percentile(times, 99):.0f}", f"{max(times):.0f}"))
    times = [s.seconds * 1000 for s in samples]
    rows.append(("all", len(samples), sum(not s.ok for s in samples), f"{percentile(times, 50):.0f}",
                 f"{percentile(times, 99):.0f}", f"{max(times):.0f}" if times else "-"))
    return rows


def during(samples: list[Sample], windows: list[tuple[float, float]], inside: bool) -> list[Sample]:
    """Samples that started while an expensive query ran (or, with ``inside=False``, while none did)."""
    def overlaps(s: Sample) -> bool:
        return any(start <= s.started < end for start, end in windows)
    return [s for s in samples if overlaps(s) == inside]


def report(load: Load, elapsed: float, clients: int, documents: int) -> int:
    header = ("kind", "requests", "errors", "p50 ms", "p99 ms", "max ms")
    print(f"\n{clients} clients for {elapsed:.0f} s against {documents} documents: "
          f"{len(load.samples)} requests, {len(load.samples) / elapsed:.1f} requests/s")
    print(table(summary_rows(load.samples), header))
    errors = [s for s in load.samples if not s.ok]
    for sample in errors[:10]:
        print(f"  error: {sample.detail}")
    print("\nexpensive ad-hoc query (sql_time_limit_ms 3000 must cut it off):")
    for sample in load.expensive:
        print(f"  at {sample.started:5.1f} s: {'cut off' if sample.ok else 'NOT cut off'} after "
              f"{sample.seconds * 1000:.0f} ms ({sample.detail})")
    windows = [(s.started, s.started + s.seconds) for s in load.expensive]
    if windows:
        print("\nthe other clients while an expensive query ran, and while none did:")
        rows = []
        for label, inside in (("during expensive", True), ("otherwise", False)):
            group = during(load.samples, windows, inside)
            times = [s.seconds * 1000 for s in group]
            rows.append((label, len(group), sum(not s.ok for s in group), f"{percentile(times, 50):.0f}",
                         f"{percentile(times, 99):.0f}", f"{max(times):.0f}" if times else "-"))
        print(table(rows, header))
    cut_off = bool(load.expensive) and all(s.ok for s in load.expensive)
    return 0 if not errors and cut_off else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=None, help="database to serve (copied; default: see above)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--expensive-at", type=float, default=20.0, help="when the first expensive query is sent")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    source = args.db or default_database()
    with tempfile.TemporaryDirectory(prefix="letopis-load-") as tmp:
        db_path = prepare_database(source, Path(tmp))
        rng = random.Random(args.seed)
        values = sample_values(db_path, rng)
        kinds = request_kinds(values)
        documents = sqlite3.connect(db_path).execute("select count(*) from documents").fetchone()[0]
        port = free_port()
        print(f"serving {source or 'a build of corpus/documents'} (a copy) on 127.0.0.1:{port}; "
              f"{len(kinds)} kinds of request", flush=True)
        server = start_server(db_path, port)
        try:
            load, elapsed = asyncio.run(run_load(f"http://127.0.0.1:{port}", server, kinds, args.clients,
                                                 args.seconds, args.expensive_at, args.seed))
        finally:
            stop_server(server)
        return report(load, elapsed, args.clients, documents)


if __name__ == "__main__":
    sys.exit(main())
