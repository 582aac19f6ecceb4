"""Build or refresh the database from a corpus: walk, hash, extract what changed, save.

``build`` is incremental and idempotent: a file whose path, sha256 and extractor version
are already stored is not read again (its ``indexed_at`` stays), a changed file is
re-extracted and replaces its rows, a new file is added, a file that fails lands in
``failures`` with a reason, and a document whose file is gone from a walked directory is
deleted. Every document is written in its own transaction, so an interrupted build leaves
a consistent database that the next build completes.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

import sqlite_utils

from .load import document_id, load_document, read_manifest, record_failure, remove_document
from .checks import run_checks
from .resolve import resolve
from .schema import DOCUMENTS, FAILURES, RECORD_TABLES, ensure_schema

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


# --- walking -------------------------------------------------------------------------------


def is_hidden(relative: PurePosixPath) -> bool:
    """Whether any part of a path (relative to its walked root) starts with a dot."""
    return any(part.startswith(".") for part in relative.parts)


def iter_files(root: Path) -> Iterator[Path]:
    """Corpus files under ``root`` (a file or a directory), sorted; hidden files and manifests skipped."""
    if root.is_file():
        if root.name not in SKIPPED_NAMES:
            yield root
        return
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name not in SKIPPED_NAMES:
                found.append(Path(dirpath) / name)
    yield from sorted(found, key=lambda p: p.relative_to(root).as_posix())


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


def default_extractor() -> tuple[ExtractFile, str | None]:
    """``extract.extract_file`` and the extractor version it declares (imported lazily)."""
    import extract
    from extract import extract_file

    version = getattr(extract, "EXTRACTOR_VERSION", None) or getattr(extract, "__version__", None)
    return extract_file, version


def failure_reason(error: BaseException) -> str:
    """A sentence for people from an exception: its message, or what kind of error it was."""
    message = str(error).strip()
    return message or f"The extractor failed with {type(error).__name__} and gave no message."


# --- build ---------------------------------------------------------------------------------


@dataclass
class _Stored:
    id: str
    sha256: str
    extractor_version: str | None
    source_url: str | None


def _stored_documents(db: sqlite_utils.Database) -> dict[str, _Stored]:
    return {
        row["path"]: _Stored(row["id"], row["sha256"], row["extractor_version"], row["source_url"])
        for row in db.query("select path, id, sha256, extractor_version, source_url from documents")
    }


def _duplicate_of(db: sqlite_utils.Database, doc_id: str, path: str, file: Path) -> str | None:
    """The path of another file, still present, whose identical content is already stored."""
    for row in db[DOCUMENTS.name].rows_where("id = ? and path != ?", [doc_id, path]):
        other = Path(row["path"])
        if other.is_file() and not _same_file(other, file):
            return row["path"]
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _fail(db, report: BuildReport, path: str, sha256: str | None, reason: str, error_type: str) -> None:
    """Record a failure; a stale document stored under the same path is removed (no half-truths)."""
    with db.atomic():
        remove_document(db, path)
        record_failure(db, path, sha256, reason, error_type)
    report.failed += 1
    report.failures.append(Failure(path, reason, error_type))


def build(
    paths: list[Path],
    db_path: Path,
    *,
    extract_file: ExtractFile | None = None,
    manifest: Path | None = None,
    progress: bool = False,
    extractor_version: str | None = None,
) -> BuildReport:
    """Index the files under ``paths`` into the SQLite database at ``db_path`` (created if missing).

    ``extract_file`` defaults to ``extract.extract_file``. ``extractor_version`` is the
    version the extractor will report; it defaults to ``extract_file.extractor_version`` or,
    for the default extractor, ``extract.EXTRACTOR_VERSION`` / ``extract.__version__``. When
    no version is known, an unchanged path and sha256 are enough to skip a file.
    ``manifest`` (default: ``manifest.csv`` next to or one level above a walked root)
    supplies ``source_url`` by file name. Raises ``FileNotFoundError`` (before writing
    anything) if a path does not exist.
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

    files: dict[str, Path] = {}
    for root in roots:
        for file in iter_files(root):
            files.setdefault(stored_path(root, file), file)

    report = BuildReport()
    db = sqlite_utils.Database(db_path)
    try:
        ensure_schema(db)
        db.execute("PRAGMA foreign_keys = ON")
        report.removed = _remove_missing(db, roots, files)
        stored = _stored_documents(db)
        for i, (path, file) in enumerate(files.items(), start=1):
            outcome = _index_file(db, report, path, file, stored.get(path), urls.get(file.name),
                                  extract_file, extractor_version)
            if progress:
                print(f"[{i}/{len(files)}] {outcome:9} {path}", file=sys.stderr)
        if report.changed or derived_tables_stale(db):
            resolved = resolve(db)
            report.flags = run_checks(db)
            if progress:
                print(f"resolved {resolved['persons']} persons, {resolved['organizations']} organisations, "
                      f"{resolved['projects']} projects; {report.flags} consistency flags", file=sys.stderr)
    finally:
        db.close()
    return report


def derived_tables_stale(db: sqlite_utils.Database) -> bool:
    """Whether a mention lacks its entity link (a build was interrupted before resolution)."""
    for kind, column, key in (("people", "person_id", "name"), ("organizations", "organization_id", "name"),
                              ("projects", "project_id", "code")):
        if db.execute(f"select 1 from {RECORD_TABLES[kind].name} where {column} is null and {key} is not null "
                      "limit 1").fetchone():
            return True
    return False


def _remove_missing(db: sqlite_utils.Database, roots: list[Path], files: dict[str, Path]) -> int:
    """Delete documents and failures whose file, under a walked directory, is gone."""
    directories = [r for r in roots if r.is_dir()]
    removed = 0
    for (path,) in db.execute("select path from documents order by path").fetchall():
        if path not in files and any(is_under(path, d) for d in directories):
            removed += remove_document(db, path)
    for (path,) in db.execute("select path from failures order by path").fetchall():
        if path not in files and any(is_under(path, d) for d in directories):
            with db.atomic():
                db[FAILURES.name].delete_where("path = ?", [path])
    return removed


def _index_file(db, report: BuildReport, path: str, file: Path, stored: _Stored | None,
                source_url: str | None, extract_file: ExtractFile, extractor_version: str | None) -> str:
    """Bring one file's rows up to date; returns the outcome word for progress output."""
    try:
        sha256 = sha256_file(file)
    except OSError as error:
        _fail(db, report, path, None, f"The file could not be read: {error.strerror or error}.", type(error).__name__)
        return "failed"
    if (
        stored is not None
        and stored.sha256 == sha256
        and (extractor_version is None or stored.extractor_version == extractor_version)
    ):
        if stored.source_url == source_url:
            report.unchanged += 1
            return "unchanged"
        with db.atomic():
            db[DOCUMENTS.name].update(stored.id, {"source_url": source_url})
        report.updated += 1
        return "updated"
    duplicate = _duplicate_of(db, document_id(sha256), path, file)
    if duplicate is not None:
        _fail(db, report, path, sha256,
              f"The file has exactly the same content as {duplicate}, which is indexed; this copy was skipped.",
              "DuplicateContent")
        return "duplicate"
    try:
        extracted = extract_file(file)
    except Exception as error:  # ReadError and anything else the extractor raises
        _fail(db, report, path, sha256, failure_reason(error), type(error).__name__)
        return "failed"
    try:
        load_document(db, {"sha256": sha256, **extracted}, path, source_url)
    except (KeyError, TypeError, ValueError, AttributeError, sqlite3.IntegrityError) as error:
        _fail(db, report, path, sha256,
              f"The extractor's output could not be stored ({type(error).__name__}: {error}).",
              type(error).__name__)
        return "failed"
    if stored is None:
        report.added += 1
        return "added"
    report.updated += 1
    return "updated"
