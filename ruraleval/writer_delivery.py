"""The batch writer after its commit, and its cache of aggregates: the ``Delivery`` mixin.

``BatchWriter`` (``ruraleval.writer``) inherits it. After a commit it takes the snapshots
due, answers the callers, calls the ``on_commit`` hooks, logs, and judges again the
refusals made on a cached copy; none of this can cause a second write of the batch.
The cache keeps the aggregates of the last batches (the least recent dropped first), so the
next batch need not load them from the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate

from domain.county import County
from ruraleval.commit_order import SequencedRecorder
from ruraleval.writer_jobs import Job, Outcome, Settled, fail

log = structlog.get_logger("ruraleval.ledger")

SNAPSHOT_INTERVAL = 100


class Delivery:
    """What follows a commit, and the cache; the state it uses is set up by ``BatchWriter``."""

    app: Application[UUID]
    recorder: SequencedRecorder
    on_commit: list[Callable[[int], None]]
    _cache: OrderedDict[UUID, Aggregate]
    _cache_size: int
    # Defined by BatchWriter: answering notes the position written, and a stale refusal is stored again.
    _answer: Callable[[Job, Outcome], None]
    _store_alone: Callable[[Job], None]

    # ------------------------------------------------------------ after the commit

    def _deliver(self, settled: Settled) -> None:
        """After the commit: snapshots, answers, hooks, logs, and second looks at stale refusals."""
        self._take_snapshots(settled.recordings)  # before the answers: a caller may read the snapshot next
        answered = []
        for job, aggregate, version, result, events in settled.accepted:
            # A command that recorded nothing (a replay, an unchanged value) answers the position of
            # the county as it found it: a read there shows what stands, and for a replay all that
            # the first one recorded (its flag too, after the value's own event). ADR 24.
            position = (
                settled.positions.get((aggregate.id, version)) if events else self._position_of(aggregate.id, version)
            )
            if result.get("replayed"):
                version = result["version"]
            self._answer(job, Outcome(result, position, version, events))
            answered.append((job, events, version, position))
        for job, refusal in settled.refused:
            fail(job, refusal)
        if settled.recordings:
            self._committed(max(r.notification.id for r in settled.recordings))
        for job, events, version, position in answered:  # logged once the callers have their answers
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
        for job, refusal in settled.refused:
            log.info(
                "command_refused",
                command=job.label,
                stream=job.subject,
                rules=[p.rule for p in refusal.problems],
                actor=job.context.actor,
                correlation_id=job.context.correlation_id,
            )
        if settled.recheck:
            self._forget(job.stream for job, _ in settled.recheck)
            for job, _ in settled.recheck:
                self._store_alone(job)

    def _position_of(self, stream: UUID, version: int) -> int | None:
        """Where the event a command found standing is in the log (None if unknown: it is only a hint)."""
        if version < 1:
            return None
        try:
            return self.recorder.position_of(stream, version)
        except Exception:
            log.warning("position_lookup_failed", stream=str(stream), version=version, exc_info=True)
            return None

    def _committed(self, position: int) -> None:
        for hook in list(self.on_commit):
            try:
                hook(position)
            except Exception:
                log.exception("on_commit_hook_failed", hook=getattr(hook, "__qualname__", repr(hook)))

    def _take_snapshots(self, recordings: list[Any]) -> None:
        """Snapshots every SNAPSHOT_INTERVAL events; a failure only costs load time later."""
        for recording in recordings:
            event = recording.domain_event
            if isinstance(event, County.Event) and event.originator_version % SNAPSHOT_INTERVAL == 0:
                try:
                    self._snapshot(event.originator_id, event.originator_version)
                except Exception:
                    log.warning("snapshot_failed", stream=str(event.originator_id), exc_info=True)

    def _snapshot(self, stream: UUID, version: int) -> None:
        """The cached county when it stands at ``version`` (just committed, the store's state):
        reading its events back and replaying them cost the writer a fifth of its time (issue 10).
        A batch that took the county past ``version`` leaves the store to rebuild it."""
        held = self._cache.get(stream)
        if held is None or held.version != version or held.pending_events:
            self.app.take_snapshot(stream, version=version)
            return
        snapshot_class = getattr(type(held), "Snapshot", type(self.app).snapshot_class)
        assert self.app.snapshots is not None and snapshot_class is not None
        self.app.snapshots.put([snapshot_class.take(held)])

    # ------------------------------------------------------------ the cache

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

    def _forget(self, streams: Iterable[UUID]) -> None:
        for stream in streams:
            self._cache.pop(stream, None)
