"""The projection runner: applies the event log to read models, exactly once.

Each batch is one transaction that holds the projection's tracking row, writes the
read-model rows and moves the position. A crash rolls the whole batch back, so after
a restart the runner resumes from the last committed position. Several threads or
processes may run the same projection: the tracking row serialises them (row lock on
PostgreSQL, the write lock on SQLite), and each re-reads the position after waiting.
"""

from __future__ import annotations

import gc
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import UUID

import structlog

from projections.progress import Progress
from projections.store import ReadStore, Sql

log = structlog.get_logger("ruraleval.projections")

RETRY_SECONDS = 1.0
GATHER_SECONDS = 0.1
MAX_RETRY_SECONDS = 30.0
# A full rebuild reads the log in larger batches than the live thread: the per-county work of a
# batch (loading the county, writing its current scores and scorecard) and each commit are then
# paid once per 5,000 events rather than per 1,000 (a third less CPU per event, ADR 28).
REBUILD_BATCH = 5000
TRACKING_TABLE = "CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector less often while a rebuild runs: the folded counties and the
    rows of a batch are many live objects, and walking them ~1,000 times cost a sixth of a
    rebuild's CPU. Reference counting still frees nearly everything at once."""
    saved = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


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

    def forget(self, streams: Iterable[UUID]) -> None:
        for stream in streams:
            self._latest.pop(stream, None)

    def __len__(self) -> int:
        """How many streams it keeps."""
        return len(self._latest)


class Projection(ABC):
    name: str
    tables: Sequence[str]
    clear: Sequence[str]
    # Projections whose tables this one reads: it applies a batch only once they have.
    after: Sequence[str] = ()

    def committed(self) -> None:  # noqa: B027 (most projections have nothing to do then)
        """The transaction of the batches it processed committed (before readers hear of it)."""

    def discarded(self) -> None:  # noqa: B027
        """The transaction of the batches it processed rolled back."""

    def forget(self, streams: Iterable[UUID]) -> None:  # noqa: B027 (most keep nothing per stream)
        """Drops what it keeps of these streams: no more of their events will come."""

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
        progress: Progress | None = None,
    ) -> None:
        self.source = CachedSource(source)
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self.progress = progress or Progress(projection.name for projection in self.projections)
        self._lock = threading.Lock()
        self._retry_at: dict[str, float] = {}  # a failed projection's next attempt (monotonic)
        self._failures: dict[str, int] = {}  # consecutive failures, for the back-off

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

    def catch_up(
        self,
        until: int | None = None,
        report: Callable[[int, int], None] | None = None,
        batch_size: int | None = None,
    ) -> int:
        """Processes events until every projection reaches ``until`` (default: the head);
        ``report(position, target)`` after each batch (a progress bar)."""
        target = self.source.head() if until is None else until
        processed = 0
        with self._lock:
            while True:
                count, lowest = self.step(batch_size)
                processed += count
                if report is not None:
                    report(min(lowest, target), target)
                if count == 0 or lowest >= target:
                    return processed

    def ensure_fresh(self, until: int | None = None) -> None:
        """Read-your-writes: a read first brings the read models up to the log's head
        (or to ``until``, a position an as-of read found covers every event it needs)."""
        head = self.source.head() if until is None else until
        if any(position < head for position in self.positions().values()):
            self.catch_up(head)

    def forget(self, streams: Iterable[UUID]) -> None:
        """What the source and the projections keep of ``streams`` dropped (a rebuild partition is
        done with them)."""
        self.source.forget(streams)
        for projection in self.projections:
            projection.forget(streams)

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        """The store's transaction, each projection told afterwards whether it committed."""
        try:
            with self.store.transaction() as sql:
                yield sql
        except BaseException:
            for projection in self.projections:
                projection.discarded()
            raise
        for projection in self.projections:
            projection.committed()

    def step(self, batch_size: int | None = None) -> tuple[int, int]:
        """One batch, read once, applied to every projection behind, in one transaction.

        Each projection applies it inside a savepoint: one that raises is rolled back alone,
        reported as failed (its reads answer 503 with the reason) and tried again after a
        back-off, while the others move on. Returns (events read, the lowest position of
        the projections that took part).
        """
        names = sorted(projection.name for projection in self.projections)
        now = time.monotonic()
        with self.transaction() as sql:
            found = self._step(sql, names, now, batch_size or self.batch_size)
        count, lowest, positions = found
        self.progress.advanced(positions)
        return count, lowest

    def _step(self, sql: Sql, names: list[str], now: float, batch_size: int) -> tuple[int, int, dict[str, int]]:
        """The body of ``step`` inside its transaction: (events read, lowest position, positions to report)."""
        rows = sql.execute(
            "SELECT name, position FROM projection_tracking"
            f" WHERE name IN ({', '.join(['%s'] * len(names))}) ORDER BY name FOR UPDATE",
            names,
        )
        positions = {row["name"]: int(row["position"]) for row in rows}
        due = [p for p in self.projections if self._retry_at.get(p.name, 0.0) <= now]
        if not due:
            return 0, min(positions.values()), positions
        lowest = min(positions[p.name] for p in due)
        batch = self.source.read(lowest, batch_size)
        if not batch:
            return 0, lowest, positions
        last = batch[-1][0]
        moved: dict[str, int] = {}
        waiting: set[str] = set()  # its inputs did not take this batch (failed): it waits for them
        for projection in due:
            # (Most often every projection stands at the lowest position: then all of the batch.)
            at = positions[projection.name]
            behind = batch if at == lowest else [item for item in batch if item[0] > at]
            if not all(moved.get(name, positions[name]) >= last for name in projection.after):
                waiting.add(projection.name)
            elif behind and self._apply(sql, projection, behind, from_empty=at == 0):
                moved[projection.name] = last
        able = [moved.get(p.name, positions[p.name]) for p in due if p.name not in waiting]
        return len(batch), min(able, default=last), positions | moved

    def _apply(
        self, sql: Sql, projection: Projection, events: list[tuple[int, Any]], *, from_empty: bool = False
    ) -> bool:
        """Applies ``events`` to one projection inside a savepoint; False (rolled back) if it raised.

        ``from_empty``: the projection stands at position 0, so it holds nothing by definition, and
        whatever rows it has are left over: a partitioned rebuild on PostgreSQL whose coordinator
        was killed leaves its partitions' rows behind positions still at 0. They are emptied in
        this transaction, so replaying the log never meets them (duplicate keys, doubled counts)."""
        sql.execute(f"SAVEPOINT {projection.name}")
        try:
            if from_empty:
                for statement in projection.clear:
                    sql.execute(statement)
            projection.process(sql, events, self.source)
            sql.execute(
                "UPDATE projection_tracking SET position = %s WHERE name = %s", [events[-1][0], projection.name]
            )
        except Exception as error:
            sql.execute(f"ROLLBACK TO SAVEPOINT {projection.name}")
            sql.execute(f"RELEASE SAVEPOINT {projection.name}")
            self.source.clear()  # it may hold what the failed projection folded
            self._fail(projection.name, error, events[0][0])
            return False
        sql.execute(f"RELEASE SAVEPOINT {projection.name}")
        if self._failures.pop(projection.name, None) is not None:
            self._retry_at.pop(projection.name, None)
            self.progress.recovered(projection.name)
            log.info("projection_recovered", projection=projection.name)
        return True

    def _fail(self, name: str, error: Exception, position: int) -> None:
        count = self._failures.get(name, 0) + 1
        self._failures[name] = count
        delay = min(RETRY_SECONDS * 2 ** (count - 1), MAX_RETRY_SECONDS)
        self._retry_at[name] = time.monotonic() + delay
        reason = f"{type(error).__name__}: {error}"[:300]
        log.error(
            "projection_failed", projection=name, position=position, attempt=count, retry_in=delay, exc_info=error
        )
        self.progress.failed(name, reason)

    def clear(self, position: int = 0) -> None:
        """Empties every read model and sets every position to ``position`` (0: replay all)."""
        with self._lock, self.store.transaction() as sql:
            sql.execute("SELECT name FROM projection_tracking ORDER BY name FOR UPDATE")
            for projection in self.projections:
                for statement in projection.clear:
                    sql.execute(statement)
            sql.execute("UPDATE projection_tracking SET position = %s", [position])

    def rebuild(self, report: Callable[[int, int], None] | None = None) -> int:
        """Empties every read model and replays the whole log into it."""
        self.clear()
        with fewer_collections(), self.store.bulk():
            processed = self.catch_up(report=report, batch_size=max(self.batch_size, REBUILD_BATCH))
        self.store.refresh_statistics()
        log.info("projections_rebuilt", events=processed)
        return processed

    def run(
        self,
        stop: threading.Event,
        wake: threading.Event | None = None,
        interval: float = 0.2,
        gather: float = GATHER_SECONDS,
    ) -> None:
        """Keeps the read models fresh until ``stop`` is set (a background thread).

        ``wake`` is set by this process's writer after each commit; ``interval`` bounds how
        late writes of other processes are seen. After a batch, events are gathered for
        ``gather`` seconds before the next one (a county touched by many writes is then
        scored once, not once per write), unless a read is waiting for a position.
        """
        wake = wake or threading.Event()
        self.progress.running = True
        try:
            while not stop.is_set():
                wake.clear()
                self.progress.someone_waits.clear()
                processed = 0
                try:
                    processed = self.catch_up()
                except Exception:
                    log.exception("projection_batch_failed")
                    stop.wait(1.0)
                if processed and not self.progress.waiting():
                    self.progress.someone_waits.wait(gather)
                if not wake.is_set():
                    wake.wait(min(interval, self._next_retry()))
        finally:
            self.progress.running = False

    def _next_retry(self) -> float:
        """Seconds until a failed projection is due again (the run loop must not sleep past it)."""
        if not self._retry_at:
            return float("inf")
        return max(0.0, min(self._retry_at.values()) - time.monotonic())
