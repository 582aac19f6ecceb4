"""Run an extractor over many files in worker processes, with a time and a memory limit per file.

The contract: :func:`run_local` (and :func:`index.distributed.run_dask`) take an iterable of
:class:`Job` and yield one :class:`Outcome` per job, **in the order of the jobs**, so the single
writer that consumes them loads documents in the same order whatever the number of workers,
and a build with 1 worker, N workers or a Dask cluster makes the same database.

Memory stays bounded: jobs are pulled from the iterable only when a worker is free and fewer
than ``window`` outcomes are waiting for the writer, so neither the list of files nor the
extracted results ever pile up.

A pathological file cannot stall a build: a worker that runs past ``time_limit`` seconds or
grows past ``memory_limit_mb`` on one file is killed and replaced, and the file gets a failed
outcome with a reason; a worker that dies (a crash in a C library) is treated the same way.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Callable, Iterable, Iterator

ExtractFile = Callable[[Path], dict]
Prepare = Callable[[dict, str], object]
"""Turns an extractor's dict and the file's sha256 into what the writer stores (``index.load.prepare_document``)."""

DEFAULT_TIME_LIMIT = 300.0
"""Seconds one file may take; a 300-page scanned protocol with tables stays well inside it."""
DEFAULT_MEMORY_LIMIT_MB = 2048
"""Memory one file may add to a worker; the largest real PDFs need a few hundred MB."""
_POLL_SECONDS = 0.05
JOBS_PER_WORKER = 2
"""Jobs handed to a worker at once: the one it runs and the next, waiting in its pipe, so that it
starts the next file while the writer is still storing the last one instead of idling until the
writer comes back for it."""
WORKER_FULL_COLLECTION_EVERY = 20
"""A worker collects the young generations after every document and everything after this many."""


@dataclass(frozen=True)
class Job:
    """One file to extract: ``path`` as stored in the database, ``file`` on disk, its sha256."""

    path: str
    file: Path
    sha256: str
    context: object = None
    """Whatever the caller needs back with the outcome (not sent to workers)."""


@dataclass
class Outcome:
    """What became of a job: ``result`` (the extractor's dict) or ``reason`` and ``error_type``."""

    job: Job
    result: dict | None = None
    reason: str | None = None
    error_type: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def pages(self) -> int:
        """Pages of the extracted document (1 for formats without pages)."""
        if not self.result:
            return 0
        if not isinstance(self.result, dict):  # prepared for the writer
            return self.result.page_count
        return max(1, len(self.result.get("pages") or ()))


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def failure_reason(error: BaseException) -> str:
    """A sentence for people from an exception: its message, or what kind of error it was."""
    if isinstance(error, MemoryError):
        return "The document needed more memory than the per-document limit allows."
    message = str(error).strip()
    return message or f"The extractor failed with {type(error).__name__} and gave no message."


def run_extraction(extract_file: ExtractFile, file: Path, prepare: Prepare | None = None,
                   sha256: str | None = None) -> tuple[object | None, str | None, str | None, float]:
    """Call the extractor on one file (then ``prepare`` on its output), turning any exception into
    ``(None, reason, error_type)``.

    Runs wherever the extraction runs (in-process, a worker process, a Dask worker), so a
    ``ReadError`` or a bug in one rule is data about that file, never an error of the build.
    """
    started = time.perf_counter()
    try:
        result = extract_file(Path(file))
    except Exception as error:  # one bad file must never stop the others (MemoryError included)
        return None, failure_reason(error), type(error).__name__, time.perf_counter() - started
    if prepare is not None:
        try:
            result = prepare(result, sha256)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            return (None, f"The extractor's output could not be stored ({type(error).__name__}: {error}).",
                    type(error).__name__, time.perf_counter() - started)
    return result, None, None, time.perf_counter() - started


def run_inline(jobs: Iterable[Job], extract_file: ExtractFile, prepare: Prepare | None = None) -> Iterator[Outcome]:
    """Extract in this process, one job after the other (no limits: for tests and debugging)."""
    for job in jobs:
        result, reason, error_type, seconds = run_extraction(extract_file, job.file, prepare, job.sha256)
        yield Outcome(job, result, reason, error_type, seconds)


# --- local worker processes ----------------------------------------------------------------


def _limit_memory(memory_limit_mb: int) -> None:
    """Cap this process's address space at what it uses now plus the per-document limit."""
    import resource

    try:
        import psutil

        baseline = psutil.Process().memory_info().vms
    except Exception:
        return
    limit = baseline + memory_limit_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass  # a lower hard limit set by the system stays in force


def _worker_main(conn: Connection, extract_file: ExtractFile, memory_limit_mb: int, prepare: Prepare | None) -> None:
    # OpenMP inside Tesseract or BLAS must not start threads per worker: the pool is the parallelism.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    _limit_memory(memory_limit_mb)
    # Extraction makes and drops millions of small containers: at the default threshold (700)
    # the cyclic collector ran every few hundred of them, 7-15 % of a worker's time. It runs
    # between documents instead (a raised threshold alone let cyclic garbage reach 1 GB).
    gc.disable()
    done = 0
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        seq, file, sha256 = message
        result, reason, error_type, seconds = run_extraction(extract_file, Path(file), prepare, sha256)
        try:
            conn.send((seq, result, reason, error_type, seconds))
        except MemoryError:
            conn.send((seq, None, failure_reason(MemoryError()), "MemoryError", seconds))
        del result
        done += 1
        gc.collect(2 if done % WORKER_FULL_COLLECTION_EVERY == 0 else 1)


class _Worker:
    """One worker process and the jobs handed to it (``seqs``: the running one first)."""

    def __init__(self, context, extract_file: ExtractFile, memory_limit_mb: int, prepare: Prepare | None):
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child, extract_file, memory_limit_mb, prepare),
                                       daemon=True, name="letopis-extract")
        self.process.start()
        child.close()
        self.seqs: deque[int] = deque()
        self.started = 0.0
        """When the running job (``seqs[0]``) started, as far as the writer knows."""

    def give(self, seq: int, job: Job) -> None:
        if not self.seqs:
            self.started = time.monotonic()
        self.seqs.append(seq)
        self.conn.send((seq, str(job.file), job.sha256))

    def finished(self) -> int:
        """Mark the running job done (the worker has moved on to the next one); its seq."""
        self.started = time.monotonic()
        return self.seqs.popleft()

    def rss_mb(self) -> float:
        try:
            import psutil

            return psutil.Process(self.process.pid).memory_info().rss / (1024 * 1024)
        except Exception:
            return 0.0

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def run_local(
    jobs: Iterable[Job],
    extract_file: ExtractFile,
    *,
    workers: int,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    window: int | None = None,
    warm_up: Callable[[], None] | None = None,
    prepare: Prepare | None = None,
) -> Iterator[Outcome]:
    """Extract ``jobs`` in ``workers`` forked processes; outcomes come back in job order.

    ``window`` (default ``4 × workers``) bounds the jobs taken but not yet handed to the
    caller; each worker holds at most ``JOBS_PER_WORKER`` of them. The extractor is inherited
    by the forked workers, so it needs no pickling, and whatever ``warm_up`` loads before the
    fork (the spaCy pipeline, gazetteers, models) is shared copy-on-write. Workers are started,
    and ``warm_up`` called, only once there is a first job: a build with nothing to extract
    starts nothing. ``prepare`` (see
    :func:`run_extraction`) runs in the workers too, after the extractor.
    """
    source = iter(jobs)
    try:
        first = next(source)
    except StopIteration:
        return
    if warm_up is not None:
        warm_up()
    gc.collect()
    gc.freeze()  # the collector leaves objects loaded so far alone, so forked workers keep sharing their pages
    context = multiprocessing.get_context("fork")
    window = window or 4 * workers
    pool = [_Worker(context, extract_file, memory_limit_mb, prepare) for _ in range(max(1, workers))]
    pending: deque[Job] = deque([first])   # taken, in order, outcome not yet yielded
    first_seq = 0                          # the seq of pending[0]
    done: dict[int, Outcome] = {}
    queued: deque[int] = deque([0])        # taken but not yet given to a worker
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < window:
                try:
                    job = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(job)
                queued.append(first_seq + len(pending) - 1)
            for worker in pool:
                while queued and len(worker.seqs) < JOBS_PER_WORKER:
                    seq = queued.popleft()
                    worker.give(seq, pending[seq - first_seq])
            while pending and first_seq in done:
                yield done.pop(first_seq)
                pending.popleft()
                first_seq += 1
            if exhausted and not pending:
                return
            busy = [w for w in pool if w.seqs]
            if not busy:
                continue
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=_POLL_SECONDS)
            for index, worker in enumerate(pool):
                if not worker.seqs:
                    continue
                job = pending[worker.seqs[0] - first_seq]
                if worker.conn in ready:
                    try:
                        seq, result, reason, error_type, seconds = worker.conn.recv()
                    except (EOFError, OSError):
                        ready.append(worker.process.sentinel)
                    else:
                        if seq != worker.finished():
                            raise RuntimeError(f"worker answered job {seq} out of order")
                        done[seq] = Outcome(job, result, reason, error_type, seconds)
                        continue
                elapsed = time.monotonic() - worker.started
                if worker.process.sentinel in ready or not worker.process.is_alive():
                    code = worker.process.exitcode
                    outcome = Outcome(job, reason=f"The extractor crashed on this file (worker exit code {code}).",
                                      error_type="WorkerCrashed", seconds=elapsed)
                elif elapsed > time_limit:
                    outcome = Outcome(job, reason=f"The document took longer than the {time_limit:g} s limit "
                                      "per document; it was stopped.", error_type="TimeLimit", seconds=elapsed)
                elif worker.rss_mb() > worker_memory_ceiling(memory_limit_mb):
                    outcome = Outcome(job, reason=f"The document needed more than the {memory_limit_mb} MB "
                                      "memory limit per document; it was stopped.", error_type="MemoryLimit",
                                      seconds=elapsed)
                else:
                    continue
                done[worker.seqs.popleft()] = outcome
                queued.extendleft(reversed(worker.seqs))  # its next jobs go to whichever worker is free
                worker.kill()
                pool[index] = _Worker(context, extract_file, memory_limit_mb, prepare)
    finally:
        for worker in pool:
            if not worker.seqs:
                worker.stop()
            else:
                worker.kill()
        gc.unfreeze()


_BASELINE_RSS_MB: float | None = None


def worker_memory_ceiling(memory_limit_mb: int) -> float:
    """The resident size past which a worker is stopped: this process's size plus the limit."""
    global _BASELINE_RSS_MB
    if _BASELINE_RSS_MB is None:
        try:
            import psutil

            _BASELINE_RSS_MB = psutil.Process().memory_info().rss / (1024 * 1024)
        except Exception:
            _BASELINE_RSS_MB = 0.0
    return _BASELINE_RSS_MB + memory_limit_mb
