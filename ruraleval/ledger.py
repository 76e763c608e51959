"""The evaluation ledger: executes commands on county streams and stores their events.

All writes of a process pass through one writer thread (``ruraleval.writer``): it
applies the waiting commands and stores the events of the whole batch in one
transaction, and answers callers only after that commit, so an acknowledged command is
durable. When another process wrote to the same county first, the store refuses the
batch as a whole; the writer then reloads and retries each command on its own, and
answers 409 if it still conflicts. A commit whose outcome was lost is settled by
looking its commands up (ADR 22).

Recorded time follows commit order (ADR 16): the writer loads what it needs first, then
takes the store's write lock, stamps the batch, applies it, inserts and commits while
holding it (``ruraleval.sequencing``). ``settle(T)`` is the readers' side: afterwards no
event stamped at or before T can still commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, EventStore, Transcoder
from eventsourcing.popo import POPOFactory
from eventsourcing.postgres import PostgresFactory

from domain import commands as c
from domain.county import County, county_id
from domain.errors import ConflictError, NotFound
from domain.organisation import ORGANISATION_ID, Organisation
from domain.scheme import Scheme
from domain.schemes import PublishedScheme, scheme_stream_id
from domain.verification import TownVerification, verification_id
from domain.verification_commands import OpenVerification, VerificationCommand
from domain.verification_handlers import handle as handle_verification
from domain.verification_handlers import open_verification
from ruraleval.sequencing import RECORDER_TOPICS, SequencedPOPORecorder, micros, sequenced
from ruraleval.sequencing_postgres import PostgresSnapshotRecorder
from ruraleval.settings import Store
from ruraleval.transcoder import OrjsonTranscoder
from ruraleval.writer import BatchWriter, Clock
from ruraleval.writer_jobs import Apply, Outcome

__all__ = ["Apply", "Clock", "EvaluationApplication", "Ledger", "Outcome", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class EvaluationApplication(Application[UUID]):
    """The eventsourcing application: event store, snapshots and notification log."""

    name = "RuralEval"
    # Snapshots are taken by the ledger after each commit (see ruraleval.writer_delivery),
    # so that a failing snapshot can never be mistaken for a failed write.
    is_snapshotting_enabled = True

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_recorder(self) -> ApplicationRecorder:
        """A recorder that stamps in commit order (the SQL stores get theirs by topic, see ``Ledger``)."""
        if isinstance(self.factory, POPOFactory):
            return SequencedPOPORecorder()
        return super().construct_recorder()

    def construct_snapshot_store(self) -> EventStore[Any]:
        """On PostgreSQL, snapshots written with a binary parameter (``PostgresSnapshotRecorder``)."""
        if not isinstance(self.factory, PostgresFactory):
            return super().construct_snapshot_store()
        table = f"{self.factory.env.name.lower() or 'stored'}_snapshots"  # the library's name for it
        recorder = PostgresSnapshotRecorder(self.factory.datastore, events_table_name=table)
        if self.factory.env_create_table():
            recorder.create_table()
        return self.factory.event_store(mapper=self.mapper, recorder=recorder)


class Ledger(BatchWriter):
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
        self.recorder = sequenced(self.app.recorder)
        self._start_writer(clock, cache_size, batch_limit)

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

    def open_verification(self, code: str, command: OpenVerification, context: c.Context) -> Outcome:
        """Starts a county's verification of its towns for the scheme's year (ADR 27)."""
        name = self.county(code).name
        year = command.scheme.year

        def apply(existing: Aggregate | None, ctx: c.Context) -> tuple[Aggregate, dict[str, Any]]:
            if existing is not None:
                raise ConflictError.of("year", "one_verification_per_year", f"{name} {year} 年度的核查已经开始")
            return open_verification(code, name, command, ctx), {"county": code, "year": year}

        return self._run(verification_id(code, year), apply, context, "OpenVerification", f"verification:{code}/{year}")

    def verify_towns(self, code: str, year: int, command: VerificationCommand, context: c.Context) -> Future[Outcome]:
        """Queues a command on a county's verification year; resolves once its events are stored."""

        def apply(existing: Aggregate | None, ctx: c.Context) -> tuple[Aggregate, dict[str, Any]]:
            verification = _require_verification(existing, code, year)
            return verification, handle_verification(verification, command, ctx)

        stream = verification_id(code, year)
        return self._enqueue(stream, apply, context, type(command).__name__, f"verification:{code}/{year}")

    def town_verification(self, code: str, year: int) -> TownVerification:
        """A county's verification year as stored; 404 when it was never opened."""
        try:
            found: Any = self.app.repository.get(verification_id(code, year))
        except AggregateNotFoundError:
            raise _verification_not_found(code, year) from None
        assert isinstance(found, TownVerification)
        return found

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

    def streams_until(self, until: int) -> list[tuple[UUID, int]]:
        """Every stream with events at positions up to ``until``, and how many it has there."""
        return self.recorder.streams_until(until)

    def stream_events(self, stream: UUID, until: int, after_version: int, limit: int) -> list[tuple[int, Any]]:
        """Up to ``limit`` (position, event) pairs of ``stream`` after ``after_version``, up to position
        ``until``, in version order: a rebuild partition replays its counties one after the other."""
        to_event = self.app.mapper.to_domain_event
        stored = self.recorder.stream_events(stream, until, after_version, limit)
        return [(position, to_event(event)) for position, event in stored]

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

    def head(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return self.app.recorder.max_notification_id() or 0

    def close(self) -> None:
        self._stop_writer()
        self.app.close()

    # -------------------------------------------------------------- internals

    def _run(self, stream: UUID, apply: Apply, context: c.Context, label: str, subject: str) -> Outcome:
        return self._enqueue(stream, apply, context, label, subject).result()


def _county_not_found(code: str) -> NotFound:
    return NotFound.of("code", "known_county", f"行政区划代码为 {code} 的县尚未入选评估")


def _require_county(aggregate: Aggregate | None, code: str) -> County:
    if aggregate is None:
        raise _county_not_found(code)
    assert isinstance(aggregate, County)
    return aggregate


def _verification_not_found(code: str, year: int) -> NotFound:
    return NotFound.of("year", "known_verification", f"县 {code} 尚未开始 {year} 年度的镇级核查")


def _require_verification(aggregate: Aggregate | None, code: str, year: int) -> TownVerification:
    if aggregate is None:
        raise _verification_not_found(code, year)
    assert isinstance(aggregate, TownVerification)
    return aggregate


def _require_scheme(aggregate: Aggregate | None, scheme_id: str) -> PublishedScheme:
    if aggregate is None:
        raise NotFound.of("id", "known_scheme", f"找不到编号为“{scheme_id}”的评估方案")
    assert isinstance(aggregate, PublishedScheme)
    return aggregate
