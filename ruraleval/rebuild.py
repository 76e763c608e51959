"""``ruraleval projections rebuild --partitions N``: counties replayed in N parallel processes (ADR 28).

The coordinator holds the projection lease (no projection process may apply events meanwhile),
empties every read model, notes the log's head, starts N processes that each replay their
counties up to it (``projections.partitions``), shows their progress, and once all succeeded
sets every position to that head and catches up whatever was written since, as one process.
A partition that fails leaves the read models empty at position 0: the next start (or
rebuild) replays them, never a half-built state presented as current.

On SQLite the partitions write scratch files of their own (one write lock would serialise
them) and the coordinator merges them into the read models together with the positions, in
one transaction: until it commits, the read models stay empty at position 0.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from queue import Empty
from typing import Any
from uuid import UUID

import structlog

from projections.catalog import all_projections
from projections.lease import Lease
from projections.partitions import apply_partition, merge, partitioned, remove_scratch_files, scratch_files
from projections.runner import ProjectionRunner, fewer_collections
from projections.store import SQLiteReadStore
from ruraleval.ledger import Ledger
from ruraleval.platform import Platform, open_read_store
from ruraleval.settings import ConfigurationError, Store

log = structlog.get_logger("ruraleval.rebuild")
MAX_SQLITE_PARTITIONS = 10  # the scratch files are merged attached to one connection: SQLite attaches 10 at most


def rebuild_in_partitions(store: Store, partitions: int, report: Callable[[int, int], None] | None = None) -> int:
    """Returns the number of events replayed."""
    if store.kind == "memory":
        raise ConfigurationError("--partitions needs a store several processes can open")
    if store.kind == "sqlite" and partitions > MAX_SQLITE_PARTITIONS:
        raise ConfigurationError(f"--partitions: at most {MAX_SQLITE_PARTITIONS} on SQLite (files it merges at once)")
    lease = Lease(store.kind, conninfo=store.conninfo() if store.kind == "postgresql" else "", path=store.path)
    if not lease.acquire():
        raise ConfigurationError("a projection process holds the lease: stop it before a partitioned rebuild")
    platform = Platform(store, projections="external")
    scratch = scratch_files(store.path, partitions) if store.kind == "sqlite" else []
    workers: list[Any] = []
    try:
        remove_scratch_files(scratch)  # a crashed rebuild's
        if not scratch:  # the partitions write into the read models themselves: empty them first
            platform.projections.clear()
        until = platform.ledger.head()
        streams, events = partitioned(platform.ledger, until, partitions)
        context = multiprocessing.get_context("spawn")
        progress: Any = context.Queue()
        scratch_of = scratch or [""] * partitions
        workers = [context.Process(target=_partition, name=f"rebuild-{index}",
                                   args=(store, index, streams[index], until, progress, scratch_of[index]))
                   for index in range(partitions)]  # fmt: skip
        for worker in workers:
            worker.start()
        if scratch:  # they never touch them: emptied while they start (~1 s of imports)
            platform.projections.clear()
        _follow(workers, progress, events, report)
        failed = [worker.name for worker in workers if worker.exitcode != 0]
        if failed:
            platform.projections.clear()
            raise RuntimeError(f"rebuild partitions failed: {', '.join(failed)}; the read models were emptied")
        reads = platform.projections.store
        if isinstance(reads, SQLiteReadStore):
            merge(reads, scratch, until)
        else:
            with reads.transaction() as sql:
                sql.execute("UPDATE projection_tracking SET position = %s", [until])
        later = platform.projections.catch_up()
        platform.projections.store.refresh_statistics()
        log.info("projections_rebuilt", events=events + later, partitions=partitions)
        return events + later
    finally:
        for worker in workers:  # an error or an interrupt here: no partition outlives the rebuild
            if worker.is_alive():
                worker.terminate()
                worker.join()
        platform.close()
        remove_scratch_files(scratch)
        lease.release()


def _follow(workers: list[Any], progress: Any, events: int, report: Callable[[int, int], None] | None) -> None:
    """Reports the events the partitions applied, of the ``events`` they replay, until all ended."""
    applied = dict.fromkeys(range(len(workers)), 0)
    while any(worker.is_alive() for worker in workers):
        try:
            index, count = progress.get(timeout=0.2)
        except Empty:
            continue
        applied[index] = count
        if report is not None:
            report(min(sum(applied.values()), events), events)
    for worker in workers:
        worker.join()
    if report is not None:
        if all(worker.exitcode == 0 for worker in workers):
            report(events, events)
        else:
            report(min(sum(applied.values()), events), events)


def _partition(store: Store, index: int, streams: list[UUID], until: int, progress: Any, scratch: str) -> None:
    """One partition's process: the log and the read store of its own, no projection thread.
    With a ``scratch`` file (SQLite) it writes there, into tables it creates, not into the store."""
    # The parent's store has its tables: partitions creating them at once clash on PostgreSQL's
    # catalog ("tuple concurrently updated").
    os.environ["CREATE_TABLE"] = "false"
    ledger = Ledger(store)
    reads = SQLiteReadStore(scratch, scratch=True) if scratch else open_read_store(store)
    try:
        runner = ProjectionRunner(ledger, reads, all_projections())
        if scratch:
            runner.setup()
        last = [0.0]

        def tell(applied: int) -> None:
            now = time.monotonic()
            if now - last[0] > 0.2:
                last[0] = now
                progress.put((index, applied))

        with fewer_collections(), reads.bulk():
            applied = apply_partition(runner, streams, until, tell)
        progress.put((index, applied))
    finally:
        reads.close()
        ledger.close()
