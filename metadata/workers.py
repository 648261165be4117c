"""Worker processes that prepare batches of documents while the parent process writes them."""
from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from typing import Iterator, Optional

from metadata.pipeline import Document, Pipeline, Prepared


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_worker_pipeline: Optional[Pipeline] = None


def _start_worker(pipeline: Pipeline) -> None:
    global _worker_pipeline
    _worker_pipeline = pipeline


def _prepare_in_worker(documents: list[Document]) -> list[Prepared]:
    return _worker_pipeline.prepare_all(documents)


def prepared_in_parallel(pipeline: Pipeline, chunks: Iterator[list[Document]],
                         workers: int) -> Iterator[list[Prepared]]:
    """Each chunk's outcomes, in order, prepared by a pool of processes; at most two chunks per worker are
    read ahead, so memory stays flat here too."""
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(workers, _start_worker, (pipeline,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_prepare_in_worker, (chunk,)))
            if len(pending) > 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
