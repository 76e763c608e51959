"""The evaluation ledger: executes commands on county streams and stores their events.

All writes of a process pass through one writer thread. It takes whatever commands
are waiting (up to ``batch_limit``), applies each to its county, and stores the
events of the whole batch in one transaction: concurrent requests share one commit
(group commit) instead of paying one each. A caller is answered only after that
commit, so an acknowledged command is durable. When another process wrote to the
same county first, the store refuses the batch as a whole; the writer then reloads
and retries each command on its own, and answers 409 if it still conflicts.

Recorded time follows commit order (ADR 16): the writer loads what it needs first, then
takes the store's write lock, stamps the batch, applies it, inserts and commits while
holding it (``ruraleval.sequencing``). ``settle(T)`` is the readers' side: afterwards no
event stamped at or before T can still commit.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, InterfaceError, OperationalError, Transcoder
from eventsourcing.popo import POPOFactory

from domain import commands as c
from domain.county import County, county_id
from domain.errors import ConflictError, DomainError, NotFound
from domain.organisation import ORGANISATION_ID, Organisation
from domain.scheme import Scheme
from domain.schemes import PublishedScheme, scheme_stream_id
from ruraleval.sequencing import (
    RECORDER_TOPICS,
    Floor,
    Hold,
    SequencedPOPORecorder,
    SequencedRecorder,
    micros,
    sequenced,
)
from ruraleval.settings import Store
from ruraleval.transcoder import OrjsonTranscoder

log = structlog.get_logger("ruraleval.ledger")

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 3
HOLD_ATTEMPTS = 3
SNAPSHOT_INTERVAL = 100
WRITTEN_MEMORY = 10_000


def utc_now() -> datetime:
    return datetime.now(UTC)


class EvaluationApplication(Application[UUID]):
    """The eventsourcing application: event store, snapshots and notification log."""

    name = "RuralEval"
    # Snapshots are taken by the ledger after each commit (see Ledger._take_snapshots),
    # so that a failing snapshot can never be mistaken for a failed write.
    is_snapshotting_enabled = True

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_recorder(self) -> ApplicationRecorder:
        """A recorder that stamps in commit order (the SQL stores get theirs by topic, see ``Ledger``)."""
        if isinstance(self.factory, POPOFactory):
            return SequencedPOPORecorder()
        return super().construct_recorder()


@dataclass
class Outcome:
    """What a command did: its result and the log position of its last event."""

    result: dict[str, Any]
    position: int | None
    version: int | None
    events: list[str] = field(default_factory=list)


Apply = Callable[[Aggregate | None, c.Context], tuple[Aggregate, dict[str, Any]]]


@dataclass
class _Job:
    stream: UUID
    apply: Apply
    context: c.Context
    future: Future[Outcome] = field(default_factory=Future)
    label: str = ""
    subject: str = ""


@dataclass
class _Settled:
    """What a committed batch owes its callers."""

    accepted: list[tuple[_Job, Aggregate, int, dict[str, Any], list[str]]] = field(default_factory=list)
    refused: list[tuple[_Job, DomainError]] = field(default_factory=list)
    recheck: list[tuple[_Job, DomainError]] = field(default_factory=list)
    positions: dict[tuple[Any, int], int] = field(default_factory=dict)
    recordings: list[Any] = field(default_factory=list)


def _succeed(job: _Job, outcome: Outcome) -> None:
    """Answers a caller; one who stopped waiting (a cancelled request) is simply not answered."""
    with contextlib.suppress(InvalidStateError):
        job.future.set_result(outcome)


def _fail(job: _Job, error: BaseException) -> None:
    with contextlib.suppress(InvalidStateError):
        job.future.set_exception(error)


class _Tainted(Exception):
    """A command failed after changing its aggregate: the batch must be redone."""


class Ledger:
    """The command side of the platform, over one eventsourcing application."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        cache_size: int = 2000,
        batch_limit: int = 64,
    ) -> None:
        self.store = store
        env = store.eventsourcing_env()
        if store.kind in RECORDER_TOPICS:
            env["APPLICATION_RECORDER_TOPIC"] = RECORDER_TOPICS[store.kind]
        self.app = EvaluationApplication(env=env)
        self.recorder: SequencedRecorder = sequenced(self.app.recorder)
        self._floor = Floor(0, 0)  # the latest floor this process knows of (writes and settles raise it)
        self._floor_lock = threading.Lock()
        self.clock = clock
        self.batch_limit = batch_limit
        self._cache: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._cache_size = cache_size
        self.organisation_writes = 0  # lets readers in this process see organisation changes at once
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        # Called by the writer after each commit with the highest position it committed
        # (the projection thread wakes at once instead of polling).
        self.on_commit: list[Callable[[int], None]] = []
        # The last position each recent request (by correlation id) wrote, for its answer's header.
        self._written: OrderedDict[str, int] = OrderedDict()
        self._writer = threading.Thread(target=self._write_loop, name="ruraleval-writer", daemon=True)
        self._writer.start()

    # ------------------------------------------------------------ public API

    def publish_scheme(self, scheme: Scheme, context: c.Context) -> Outcome:
        def apply(existing: Aggregate | None, ctx: c.Context) -> tuple[Aggregate, dict[str, Any]]:
            if existing is not None:
                raise ConflictError.of("id", "unique_scheme", f"方案“{scheme.id}”已发布；如需修改请提交修订")
            return PublishedScheme.publish(scheme, ctx), {"id": scheme.id}

        return self._run(scheme_stream_id(scheme.id), apply, context, "PublishScheme", f"scheme:{scheme.id}")

    def revise_scheme(self, scheme: Scheme, reason: str, context: c.Context) -> Outcome:
        def apply(existing: Aggregate | None, ctx: c.Context) -> tuple[Aggregate, dict[str, Any]]:
            published = _require_scheme(existing, scheme.id)
            published.revise(scheme, reason, ctx)
            return published, {"id": scheme.id, "revision": published.revision}

        return self._run(scheme_stream_id(scheme.id), apply, context, "ReviseScheme", f"scheme:{scheme.id}")

    def enrol(self, command: c.EnrolCounty, context: c.Context) -> Outcome:
        def apply(existing: Aggregate | None, ctx: c.Context) -> tuple[Aggregate, dict[str, Any]]:
            if existing is not None:
                raise ConflictError.of("code", "unique_county", f"行政区划代码为 {command.code} 的县已经入选")
            return County.enrol(command, ctx), {"code": command.code}

        return self._run(county_id(command.code), apply, context, "EnrolCounty", f"county:{command.code}")

    def organise(
        self, change: Callable[[Organisation, c.Context], dict[str, Any] | None], context: c.Context, label: str
    ) -> Outcome:
        """Applies a change to the organisation (founding it on first use)."""

        def apply(existing: Aggregate | None, ctx: c.Context) -> tuple[Aggregate, dict[str, Any]]:
            organisation = existing if isinstance(existing, Organisation) else Organisation.found(ctx)
            return organisation, change(organisation, ctx) or {}

        return self._run(ORGANISATION_ID, apply, context, label, "organisation")

    def execute(self, code: str, command: c.CountyCommand, context: c.Context) -> Outcome:
        return self.submit(code, command, context).result()

    def submit(self, code: str, command: c.CountyCommand, context: c.Context) -> Future[Outcome]:
        """Queues a county command; the future resolves once its events are stored."""

        def apply(existing: Aggregate | None, ctx: c.Context) -> tuple[Aggregate, dict[str, Any]]:
            county = _require_county(existing, code)
            return county, county.handle(command, ctx)

        return self._enqueue(county_id(code), apply, context, type(command).__name__, f"county:{code}")

    def county(self, code: str, version: int | None = None) -> County:
        """A county as stored (at ``version``, if given); 404 when not enrolled."""
        try:
            county: Any = self.app.repository.get(county_id(code), version=version)
        except AggregateNotFoundError:
            raise _county_not_found(code) from None
        assert isinstance(county, County)
        return county

    def enrolled_regions(self, codes: Iterable[str]) -> dict[str, str]:
        """The region each of ``codes`` was enrolled in; counties not enrolled are left out.

        Read from each county's first event (its enrolment), which never changes: the
        facts the organisation needs to place a county in a team (ADR 18).
        """
        regions: dict[str, str] = {}
        for code in dict.fromkeys(codes):
            event: Any
            for event in self.app.events.get(county_id(code), lte=1):
                if isinstance(event, County.Enrolled):
                    regions[code] = event.region
        return regions

    def scheme(self, scheme_id: str) -> PublishedScheme:
        try:
            published: Any = self.app.repository.get(scheme_stream_id(scheme_id))
        except AggregateNotFoundError:
            raise NotFound.of("scheme", "known_scheme", f"找不到编号为“{scheme_id}”的评估方案") from None
        assert isinstance(published, PublishedScheme)
        return published

    def read(self, after: int, limit: int) -> list[tuple[int, Any]]:
        """Up to ``limit`` (position, event) pairs after position ``after``."""
        notifications = self.app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
        to_event = self.app.mapper.to_domain_event
        return [(notification.id, to_event(notification)) for notification in notifications]

    def aggregate(self, stream: UUID, version: int) -> Aggregate:
        return self.app.repository.get(stream, version=version)

    def settle(self, instant: datetime) -> int:
        """Makes ``instant`` final: afterwards no event stamped at or before it can commit (ADR 16).

        Returns a log position covering every event stamped at or before ``instant``. When
        the floor this process knows of, or the store's, is already there, that costs at
        most one read; otherwise it passes the store's write lock once and raises the floor
        to ``instant``.
        """
        at_us = micros(instant)
        known = self._floor
        if at_us <= known.us:
            return known.head
        floor = self.recorder.floor()
        if at_us > floor.us:
            floor = self.recorder.fence(at_us)
        self._learn(floor)
        return floor.head

    def _learn(self, floor: Floor) -> None:
        with self._floor_lock:
            if floor.us > self._floor.us:
                self._floor = Floor(floor.us, max(floor.head, self._floor.head))

    def written_by(self, correlation_id: str) -> int | None:
        """The highest log position the commands of ``correlation_id`` recorded (once: it is forgotten)."""
        with self._floor_lock:
            return self._written.pop(correlation_id, None)

    def _note_written(self, correlation_id: str, position: int) -> None:
        with self._floor_lock:
            self._written[correlation_id] = max(position, self._written.get(correlation_id, 0))
            while len(self._written) > WRITTEN_MEMORY:
                self._written.popitem(last=False)

    def head(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return self.app.recorder.max_notification_id() or 0

    def close(self) -> None:
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout=30)
        self.app.close()

    # -------------------------------------------------------------- internals

    def _run(self, stream: UUID, apply: Apply, context: c.Context, label: str, subject: str) -> Outcome:
        return self._enqueue(stream, apply, context, label, subject).result()

    def _enqueue(self, stream: UUID, apply: Apply, context: c.Context, label: str, subject: str) -> Future[Outcome]:
        if not self._writer.is_alive():
            raise RuntimeError("the ledger is closed")
        job = _Job(stream, apply, context, label=label, subject=subject)
        self._queue.put(job)
        return job.future

    def _write_loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = False
            while len(batch) < self.batch_limit:
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    stop = True
                    break
                batch.append(waiting)
            self._process(batch)
            if stop:
                return

    def _process(self, batch: list[_Job]) -> None:
        try:
            settled = self._store(batch)
        except (IntegrityError, _Tainted) as error:
            log.info("batch_retried_alone", reason=type(error).__name__, size=len(batch))
            self._forget(job.stream for job in batch)
            for job in batch:
                self._store_alone(job)
            return
        except Exception as error:  # the store failed before committing: nothing was stored
            self._forget(job.stream for job in batch)
            if len(batch) > 1:
                for job in batch:
                    self._store_alone(job)
                return
            log.exception("command_failed", correlation_id=batch[0].context.correlation_id)
            _fail(batch[0], error)
            return
        self._deliver(settled)

    def _store_alone(self, job: _Job) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                settled = self._store([job])
            except (IntegrityError, _Tainted):
                self._forget([job.stream])
                log.info("version_conflict", stream=job.subject, attempt=attempt)
                continue
            except Exception as error:
                self._forget([job.stream])
                log.exception("command_failed", correlation_id=job.context.correlation_id)
                _fail(job, error)
                return
            self._deliver(settled)
            return
        _fail(job, ConflictError.of("county", "concurrent_write", "该县的数据正被同时修改，请稍后重试"))

    def _store(self, batch: list[_Job]) -> _Settled:
        """Applies the batch's commands and stores all their events in one transaction.

        Raises only before the commit; whatever happens after it (answering callers,
        taking snapshots) is done by ``_deliver`` and can never cause a second write.
        """
        session: dict[UUID, Aggregate | None] = {}
        cached: set[UUID] = set()
        settled = _Settled()
        for job in batch:  # loading is done before taking the lock, which only stamping, applying and storing need
            if job.stream not in session:
                session[job.stream] = self._load(job.stream)
                if job.stream in self._cache:
                    cached.add(job.stream)
        with contextlib.ExitStack() as held:
            hold = self._hold(held)
            for job in batch:
                aggregate = session[job.stream]
                pending = len(aggregate.pending_events) if aggregate is not None else 0
                context = (
                    job.context
                    if job.context.recorded_at  # history written at a chosen instant keeps it (demo, tests)
                    else replace(job.context, recorded_at=hold.stamp(self.clock))
                )
                try:
                    changed, result = job.apply(aggregate, context)
                except DomainError as error:
                    if aggregate is not None and len(aggregate.pending_events) != pending:
                        raise _Tainted from error
                    # A refusal judged on this process's cached copy is judged again on the
                    # store's state: another process may have written to the county since.
                    (settled.recheck if job.stream in cached else settled.refused).append((job, error))
                    continue
                session[job.stream] = changed
                new_events = [type(event).__name__ for event in changed.pending_events[pending:]]
                settled.accepted.append((job, changed, changed.version, result, new_events))
            dirty = [aggregate for aggregate in session.values() if aggregate is not None and aggregate.pending_events]
            recordings = self.app.save(*dirty) if dirty else []
        if hold.new_floor is not None and recordings:
            self._learn(Floor(hold.new_floor, max(r.notification.id for r in recordings)))
        settled.positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id for r in recordings
        }
        for aggregate in session.values():
            if aggregate is not None:
                self._remember(aggregate)
        if any(job.stream == ORGANISATION_ID and events for job, _, _, _, events in settled.accepted):
            self.organisation_writes += 1
        settled.recordings = recordings
        return settled

    def _hold(self, stack: contextlib.ExitStack) -> Hold:
        """The store's write lock; taking it is retried on a dropped connection (nothing is applied yet)."""
        for attempt in range(1, HOLD_ATTEMPTS + 1):
            try:
                hold: Hold = stack.enter_context(self.recorder.hold())
                return hold
            except (InterfaceError, OperationalError):
                if attempt == HOLD_ATTEMPTS:
                    raise
                log.warning("write_lock_retried", attempt=attempt, exc_info=True)
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def _deliver(self, settled: _Settled) -> None:
        """After the commit: snapshots, answers, and second looks at stale refusals."""
        self._take_snapshots(settled.recordings)
        if settled.positions:
            self._announce(max(settled.positions.values()))
        for job, aggregate, version, result, events in settled.accepted:
            position = settled.positions.get((aggregate.id, version)) if events else None
            if result.get("replayed"):
                version, position = result["version"], result.get("position")
            log.info(
                "command_recorded" if events else "command_replayed",
                command=job.label,
                stream=job.subject,
                events=events,
                version=version,
                position=position,
                actor=job.context.actor,
                correlation_id=job.context.correlation_id,
            )
            if position is not None:
                self._note_written(job.context.correlation_id, position)
            _succeed(job, Outcome(result, position, version, events))
        for job, refusal in settled.refused:
            log.info(
                "command_refused",
                command=job.label,
                stream=job.subject,
                rules=[p.rule for p in refusal.problems],
                actor=job.context.actor,
                correlation_id=job.context.correlation_id,
            )
            _fail(job, refusal)
        if settled.recheck:
            self._forget(job.stream for job, _ in settled.recheck)
            for job, _ in settled.recheck:
                self._store_alone(job)

    def _announce(self, position: int) -> None:
        for listener in self.on_commit:
            try:
                listener(position)
            except Exception:
                log.warning("commit_listener_failed", exc_info=True)

    def _take_snapshots(self, recordings: list[Any]) -> None:
        """Snapshots every SNAPSHOT_INTERVAL events; a failure only costs load time later."""
        for recording in recordings:
            event = recording.domain_event
            if isinstance(event, County.Event) and event.originator_version % SNAPSHOT_INTERVAL == 0:
                try:
                    self.app.take_snapshot(event.originator_id, version=event.originator_version)
                except Exception:
                    log.warning("snapshot_failed", stream=str(event.originator_id), exc_info=True)

    def _load(self, stream: UUID) -> Aggregate | None:
        cached = self._cache.get(stream)
        if cached is not None:
            self._cache.move_to_end(stream)
            return cached
        try:
            return self.app.repository.get(stream)
        except AggregateNotFoundError:
            return None

    def _remember(self, aggregate: Aggregate) -> None:
        self._cache[aggregate.id] = aggregate
        self._cache.move_to_end(aggregate.id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _forget(self, streams: Any) -> None:
        for stream in streams:
            self._cache.pop(stream, None)


def _county_not_found(code: str) -> NotFound:
    return NotFound.of("code", "known_county", f"行政区划代码为 {code} 的县尚未入选评估")


def _require_county(aggregate: Aggregate | None, code: str) -> County:
    if aggregate is None:
        raise _county_not_found(code)
    assert isinstance(aggregate, County)
    return aggregate


def _require_scheme(aggregate: Aggregate | None, scheme_id: str) -> PublishedScheme:
    if aggregate is None:
        raise NotFound.of("id", "known_scheme", f"找不到编号为“{scheme_id}”的评估方案")
    assert isinstance(aggregate, PublishedScheme)
    return aggregate
