"""Many counties' reports of one instant (``ruraleval reports build``, the bench), ADR 25.

The reports of one instant read the same cross-county figures (``analysis.Shared``: each
node across all counties, every county's nodes of a year), so one batch reads them once.
More than ``FEW`` counties are built in a pool of spawned processes, one per core (at most
the counties' number): each opens its own platform over the same store, as the CLI does, and
never projects (``projections="external"``); the caller has settled the read models up to the
instant first. Results come back in the order of the codes given, whichever process built
them, and each report's bytes depend only on its inputs: the files are the same as one
process builds.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.util import Finalize

from domain.errors import DomainError
from reports.analysis import Shared
from reports.issue import Rendered, rendered_at
from ruraleval.logs import configure_logging
from ruraleval.platform import Platform
from ruraleval.settings import Store

FEW = 4  # up to this many counties, one process: a pool's start (~1 s) would cost more


@dataclass(frozen=True)
class Built:
    """One county's report, or why it could not be built; ``seconds`` it took in its process."""

    code: str
    rendered: Rendered | None
    error: str
    seconds: float


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_for(count: int, store: Store) -> int:
    """Processes for ``count`` reports: one when few, or the store only this process can open."""
    if count <= FEW or store.kind == "memory":
        return 1
    return max(1, min(cores(), count))


def build_all(
    service: Platform, codes: Sequence[str], year: int, at: datetime, workers: int | None = None
) -> Iterator[Built]:
    """Each county's report of ``year`` as of ``at``, in the order of ``codes``."""
    count = workers if workers is not None else workers_for(len(codes), service.store)
    if count <= 1:
        shared = Shared()
        for code in codes:
            yield _build(service, shared, code, year, at)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(count, mp_context=context, initializer=_open, initargs=(service.store,)) as pool:
        yield from pool.map(_in_worker, codes, [year] * len(codes), [at] * len(codes))


def _build(service: Platform, shared: Shared, code: str, year: int, at: datetime) -> Built:
    began = time.perf_counter()
    try:
        rendered = rendered_at(service, code, year, at, shared)
    except DomainError as error:
        return Built(code, None, str(error), time.perf_counter() - began)
    return Built(code, rendered, "", time.perf_counter() - began)


# ------------------------------------------------------------------ in a worker process

_worker: tuple[Platform, Shared] | None = None


def _open(store: Store) -> None:
    global _worker
    configure_logging(os.environ.get("RURALEVAL_LOG_LEVEL", "WARNING"), worker="reports")
    platform = Platform(store, projections="external")
    Finalize(platform, platform.close, exitpriority=10)  # when the pool ends the process
    _worker = (platform, Shared())


def _in_worker(code: str, year: int, at: datetime) -> Built:
    assert _worker is not None
    service, shared = _worker
    return _build(service, shared, code, year, at)
