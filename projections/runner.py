"""The projection runner: applies the event log to read models, exactly once.

Each batch is one transaction that holds the projection's tracking row, writes the
read-model rows and moves the position. A crash rolls the whole batch back, so after
a restart the runner resumes from the last committed position. Several threads or
processes may run the same projection: the tracking row serialises them (row lock on
PostgreSQL, the write lock on SQLite), and each re-reads the position after waiting.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

import structlog

from projections.store import ReadStore, Sql

log = structlog.get_logger("ruraleval.projections")

TRACKING_TABLE = "CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"


class EventSource(Protocol):
    """The event log as projections see it."""

    def read(self, after: int, limit: int) -> list[tuple[int, Any]]:
        """Up to ``limit`` (position, domain event) pairs after ``after``, in order."""
        ...

    def head(self) -> int:
        """The position of the last event (0 when the log is empty)."""
        ...

    def aggregate(self, stream: UUID, version: int) -> Any:
        """The aggregate of ``stream`` as it stood at ``version``."""
        ...


class Projection(ABC):
    name: str
    tables: Sequence[str]
    clear: Sequence[str]

    @abstractmethod
    def process(self, sql: Sql, events: list[tuple[int, Any]], source: EventSource) -> None:
        """Applies a batch of events to the read model inside the caller's transaction."""


class ProjectionRunner:
    def __init__(
        self,
        source: EventSource,
        store: ReadStore,
        projections: Sequence[Projection],
        batch_size: int = 1000,
    ) -> None:
        self.source = source
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self._locks = {projection.name: threading.Lock() for projection in self.projections}

    def setup(self) -> None:
        """Creates the tables and tracking rows (idempotent; run before workers start)."""
        statements = [TRACKING_TABLE]
        for projection in self.projections:
            statements.extend(projection.tables)
        self.store.create(statements)
        with self.store.transaction() as sql:
            for projection in self.projections:
                sql.execute(
                    "INSERT INTO projection_tracking (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
                    [projection.name],
                )

    def positions(self) -> dict[str, int]:
        rows = self.store.query("SELECT name, position FROM projection_tracking")
        known = {row["name"]: int(row["position"]) for row in rows}
        return {projection.name: known.get(projection.name, 0) for projection in self.projections}

    def lag(self) -> dict[str, int]:
        head = self.source.head()
        return {name: head - position for name, position in self.positions().items()}

    def catch_up(self, until: int | None = None) -> int:
        """Processes events until every projection reaches ``until`` (default: the head)."""
        target = self.source.head() if until is None else until
        processed = 0
        for projection in self.projections:
            with self._locks[projection.name]:
                position = -1
                while position < target:
                    count, position = self.step(projection)
                    processed += count
                    if count == 0:
                        break
        return processed

    def ensure_fresh(self) -> None:
        """Read-your-writes: a read first brings the read models up to the log's head."""
        head = self.source.head()
        if any(position < head for position in self.positions().values()):
            self.catch_up(head)

    def step(self, projection: Projection) -> tuple[int, int]:
        """One batch in one transaction: (events processed, new position)."""
        with self.store.transaction() as sql:
            rows = sql.execute("SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE", [projection.name])
            position = int(rows[0]["position"])
            batch = self.source.read(position, self.batch_size)
            if not batch:
                return 0, position
            projection.process(sql, batch, self.source)
            position = batch[-1][0]
            sql.execute("UPDATE projection_tracking SET position = %s WHERE name = %s", [position, projection.name])
        return len(batch), position

    def rebuild(self) -> int:
        """Empties every read model and replays the whole log into it."""
        for projection in self.projections:
            with self._locks[projection.name], self.store.transaction() as sql:
                sql.execute("SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE", [projection.name])
                for statement in projection.clear:
                    sql.execute(statement)
                sql.execute("UPDATE projection_tracking SET position = 0 WHERE name = %s", [projection.name])
        processed = self.catch_up()
        log.info("projections_rebuilt", events=processed)
        return processed

    def run(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Keeps the read models fresh until ``stop`` is set (a background thread)."""
        while not stop.is_set():
            try:
                self.catch_up()
            except Exception:
                log.exception("projection_failed")
                stop.wait(2.0)
            stop.wait(interval)
