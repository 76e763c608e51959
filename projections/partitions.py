"""One partition of a parallel rebuild (ADR 28): the events of some counties, every read model.

Every read model is kept per county stream (the rankings and lists are queries over per-county
rows), so the counties can be replayed in disjoint partitions, in parallel processes, each
writing only its own counties' rows. A partition reads the whole log up to ``until`` and
applies, batch by batch, the events whose stream falls in it, to every projection in the
catalogue's order, one transaction per batch. It does not touch the tracking rows: the
coordinator empties the read models first and sets every position to ``until`` once all
partitions succeeded (``ruraleval.rebuild``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.runner import ProjectionRunner


def partition_of(event: Any, partitions: int) -> int:
    """A stream's partition: stable across processes (no salted ``hash``)."""
    return int(event.originator_id.int % partitions)


def apply_partition(
    runner: ProjectionRunner,
    index: int,
    partitions: int,
    until: int,
    report: Callable[[int], None] | None = None,
) -> int:
    """Applies this partition's events up to ``until``; returns how many it applied."""
    after = applied = 0
    while after < until:
        batch = [item for item in runner.source.read(after, runner.batch_size) if item[0] <= until]
        if not batch:
            break
        mine = [item for item in batch if partition_of(item[1], partitions) == index]
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
        after = batch[-1][0]
        if report is not None:
            report(after)
    return applied
