"""The batch writer behind the ledger: one thread that applies commands and commits them in batches.

It takes whatever commands are waiting (up to ``batch_limit``), applies each to its
stream, and stores the events of the whole batch in one transaction (group commit,
ADR 6), stamped under the store's write lock (ADR 16). Callers are answered only after
that commit, so an acknowledged command is durable.

Every queued command has an identity, and each accepted one is recorded with its
events (ADR 22). When the commit's outcome is unknown (the connection was lost after
the statements went out, or COMMIT itself failed), the writer looks the batch's
commands up instead of guessing: found, the callers are answered from the store and
nothing is applied again; not found, nothing was stored and the commands run again.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain import commands as c
from domain.errors import ConflictError, DomainError
from domain.organisation import ORGANISATION_ID
from ruraleval.commit_order import CommitOutcomeUnknown, Floor, Hold, RecordedCommand
from ruraleval.transcoder import loads
from ruraleval.writer_delivery import Delivery
from ruraleval.writer_jobs import Apply, Job, Outcome, Settled, Tainted, command_row, fail, succeed

log = structlog.get_logger("ruraleval.ledger")

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 3
HOLD_ATTEMPTS = 3
LOOKUP_ATTEMPTS = 5
WRITTEN_MEMORY = 10_000  # requests whose written position is kept until their answer starts
# How long the writer may wait for more commands before a batch, when the last batch
# showed several callers at once (their next commands are on their way). A caller
# alone never waits for it.
GATHER_SECONDS = 0.0015


class BatchWriter(Delivery):
    """The writer thread, its cache of aggregates and its batches; ``Ledger`` is its public face.

    What follows a commit, and the cache, are in ``Delivery`` (``ruraleval.writer_delivery``).
    """

    def _start_writer(self, clock: Clock, cache_size: int, batch_limit: int) -> None:
        self._floor = Floor(0, 0)  # the latest floor this process knows of (writes and settles raise it)
        self._floor_lock = threading.Lock()
        self.clock = clock
        self.batch_limit = batch_limit
        self._cache: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._cache_size = cache_size
        self._started_from: dict[UUID, int] = {}  # the last batch's stream versions before it (writer thread)
        self.organisation_writes = 0  # lets readers in this process see organisation changes at once
        # Called by the writer after each commit with the highest log position committed,
        # so that a projection can wake at once instead of polling; they must be quick.
        self.on_commit: list[Callable[[int], None]] = []
        # The last position each recent request (by correlation id) wrote, for its answer's header (ADR 24).
        self._written: OrderedDict[str, int] = OrderedDict()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="ruraleval-writer", daemon=True)
        self._writer.start()

    def _learn(self, floor: Floor) -> None:
        with self._floor_lock:
            if floor.us > self._floor.us:
                self._floor = Floor(floor.us, max(floor.head, self._floor.head))

    def written_by(self, correlation_id: str) -> int | None:
        """The highest log position the commands of ``correlation_id`` recorded (once: it is forgotten)."""
        with self._floor_lock:
            return self._written.pop(correlation_id, None)

    def _answer(self, job: Job, outcome: Outcome) -> None:
        """Notes the position the request wrote (its answer's header), then answers it."""
        if outcome.position is not None:
            with self._floor_lock:
                correlation = job.context.correlation_id
                self._written[correlation] = max(outcome.position, self._written.get(correlation, 0))
                while len(self._written) > WRITTEN_MEMORY:
                    self._written.popitem(last=False)
        succeed(job, outcome)

    def _stop_writer(self) -> None:
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout=30)

    def _enqueue(self, stream: UUID, apply: Apply, context: c.Context, label: str, subject: str) -> Future[Outcome]:
        if not self._writer.is_alive():
            raise RuntimeError("the ledger is closed")
        job = Job(stream, apply, context, label=label, subject=subject)
        self._queue.put(job)
        return job.future

    # ------------------------------------------------------------ the loop

    def _write_loop(self) -> None:
        last_size = 1
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = self._drain(batch)
            if not stop and len(batch) < min(last_size, self.batch_limit):
                stop = self._gather(batch, min(last_size, self.batch_limit))
            last_size = len(batch)
            try:
                self._process(batch)
            except Exception as error:  # never let the writer die: its callers would wait for ever
                with contextlib.suppress(Exception):
                    log.exception("batch_failed_unexpectedly", size=len(batch))
                for waiting in batch:
                    if not waiting.future.done():
                        fail(waiting, error)
            if stop:
                return

    def _drain(self, batch: list[Job]) -> bool:
        """Adds what is waiting to ``batch``; True when the ledger is closing."""
        while len(batch) < self.batch_limit:
            try:
                waiting = self._queue.get_nowait()
            except queue.Empty:
                return False
            if waiting is None:
                return True
            batch.append(waiting)
        return False

    def _gather(self, batch: list[Job], size: int) -> bool:
        """Waits briefly for the batch to reach ``size``: the callers answered by the last batch
        are sending their next commands, and one commit for all costs less than one each."""
        deadline = time.monotonic() + GATHER_SECONDS
        while len(batch) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                waiting = self._queue.get(timeout=remaining)
            except queue.Empty:
                return False
            if waiting is None:
                return True
            batch.append(waiting)
            if self._drain(batch):
                return True
        return False

    def _process(self, batch: list[Job]) -> None:
        try:
            settled = self._store(batch)
        except CommitOutcomeUnknown as unknown:
            for job in self._resolve(batch, unknown):
                self._store_alone(job)
            return
        except (IntegrityError, Tainted) as error:
            # Another process wrote to a county this one held in its cache: only that county's
            # commands are retried (alone); the rest of the batch is stored again as one batch.
            stale = self._stale(batch) if isinstance(error, IntegrityError) else set()
            self._forget(job.stream for job in batch)
            if stale and any(job.stream not in stale for job in batch):
                log.info("batch_conflict", streams=len(stale), size=len(batch))
                for job in batch:
                    if job.stream in stale:
                        self._store_alone(job)
                self._process([job for job in batch if job.stream not in stale])
                return
            log.info("batch_retried_alone", reason=type(error).__name__, size=len(batch))
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
            fail(batch[0], error)
            return
        self._deliver(settled)

    def _stale(self, batch: list[Job]) -> set[UUID]:
        """The streams of ``batch`` that the store holds newer events of than the batch started from."""
        started = self._started_from
        try:
            return self._newer_streams(batch, started)
        except Exception:  # the store cannot tell now: every command of the batch is retried alone
            return set()

    def _newer_streams(self, batch: list[Job], started: dict[UUID, int]) -> set[UUID]:
        return {
            stream
            for stream in {job.stream for job in batch}
            if stream in started and self.app.recorder.select_events(stream, gt=started[stream], limit=1)
        }

    def _store_alone(self, job: Job) -> None:
        conflicts = lost = 0  # each has its own budget: a lost connection is no version conflict
        while conflicts < MAX_ATTEMPTS:
            try:
                settled = self._store([job])
            except CommitOutcomeUnknown as unknown:
                if not self._resolve([job], unknown):
                    return  # answered from the store (or told that nobody can know)
                lost += 1
                if lost >= MAX_ATTEMPTS:
                    log.error("command_failed", correlation_id=job.context.correlation_id, cause=repr(unknown.cause))
                    fail(job, unknown.cause)
                    return
                continue
            except (IntegrityError, Tainted):
                self._forget([job.stream])
                conflicts += 1
                log.info("version_conflict", stream=job.subject, attempt=conflicts)
                continue
            except Exception as error:
                self._forget([job.stream])
                log.exception("command_failed", correlation_id=job.context.correlation_id)
                fail(job, error)
                return
            self._deliver(settled)
            return
        fail(job, ConflictError.of("county", "concurrent_write", "该县的数据正被同时修改，请稍后重试"))

    # ------------------------------------------------------------ one batch

    def _store(self, batch: list[Job]) -> Settled:
        """Applies the batch's commands and stores all their events in one transaction.

        Raises only before the commit, or ``CommitOutcomeUnknown`` when it cannot tell;
        whatever happens after it (answering callers, taking snapshots) is done by
        ``_deliver`` and can never cause a second write.
        """
        session: dict[UUID, Aggregate | None] = {}
        cached: set[UUID] = set()
        settled = Settled()
        for job in batch:  # loading is done before taking the lock, which only stamping, applying and storing need
            if job.stream not in session:
                session[job.stream] = self._load(job.stream)
                if job.stream in self._cache:
                    cached.add(job.stream)
        # The versions the batch started from: after a conflict, which streams moved meanwhile.
        self._started_from = {stream: (a.version if a is not None else 0) for stream, a in session.items()}
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
                        raise Tainted from error
                    # A refusal judged on this process's cached copy is judged again on the
                    # store's state: another process may have written to the county since.
                    (settled.recheck if job.stream in cached else settled.refused).append((job, error))
                    continue
                session[job.stream] = changed
                new_events = [type(event).__name__ for event in changed.pending_events[pending:]]
                settled.accepted.append((job, changed, changed.version, result, new_events))
            hold.commands = [command_row(job, aggregate.id, version, result, events)
                             for job, aggregate, version, result, events in settled.accepted if events]  # fmt: skip
            # The event store itself rather than ``app.save``: that adds nothing here (no snapshot
            # intervals, no notification hooks, no repository cache) but two runtime checks
            # against Protocols per batch, ~60 µs on the writer thread.
            events = [event for aggregate in session.values() if aggregate is not None
                      for event in aggregate.collect_events()]  # fmt: skip
            recordings = self.app.events.put(events) if events else []
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

    def _resolve(self, jobs: list[Job], unknown: CommitOutcomeUnknown) -> list[Job]:
        """Settles a commit of unknown outcome from the store; returns the jobs to run again.

        Commands found were committed: their callers get the stored outcome, and they are
        not applied again. The others recorded nothing (refused, unchanged, replayed, or
        the whole batch was lost) and run again, on state reloaded from the store.
        """
        self._forget(job.stream for job in jobs)
        try:
            recorded = self._look_up(unknown.command_ids)
        except Exception as error:
            # error, not exception: a rendered traceback costs the writer thread dearly in development
            log.error("commit_outcome_unknown", commands=len(unknown.command_ids), cause=repr(unknown.cause),
                      error=repr(error))  # fmt: skip
            for job in jobs:
                fail(job, error)
            return []
        found = {row.command_id: row for row in recorded}
        log.warning(
            "commit_outcome_resolved",
            committed=bool(found),
            commands=len(unknown.command_ids),
            cause=repr(unknown.cause),
        )
        for job in jobs:
            row = found.get(job.command_id)
            if row is not None:
                answer = loads(row.result)
                self._answer(job, Outcome(answer["result"], row.last_position, row.version, answer["events"]))
        if found:
            if any(row.stream == ORGANISATION_ID for row in found.values()):
                self.organisation_writes += 1
            self._committed(max(row.last_position for row in found.values()))
        return [job for job in jobs if job.command_id not in found]

    def _look_up(self, command_ids: list[UUID]) -> list[RecordedCommand]:
        """The recorded ones of ``command_ids``, asked again while the store cannot answer."""
        for attempt in range(1, LOOKUP_ATTEMPTS + 1):
            try:
                return self.recorder.recorded_commands(command_ids)
            except Exception:
                if attempt == LOOKUP_ATTEMPTS:
                    raise
                log.warning("command_lookup_retried", attempt=attempt, error=repr(sys.exc_info()[1]))
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")
