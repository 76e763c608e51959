"""One partition of a parallel rebuild (ADR 28): the events of some counties, every read model.

Every read model is kept per county stream (the rankings and lists are queries over per-county
rows), so the counties can be replayed in disjoint partitions, in parallel processes, each
writing only its own counties' rows. A partition reads the log up to ``until``, decodes only
the events whose stream falls in it (when the source can tell a stream before decoding, as
the ledger can), and applies them batch by batch to every projection in the catalogue's
order, one transaction per batch of ``REBUILD_BATCH`` events read. It does not touch the tracking rows: the
coordinator empties the read models first and sets every position to ``until`` once all
partitions succeeded (``ruraleval.rebuild``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from projections.runner import REBUILD_BATCH, ProjectionRunner


def partition_of(event: Any, partitions: int) -> int:
    """A stream's partition: stable across processes (no salted ``hash``)."""
    return stream_partition(event.originator_id, partitions)


def stream_partition(stream: UUID, partitions: int) -> int:
    return int(stream.int % partitions)


def apply_partition(
    runner: ProjectionRunner,
    index: int,
    partitions: int,
    until: int,
    report: Callable[[int], None] | None = None,
    batch_size: int = REBUILD_BATCH,
) -> int:
    """Applies this partition's events up to ``until``; returns how many it applied."""
    after = applied = 0
    while after < until:
        mine, last = _read(runner, after, batch_size, until, index, partitions)
        if last <= after:
            break
        if mine:
            try:
                with runner.store.transaction() as sql:
                    for projection in runner.projections:
                        projection.process(sql, mine, runner.source)
            except BaseException:
                for projection in runner.projections:
                    projection.discarded()
                raise
            for projection in runner.projections:
                projection.committed()
            applied += len(mine)
        after = last
        if report is not None:
            report(after)
    return applied


def _read(
    runner: ProjectionRunner, after: int, limit: int, until: int, index: int, partitions: int
) -> tuple[list[Any], int]:
    """This partition's events among the next ``limit`` positions up to ``until``, and the last position read."""
    log: Any = runner.source.source
    if hasattr(log, "read_streams"):  # the ledger: the other partitions' events are never decoded
        mine, last = log.read_streams(after, limit, until, lambda s: stream_partition(s, partitions) == index)
        return list(mine), int(last)
    batch = [item for item in runner.source.read(after, limit) if item[0] <= until]
    return [item for item in batch if partition_of(item[1], partitions) == index], batch[-1][0] if batch else after
