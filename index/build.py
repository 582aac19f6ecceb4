"""Build or refresh the database from a corpus: walk, plan, extract in parallel, save through one writer.

``build`` is incremental and idempotent:

- a file whose size and modification time are those stored is not read at all; one whose
  stat changed is hashed, and if its sha256 and the extractor version are those stored it is
  not extracted again (its ``indexed_at`` stays);
- a changed file is re-extracted and replaces its rows, a new file is added, a renamed or
  moved file (same content, old path gone) keeps its records under the new path;
- a new extractor version re-extracts everything;
- a file that fails lands in ``failures`` with a reason, and a document whose file is gone
  from a walked directory is deleted (the database mirrors the corpus: archived versions are
  separate files, so a file that is gone was removed on purpose).

Extraction runs in worker processes (or on a Dask cluster) with a time and a memory limit
per document, and so does building each document's rows; only this process writes, one
savepoint per document, in corpus order, committing about once a second, so an interrupted
build leaves a consistent database that the next build completes (losing at most the last
second of work) and the number of workers never changes the result.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

import sqlite_utils

from .lemmas import lemma
from .load import document_id, load_prepared, prepare_document, read_manifest, record_failure, \
    remove_document
from .schema import DOCUMENTS, FAILURES, FTS_TOKENIZE, RECORD_TABLES, TABLES, ensure_schema
from .workers import (DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT, Job, Outcome, run_inline,
                      run_local)

ExtractFile = Callable[[Path], dict]
SKIPPED_NAMES = frozenset({"manifest.csv"})


@dataclass(frozen=True)
class Failure:
    """A file that could not be indexed, with a reason a person understands."""

    path: str
    reason: str
    error_type: str


@dataclass
class BuildReport:
    """What one build did: counts of files by outcome, and the failures."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    flags: int | None = None
    resolved: dict | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time by phase: ``extraction`` (planning, extracting and storing, start-up included),
    ``resolution`` (entities and consistency checks, when they ran) and ``total``."""

    @property
    def changed(self) -> bool:
        """Whether the build changed any document (failures alone do not count)."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line for people, e.g. ``3 added, 0 updated, 12 unchanged, 1 removed, 1 failed``."""
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.failed} failed"
        )

    def timing(self) -> str:
        """Where the time went, e.g. ``took 46.2 s: 41.3 s extracting and storing, 4.9 s resolving``."""
        parts = [f"{self.seconds.get('extraction', 0.0):.1f} s extracting and storing"]
        if "resolution" in self.seconds:
            parts.append(f"{self.seconds['resolution']:.1f} s resolving and checking")
        return f"took {self.seconds.get('total', 0.0):.1f} s: " + ", ".join(parts)


# --- walking -------------------------------------------------------------------------------


def is_hidden(relative: PurePosixPath) -> bool:
    """Whether any part of a path (relative to its walked root) starts with a dot."""
    return any(part.startswith(".") for part in relative.parts)


def iter_files(root: Path) -> Iterator[Path]:
    """Corpus files under ``root`` (a file or a directory), streamed in a stable order.

    Each directory's files come sorted by name, then its subdirectories, sorted; hidden files
    and directories and manifests are skipped. Nothing but the directory being read is held
    in memory, so walking a million files costs no more memory than walking ten.
    """
    if root.is_file():
        if root.name not in SKIPPED_NAMES:
            yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name not in SKIPPED_NAMES:
                yield Path(dirpath) / name


def count_files(roots: Iterable[Path]) -> int:
    """How many files :func:`iter_files` will yield (for the progress bar's total)."""
    return sum(1 for root in roots for _ in iter_files(root))


def stored_path(root: Path, file: Path) -> str:
    """The path stored for ``file``: the walked root as given (normalised) plus the file's relative path.

    ``build(["corpus/documents"])`` stores ``corpus/documents/a.pdf``; ``./corpus/documents/``
    stores the same. Paths use forward slashes on every platform.
    """
    base = PurePosixPath(Path(os.path.normpath(root)).as_posix())
    if root.is_file():
        return str(base)
    return str(base / file.relative_to(root).as_posix())


def is_under(path: str, root: Path) -> bool:
    """Whether stored ``path`` lies inside walked directory ``root`` (as given)."""
    base = PurePosixPath(Path(os.path.normpath(root)).as_posix())
    candidate = PurePosixPath(path)
    if str(base) == ".":
        return not candidate.is_absolute()
    return candidate != base and candidate.is_relative_to(base)


def printable_path(path: str) -> str:
    """``path`` as text SQLite can store: bytes of a file name that are not UTF-8 become ``\\xNN``."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def refusal(root: Path, file: Path, path: str) -> tuple[str, str] | None:
    """Why a walked path must not be read, as ``(reason, error_type)``, or None.

    A file name that is not UTF-8 (say windows-1251 from an unpacked archive) cannot be stored
    as it is, so the file is recorded under its escaped name instead of being read. A symbolic
    link leading outside the walked directory is not followed (a corpus of fetched files must
    not pull in ``/etc`` or another user's files, and the reason does not name the target,
    since ``failures`` is served). A named pipe, socket or device is not opened: reading one
    blocks or never ends, and it would stall the planner, which runs no time limit.
    """
    if printable_path(path) != path:
        return "The file name is not valid UTF-8 text; rename the file (e.g. with convmv) to index it.", "BadFileName"
    try:
        mode = file.lstat().st_mode
        if stat.S_ISLNK(mode):
            if root.is_dir() and not file.resolve().is_relative_to(root.resolve()):
                return ("The file is a symbolic link that leads outside the corpus directory; it was not followed.",
                        "OutsideCorpus")
            mode = file.stat().st_mode
    except (OSError, RuntimeError):  # a dangling link or a loop: file_stat reports it
        return None
    if not stat.S_ISREG(mode):
        return "The path is not a regular file (a named pipe, socket or device); it was not read.", "NotAFile"
    return None


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


# --- manifest and extractor ----------------------------------------------------------------


def default_manifests(roots: Iterable[Path]) -> list[Path]:
    """``manifest.csv`` files next to, or one level above, each walked root that exist."""
    found: list[Path] = []
    for root in roots:
        directory = root if root.is_dir() else root.parent
        for candidate in (directory / "manifest.csv", directory.parent / "manifest.csv"):
            if candidate.is_file() and candidate not in found:
                found.append(candidate)
                break
    return found


def source_urls(manifests: Iterable[Path]) -> dict[str, str]:
    """File name → source URL from the manifests (the first manifest naming a file wins)."""
    urls: dict[str, str] = {}
    for manifest in manifests:
        for name, row in read_manifest(manifest).items():
            if row.get("source_url"):
                urls.setdefault(name, row["source_url"])
    return urls


def letopis_extract_file(path: Path) -> dict:
    """``extract.extract_file``, imported on first use: a build with nothing to extract never
    loads the extractors (spaCy, the readers, the models)."""
    from extract import extract_file

    return extract_file(path)


def _letopis_warm_up() -> None:
    from extract import warm_up

    warm_up()


letopis_extract_file.warm_up = _letopis_warm_up


def default_extractor() -> tuple[ExtractFile, str | None]:
    """letopis's extractor and the version it declares (``extract.version``, which loads no extractor)."""
    from extract.version import EXTRACTOR_VERSION

    return letopis_extract_file, EXTRACTOR_VERSION


def resolve(db: sqlite_utils.Database) -> dict:
    """:func:`index.resolve.resolve`, imported on first use (it loads the extractors' lexicons)."""
    from .resolve import resolve as resolve_entities

    return resolve_entities(db)


def run_checks(db: sqlite_utils.Database) -> int:
    """:func:`index.checks.run_checks`, imported on first use."""
    from .checks import run_checks as find_and_store_flags

    return find_and_store_flags(db)




# --- build ---------------------------------------------------------------------------------

RACY_SECONDS = 2.0
"""A file modified this recently may change again within the clock's resolution: its stat is
not trusted to skip hashing next time (git's "racily clean" rule)."""


@dataclass
class _Stored:
    id: str
    sha256: str
    extractor_version: str | None
    source_url: str | None
    file_size: int | None
    file_mtime_ns: int | None


@dataclass(frozen=True)
class _Plan:
    """What the writer needs to know about a job besides the extraction result."""

    source_url: str | None
    stat: dict
    is_new: bool


def _stored(db: sqlite_utils.Database, path: str) -> _Stored | None:
    row = db.execute("select id, sha256, extractor_version, source_url, file_size, file_mtime_ns "
                     "from documents where path = ?", [path]).fetchone()
    return _Stored(*row) if row else None


def file_stat(file: Path) -> dict:
    """The stat columns stored with a document; the mtime is left out while it is racy."""
    st = file.stat()
    racy = time.time_ns() - st.st_mtime_ns < RACY_SECONDS * 1e9
    return {"file_size": st.st_size, "file_mtime_ns": None if racy else st.st_mtime_ns}


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _fail(db, report: BuildReport, path: str, sha256: str | None, reason: str, error_type: str) -> None:
    """Record a failure; a stale document stored under the same path is removed (no half-truths)."""
    with db.atomic():
        if remove_document(db, path):
            invalidate_derived(db)
        record_failure(db, path, sha256, reason, error_type)
    report.failed += 1
    report.failures.append(Failure(path, reason, error_type))


class _Planner:
    """Decides, file by file, what a build must do; yields a :class:`Job` for each file to extract.

    Unchanged, renamed and duplicate files are settled here, by the writer's connection, so
    workers only ever see files that need reading. Paths met in this run are kept in a
    temporary table (on disk, not in memory), which also finds the files removed since.
    """

    def __init__(self, db: sqlite_utils.Database, report: BuildReport, urls: dict[str, str],
                 extractor_version: str | None, tick: Callable[[int], None]):
        self.db, self.report, self.urls, self.version, self.tick = db, report, urls, extractor_version, tick
        db.execute("create temp table if not exists seen (path text primary key, sha256 text)")
        db.execute("create index if not exists temp.seen_sha256 on seen (sha256)")
        db.execute("delete from temp.seen")

    def _current(self, stored: _Stored) -> bool:
        return self.version is None or stored.extractor_version == self.version

    def jobs(self, roots: list[Path]) -> Iterator[Job]:
        for root in roots:
            for file in iter_files(root):
                path = stored_path(root, file)
                refused = refusal(root, file, path)
                path = printable_path(path)
                if self.db.execute("select 1 from temp.seen where path = ?", [path]).fetchone():
                    continue  # the same file under two walked roots
                if refused is not None:
                    self._seen(path, None)
                    _fail(self.db, self.report, path, None, *refused)
                    job = None
                else:
                    job = self._plan(path, file)
                if job is None:
                    self.tick(1)
                else:
                    yield job

    def _plan(self, path: str, file: Path) -> Job | None:
        db, report = self.db, self.report
        source_url = self.urls.get(file.name)
        stored = _stored(db, path)
        try:
            stat = file_stat(file)
            if (stored is not None and self._current(stored) and stored.file_mtime_ns is not None
                    and (stored.file_size, stored.file_mtime_ns) == (stat["file_size"], stat["file_mtime_ns"])):
                self._seen(path, stored.sha256)
                self._keep(stored, source_url, {})
                return None
            sha256 = sha256_file(file)
        except OSError as error:
            self._seen(path, None)
            _fail(db, report, path, None, f"The file could not be read: {error.strerror or error}.",
                  type(error).__name__)
            return None
        if stored is not None and stored.sha256 == sha256 and self._current(stored):
            self._seen(path, sha256)
            self._keep(stored, source_url, stat)
            return None
        others = [other for (other,) in db.execute("select path from documents where id = ? and path != ?",
                                                   [document_id(sha256), path])]
        duplicate = self._indexed_copy(others, sha256, path, file)
        self._seen(path, sha256)
        if duplicate is not None:
            _fail(db, report, path, sha256,
                  f"The file has exactly the same content as {duplicate}, which is indexed; this copy was skipped.",
                  "DuplicateContent")
            return None
        moved = self._moved_from(others)
        if moved is not None:
            with db.atomic():
                remove_document(db, path)
                db[DOCUMENTS.name].update(moved.id, {"path": path, "source_url": source_url, **stat})
                db[FAILURES.name].delete_where("path = ?", [path])
            report.updated += 1
            return None
        return Job(path, file, sha256, context=_Plan(source_url, stat, stored is None))

    def _seen(self, path: str, sha256: str | None) -> None:
        self.db.execute("insert or replace into temp.seen (path, sha256) values (?, ?)", [path, sha256])

    def _keep(self, stored: _Stored, source_url: str | None, stat: dict) -> None:
        """An unchanged document: refresh what is not extracted (source URL, stat) if it differs."""
        changes = {k: v for k, v in stat.items() if getattr(stored, k) != v}
        if stored.source_url != source_url:
            changes["source_url"] = source_url
        if changes:
            with self.db.atomic():
                self.db[DOCUMENTS.name].update(stored.id, changes)
        if "source_url" in changes:
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def _indexed_copy(self, others: list[str], sha256: str, path: str, file: Path) -> str | None:
        """Another path, present on disk, whose identical content is stored (``others``) or queued in this run."""
        row = self.db.execute("select path from temp.seen where sha256 = ? and path != ? limit 1",
                              [sha256, path]).fetchone()
        if row is not None:
            return row[0]
        for other in others:
            if Path(other).is_file() and not _same_file(Path(other), file):
                return other
        return None

    def _moved_from(self, others: list[str]) -> _Stored | None:
        """The stored document with this content whose file is gone (a rename), if its records are current."""
        if not others or Path(others[0]).exists():
            return None
        stored = _stored(self.db, others[0])
        return stored if stored is not None and self._current(stored) else None


def _store(db: sqlite_utils.Database, report: BuildReport, outcome: Outcome) -> None:
    """Write one outcome: the document and its records (all or nothing), or a failure."""
    job, plan = outcome.job, outcome.job.context
    if not outcome.ok:
        _fail(db, report, job.path, job.sha256, outcome.reason or "The extraction failed.",
              outcome.error_type or "Error")
        return
    try:
        load_prepared(db, outcome.result, job.path, plan.source_url, extra=plan.stat)
    except (KeyError, TypeError, ValueError, AttributeError, sqlite3.IntegrityError) as error:
        _fail(db, report, job.path, job.sha256,
              f"The extractor's output could not be stored ({type(error).__name__}: {error}).",
              type(error).__name__)
        return
    invalidate_derived(db)
    if plan.is_new:
        report.added += 1
    else:
        report.updated += 1


def extract_jobs(jobs: Iterable[Job], extract_file: ExtractFile, *, workers: int, scheduler: str | None,
                 time_limit: float, memory_limit_mb: int) -> Iterator[Outcome]:
    """Outcomes of ``jobs``, in order: on a Dask cluster, in ``workers`` processes, or here (0).

    Each outcome's result is the document's rows (:func:`index.load.prepare_document`), built
    where it was extracted. Before forking workers, the extractor's ``warm_up`` (an attribute
    of ``extract_file``, or ``extract.warm_up`` for letopis's own extractor) loads its models
    once, and the lemma dictionary is loaded, for the workers to share.
    """
    if scheduler:
        from .distributed import run_dask

        return run_dask(jobs, extract_file, scheduler=scheduler, time_limit=time_limit, prepare=prepare_document)
    if workers <= 0:
        return run_inline(jobs, extract_file, prepare_document)
    extractor_warm_up = getattr(extract_file, "warm_up", None)
    if extractor_warm_up is None and getattr(extract_file, "__module__", "").startswith("extract"):
        from extract import warm_up as extractor_warm_up

    def warm_up() -> None:
        if extractor_warm_up is not None:
            extractor_warm_up()
        lemma("община")  # loads simplemma's Bulgarian dictionary

    return run_local(jobs, extract_file, workers=workers, time_limit=time_limit, memory_limit_mb=memory_limit_mb,
                     warm_up=warm_up, prepare=prepare_document)


def build(
    paths: list[Path],
    db_path: Path,
    *,
    extract_file: ExtractFile | None = None,
    manifest: Path | None = None,
    progress: bool = False,
    extractor_version: str | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> BuildReport:
    """Index the files under ``paths`` into the SQLite database at ``db_path`` (created if missing).

    ``extract_file`` defaults to ``extract.extract_file``. ``extractor_version`` is the
    version the extractor will report; it defaults to ``extract_file.extractor_version`` or,
    for the default extractor, ``extract.EXTRACTOR_VERSION`` / ``extract.__version__``. When
    no version is known, an unchanged path and sha256 are enough to skip a file.
    ``manifest`` (default: ``manifest.csv`` next to or one level above a walked root)
    supplies ``source_url`` by file name.

    ``workers`` worker processes extract (0, the default for the library, extracts in this
    process without limits; the command line uses every core); ``scheduler``
    (``tcp://host:port``) sends the extraction to a Dask cluster instead. ``time_limit``
    (seconds) and ``memory_limit_mb`` apply to each document. ``progress`` shows a progress
    bar on stderr. Raises ``FileNotFoundError`` (before writing anything) if a path does not
    exist.
    """
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"No such file or directory: {root}")
    if extract_file is None:
        extract_file, declared = default_extractor()
        extractor_version = extractor_version or declared
    else:
        extractor_version = extractor_version or getattr(extract_file, "extractor_version", None)
    urls = source_urls([manifest] if manifest else default_manifests(roots))

    report = BuildReport()
    started = time.perf_counter()
    db = sqlite_utils.Database(db_path)
    # With the default rollback journal each commit waits for two fsyncs. In WAL mode with
    # synchronous=NORMAL a commit survives the build being killed; only a power cut can lose
    # the last few, and the next build redoes those files because they are not in the database.
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    bar = BuildProgress(count_files(roots) if progress else 0, enabled=progress, report=report)
    try:
        ensure_schema(db)
        repair_search_triggers(db)
        db.execute("PRAGMA foreign_keys = ON")
        planner = _Planner(db, report, urls, extractor_version, bar.skip)
        outcomes = extract_jobs(planner.jobs(roots), extract_file, workers=workers, scheduler=scheduler,
                                time_limit=time_limit, memory_limit_mb=memory_limit_mb)
        commits = PeriodicCommit(db.conn, COMMIT_SECONDS)
        for outcome in outcomes:
            commits.begin()
            _store(db, report, outcome)
            bar.done(outcome)
            commits.tick()
        commits.commit()
        report.removed = _remove_missing(db, roots)
        bar.close()
        report.seconds["extraction"] = time.perf_counter() - started
        if report.changed or derived_tables_stale(db):
            resolving = time.perf_counter()
            with db.atomic():  # entities and flags commit together: a kill between them would keep stale flags
                resolved = resolve(db)
                report.flags = run_checks(db)
            report.resolved = resolved
            report.seconds["resolution"] = time.perf_counter() - resolving
    finally:
        bar.close()
        db.close()
    report.seconds["total"] = time.perf_counter() - started
    return report


COMMIT_SECONDS = 1.0
"""How often the writer commits. Each commit writes every full-text index's new segment and the
WAL frames of each touched page: once per document it cost more than the inserts themselves.
A build killed between commits loses at most this much work, which the next build redoes."""


class PeriodicCommit:
    """Keeps a transaction open over many documents and commits it every ``seconds``.

    Each document is stored all or nothing (see :func:`index.load.load_prepared`), so one that
    fails leaves no trace but its failure, and a reader never sees half a document.
    """

    def __init__(self, conn: sqlite3.Connection, seconds: float):
        self.conn, self.seconds = conn, seconds
        self.opened = time.monotonic()

    def begin(self) -> None:
        """Open the transaction if none is open."""
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
            self.opened = time.monotonic()

    def tick(self) -> None:
        """Commit when the transaction has been open for ``seconds``."""
        if time.monotonic() - self.opened >= self.seconds:
            self.commit()

    def commit(self) -> None:
        """Commit whatever is open."""
        if self.conn.in_transaction:
            self.conn.commit()


class BuildProgress:
    """A tqdm bar over the corpus: documents, pages per second, failures and the time left."""

    def __init__(self, total: int, *, enabled: bool, report: BuildReport):
        self.report, self.pages, self.started = report, 0, time.monotonic()
        self.bar = None
        if enabled:
            import tqdm

            tqdm.tqdm.monitor_interval = 0  # no monitor thread: workers are forked from this process
            self.bar = tqdm.tqdm(total=total, unit="doc", dynamic_ncols=True, smoothing=0.05)

    def skip(self, n: int) -> None:
        """Files settled without extraction (unchanged, renamed, duplicate, unreadable)."""
        if self.bar is not None:
            self.bar.update(n)
            self._postfix()

    def done(self, outcome: Outcome) -> None:
        """One extracted (or failed) file."""
        self.pages += outcome.pages
        if self.bar is not None:
            self.bar.update(1)
            self._postfix()

    def _postfix(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        self.bar.set_postfix_str(f"{self.pages / elapsed:.1f} pages/s, {self.report.failed} failed", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def repair_search_triggers(db: sqlite_utils.Database) -> None:
    """Make again a full-text index whose triggers are missing, so search cannot silently stop following its table.

    sqlite-utils creates the index and its triggers in two commits; a first build killed between them
    left an index that ``ensure_schema`` finds and keeps, and that no later write reaches.
    """
    for spec in TABLES.values():
        table = db[spec.name]
        if spec.fts and table.detect_fts():
            triggers = {trigger.name for trigger in table.triggers}
            if not {f"{spec.name}_{suffix}" for suffix in ("ai", "ad", "au")} <= triggers:
                table.enable_fts(list(spec.fts), create_triggers=True, tokenize=FTS_TOKENIZE, replace=True)


DERIVED_MARKER = "municipalities"
"""Resolution always fills this table (all 265 municipalities); emptying it marks the derived tables stale."""


def invalidate_derived(db: sqlite_utils.Database) -> None:
    """Note, inside the transaction that changes or removes a document, that entities and flags must be
    derived again: the note is committed with the change, so it survives a build killed before resolution."""
    db.execute(f"delete from [{DERIVED_MARKER}]")


def derived_tables_stale(db: sqlite_utils.Database) -> bool:
    """Whether entities and flags lag behind the documents (a build was interrupted before resolution):
    a document changed since the last resolution (see :func:`invalidate_derived`) or a mention lacks its link."""
    if db.execute(f"select 1 from [{DERIVED_MARKER}] limit 1").fetchone() is None and any(
            db.execute(f"select 1 from [{table}] limit 1").fetchone()
            for table in ("documents", "persons", "organizations", "projects", "flags")):
        return True
    for kind, column, key in (("people", "person_id", "name"), ("organizations", "organization_id", "name"),
                              ("projects", "project_id", "code")):
        if db.execute(f"select 1 from {RECORD_TABLES[kind].name} where {column} is null and {key} is not null "
                      "limit 1").fetchone():
            return True
    return False


def _remove_missing(db: sqlite_utils.Database, roots: list[Path]) -> int:
    """Delete documents and failures under a walked directory whose path this run did not meet."""
    directories = [r for r in roots if r.is_dir()]
    removed = 0
    for table in (DOCUMENTS.name, FAILURES.name):
        gone = [path for (path,) in db.execute(
                    f"select path from {table} where path not in (select path from temp.seen) order by path")
                if any(is_under(path, d) for d in directories)]
        for path in gone:
            if table == DOCUMENTS.name:
                with db.atomic():
                    if remove_document(db, path):
                        invalidate_derived(db)
                        removed += 1
            else:
                with db.atomic():
                    db[FAILURES.name].delete_where("path = ?", [path])
    return removed
