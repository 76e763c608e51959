"""One partition of a parallel rebuild (ADR 28): the events of some counties, every read model.

Every read model is kept per county stream (the rankings and lists are queries over per-county
rows), so the counties can be replayed in disjoint partitions, in parallel processes, each
writing only its own counties' rows. The coordinator asks the log once which streams have
events up to ``until`` and gives each partition its own (``partitioned``). A partition replays
them one after the other, each in version order (the order of their positions), in batches of
about ``REBUILD_BATCH`` events applied to every projection in the catalogue's order, one
transaction each. A county's history then lies in one batch (unless longer than one): the rows
it closes are closed in memory rather than by UPDATEs of earlier batches' rows, its current
rows are written once, what is kept of it is dropped once it is done, and no partition reads
or skips the other partitions' events. It does not touch the tracking rows: the
coordinator empties the read models first and sets every position to ``until`` once all
partitions succeeded (``ruraleval.rebuild``).

On SQLite the partitions do not write into the store's file: its one write lock would take
turns between them (each holds it for the whole of a batch, its CPU included). Each writes
its own scratch file with the same tables instead (``scratch_files``), and the coordinator
copies them all into the emptied read models with the positions, in one transaction (``merge``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, cast
from uuid import UUID

from projections.runner import REBUILD_BATCH, ProjectionRunner
from projections.store import Sql, SQLiteReadStore

TRACKING = "projection_tracking"


class StreamLog(Protocol):
    """The log as a partition reads it: stream by stream (the ledger)."""

    def streams_until(self, until: int) -> list[tuple[UUID, int]]: ...

    def stream_events(self, stream: UUID, until: int, after_version: int, limit: int) -> list[tuple[int, Any]]: ...


def stream_partition(stream: UUID, partitions: int) -> int:
    """A stream's partition: stable across processes (no salted ``hash``)."""
    return int(stream.int % partitions)


def partitioned(log: StreamLog, until: int, partitions: int) -> tuple[list[list[UUID]], int]:
    """The streams of each partition, and the events up to ``until`` in all (a progress bar's
    total: PostgreSQL's positions have gaps), from one look at the log."""
    streams: list[list[UUID]] = [[] for _ in range(partitions)]
    events = 0
    for stream, count in log.streams_until(until):
        streams[stream_partition(stream, partitions)].append(stream)
        events += count
    return streams, events


def apply_partition(
    runner: ProjectionRunner,
    streams: list[UUID],
    until: int,
    report: Callable[[int], None] | None = None,
    batch_size: int = REBUILD_BATCH,
) -> int:
    """Applies the events of ``streams`` up to ``until``; returns how many it applied, and
    ``report``s that count after each batch."""
    log = cast(StreamLog, runner.source.source)
    batch: list[tuple[int, Any]] = []
    finished: list[UUID] = []  # streams read to their end, all their events in ``batch`` or applied
    applied = 0
    for stream in streams:
        after = 0
        while True:
            events = log.stream_events(stream, until, after, batch_size)
            batch.extend(events)
            complete = len(events) < batch_size
            if complete:
                finished.append(stream)
            if len(batch) >= batch_size:
                applied += _apply(runner, batch, finished)
                batch, finished = [], []
                if report is not None:
                    report(applied)
            if complete:
                break
            after = events[-1][1].originator_version
    applied += _apply(runner, batch, finished)
    if report is not None:
        report(applied)
    return applied


def _apply(runner: ProjectionRunner, batch: list[tuple[int, Any]], finished: list[UUID]) -> int:
    """One batch to every projection, in one transaction; then what they keep of the ``finished``
    streams is dropped: a partition never comes back to a county (its memory stays that of a few)."""
    if batch:
        with runner.transaction() as sql:
            for projection in runner.projections:
                projection.process(sql, batch, runner.source)
    runner.forget(finished)
    return len(batch)


def scratch_files(path: str, partitions: int) -> list[str]:
    """The scratch file of each partition of a rebuild of the SQLite file ``path``, beside it."""
    return [f"{path}.rebuild-{index}" for index in range(partitions)]


def remove_scratch_files(paths: list[str]) -> None:
    """Removes them with whatever journal they left (a crashed rebuild's too)."""
    for path in paths:
        for name in (path, f"{path}-journal", f"{path}-wal", f"{path}-shm"):
            Path(name).unlink(missing_ok=True)


def merge(store: SQLiteReadStore, paths: list[str], position: int) -> int:
    """Copies every read model's rows from the partitions' scratch files into ``store`` (its
    read models emptied before) and sets every position to ``position``, in one transaction:
    a crash before its commit leaves the read models empty at position 0. Returns the rows copied.
    Each table is copied by one ``INSERT … SELECT``: SQLite copies the rows without Python."""
    copied = 0
    with store.attached(paths) as schemas, store.transaction() as sql:
        for schema in schemas:
            tables = sql.execute(
                f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name <> %s ORDER BY name",
                [TRACKING],
            )
            for table in (row["name"] for row in tables):
                sql.execute(_copy(sql, schema, table))
                copied += int(sql.execute("SELECT changes() AS n")[0]["n"])
        sql.execute(f"UPDATE {TRACKING} SET position = %s", [position])
    return copied


def _copy(sql: Sql, schema: str, table: str) -> str:
    """The statement copying ``table`` from ``schema`` into the store. ``SELECT *`` when both have
    the same columns in the same order: into an empty table SQLite then copies the records and
    index entries as they are (its transfer optimisation, half the time of the first partition's
    copy); by name otherwise (a table a later version altered)."""
    ours, theirs = (
        [row["name"] for row in sql.execute(f"PRAGMA {name}.table_info({table})")] for name in ("main", schema)
    )
    if ours == theirs:
        return f"INSERT INTO main.{table} SELECT * FROM {schema}.{table}"
    columns = ", ".join(theirs)
    return f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM {schema}.{table}"
