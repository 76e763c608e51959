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
from collections import OrderedDict
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


class CachedSource:
    """The log, plus the latest aggregates projections have folded, kept across batches.

    Rebuilding folds every county from its first event; keeping the state a batch ended
    with means the next batch need not load it again. A projection that folds events
    hands its result back with ``remember``. The cache is cleared whenever a batch fails,
    so it never runs ahead of what was committed.
    """

    def __init__(self, source: EventSource, maxsize: int = 500) -> None:
        self.source = source
        self.maxsize = maxsize
        self._latest: OrderedDict[UUID, tuple[int, Any, dict[str, Any]]] = OrderedDict()

    def read(self, after: int, limit: int) -> list[tuple[int, Any]]:
        return self.source.read(after, limit)

    def head(self) -> int:
        return self.source.head()

    def aggregate(self, stream: UUID, version: int) -> Any:
        cached = self._latest.get(stream)
        if cached is not None and cached[0] == version:
            self._latest.move_to_end(stream)
            return cached[1]
        return self.source.aggregate(stream, version)

    def derived(self, stream: UUID, version: int) -> dict[str, Any]:
        """What a projection derived from the aggregate at ``version`` (e.g. scorecards)."""
        cached = self._latest.get(stream)
        return cached[2] if cached is not None and cached[0] == version else {}

    def remember(self, stream: UUID, version: int, aggregate: Any, derived: dict[str, Any] | None = None) -> None:
        self._latest[stream] = (version, aggregate, derived or {})
        self._latest.move_to_end(stream)
        while len(self._latest) > self.maxsize:
            self._latest.popitem(last=False)

    def clear(self) -> None:
        self._latest.clear()


class Projection(ABC):
    name: str
    tables: Sequence[str]
    clear: Sequence[str]

    @abstractmethod
    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        """Applies a batch of events to the read model inside the caller's transaction."""


class ProjectionRunner:
    def __init__(
        self,
        source: EventSource,
        store: ReadStore,
        projections: Sequence[Projection],
        batch_size: int = 1000,
    ) -> None:
        self.source = CachedSource(source)
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self._lock = threading.Lock()

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
        with self._lock:
            while True:
                count, lowest = self.step()
                processed += count
                if count == 0 or lowest >= target:
                    return processed

    def ensure_fresh(self, until: int | None = None) -> None:
        """Read-your-writes: a read first brings the read models up to the log's head
        (or to ``until``, a position an as-of read found covers every event it needs)."""
        head = self.source.head() if until is None else until
        if any(position < head for position in self.positions().values()):
            self.catch_up(head)

    def step(self) -> tuple[int, int]:
        """One batch, read once, applied to every projection behind, in one transaction.

        Returns (events read, the lowest position afterwards).
        """
        names = sorted(projection.name for projection in self.projections)
        with self.store.transaction() as sql:
            rows = sql.execute(
                "SELECT name, position FROM projection_tracking"
                f" WHERE name IN ({', '.join(['%s'] * len(names))}) ORDER BY name FOR UPDATE",
                names,
            )
            positions = {row["name"]: int(row["position"]) for row in rows}
            lowest = min(positions.values())
            batch = self.source.read(lowest, self.batch_size)
            if not batch:
                return 0, lowest
            last = batch[-1][0]
            try:
                for projection in self.projections:
                    behind = [item for item in batch if item[0] > positions[projection.name]]
                    if behind:
                        projection.process(sql, behind, self.source)
                        sql.execute(
                            "UPDATE projection_tracking SET position = %s WHERE name = %s", [last, projection.name]
                        )
            except BaseException:
                self.source.clear()
                raise
        return len(batch), last

    def rebuild(self) -> int:
        """Empties every read model and replays the whole log into it."""
        with self._lock, self.store.transaction() as sql:
            sql.execute("SELECT name FROM projection_tracking ORDER BY name FOR UPDATE")
            for projection in self.projections:
                for statement in projection.clear:
                    sql.execute(statement)
            sql.execute("UPDATE projection_tracking SET position = 0")
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
