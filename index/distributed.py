"""Run the extraction on a Dask distributed cluster; the database is still written here, by one writer.

Same contract as :func:`index.workers.run_local`: jobs in, outcomes out in job order, at
most ``window`` jobs in flight. The workers read the files by path, so the corpus must be on
storage every worker sees at the same path (NFS, a mounted bucket, a copied directory).

Limits on a cluster: a document still unfinished ``time_limit`` seconds after it reached
the head of the queue is recorded as failed and its task cancelled; memory is capped by the
workers' own ``--memory-limit`` (the nanny restarts a worker that passes it, and the document
that was running is recorded as failed).
"""
from __future__ import annotations

import time
from collections import deque
from typing import Iterable, Iterator

from .workers import DEFAULT_TIME_LIMIT, ExtractFile, Job, Outcome, Prepare, run_extraction


def _dask_outcome(job: Job, future, time_limit: float, head_since: float) -> Outcome:
    from distributed import TimeoutError as DaskTimeout  # noqa: A004 - Dask's own name

    remaining = max(0.0, time_limit - (time.monotonic() - head_since))
    try:
        result, reason, error_type, seconds = future.result(timeout=remaining)
    except (DaskTimeout, TimeoutError):
        future.cancel()
        return Outcome(job, reason=f"The document took longer than the {time_limit:g} s limit per document; "
                       "it was stopped.", error_type="TimeLimit", seconds=time_limit)
    except Exception as error:  # KilledWorker, a lost worker, a pickling failure
        return Outcome(job, reason=f"The cluster could not extract this file ({type(error).__name__}: {error}).",
                       error_type=type(error).__name__)
    return Outcome(job, result, reason, error_type, seconds)


def run_dask(
    jobs: Iterable[Job],
    extract_file: ExtractFile,
    *,
    scheduler: str,
    time_limit: float = DEFAULT_TIME_LIMIT,
    window: int | None = None,
    prepare: Prepare | None = None,
) -> Iterator[Outcome]:
    """Extract ``jobs`` on the Dask cluster at ``scheduler`` (``tcp://host:port``), in job order.

    ``prepare`` runs on the cluster's workers after the extractor (see ``run_extraction``)."""
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        threads = sum(client.nthreads().values()) or 1
        window = window or 4 * threads
        in_flight: deque[tuple[Job, object]] = deque()
        source = iter(jobs)
        head_since = time.monotonic()
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < window:
                try:
                    job = next(source)
                except StopIteration:
                    exhausted = True
                    break
                future = client.submit(run_extraction, extract_file, str(job.file.resolve()), prepare, job.sha256,
                                       pure=False)
                in_flight.append((job, future))
            if not in_flight:
                return
            job, future = in_flight.popleft()
            outcome = _dask_outcome(job, future, time_limit, head_since)
            head_since = time.monotonic()
            future.release()
            yield outcome
