"""The national run's history, written fast: the ledger's own events, many counties per transaction.

Each county's commands go through the County aggregate's domain handlers (``County.enrol``,
``County.handle``), exactly as the ledger's writer applies them, so the events, their hash
chain and the commands' identity rows are those the ledger would store. What the ledger adds
for an online service is left out, because nothing here needs it: the writer thread, its queue
and cache, and a transaction per handful of commands. Instead each process builds the whole
history of a chunk of counties in memory and stores it in one transaction, through the store's
own write lock (``hold()``) and ``Application.save``; two processes (one per core) take
disjoint counties. Snapshots are taken every ``SNAPSHOT_INTERVAL`` events of a county, as the
writer does after its commits.

History is recorded at chosen instants (as the demo's is): a month's values on the first days
of the next month, its corrections mid-month, so that an as-of read anywhere in 2023 or 2024
sees the figures known then.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from bench import scheme
from bench.progress import progress
from domain import commands as c
from domain.county import County
from domain.errors import DomainError
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from ruraleval.commit_order import CommandRow
from ruraleval.ledger import EvaluationApplication, Ledger
from ruraleval.sequencing import RECORDER_TOPICS, sequenced
from ruraleval.settings import parse_database_url
from ruraleval.transcoder import dumps
from ruraleval.writer_delivery import SNAPSHOT_INTERVAL

CORRECTED_ONE_IN = 20
OVERRIDDEN_ONE_IN = 10
YEARS = (2023, 2024)
COUNTIES_PER_COMMIT = 10
ACTOR = "bench.national"
EPOCH = datetime(2022, 12, 1, tzinfo=UTC)  # the schemes are published then


EPOCH_2023 = datetime(2023, 1, 1, tzinfo=UTC)  # the counties are enrolled then


def month_after(year: int, month: int) -> datetime:
    """The first day of the month after: when a month's values are imported."""
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


Command = c.EnrolCounty | c.CountyCommand


def county_commands(code: str, index: int, indicators: Sequence[str], schemes: dict[int, Scheme],
                    seed: int) -> Iterator[tuple[Command, c.Context]]:  # fmt: skip
    """A county's two years, as the commands an import would send and the instants they are recorded at:
    enrolment, 24 monthly imports, their corrections, perhaps an override."""
    body = scheme.county_body(code)
    local = random.Random(f"{seed}-{code}")
    offset = timedelta(seconds=index * 7)  # counties report one after another

    def at(moment: datetime) -> c.Context:
        return c.Context(ACTOR, f"n-{code}", recorded_at=moment + offset)

    yield c.EnrolCounty(code, body["name"], body["province"], body["region"], schemes[2023]), at(EPOCH_2023)
    yield c.AdoptScheme(schemes[2024]), at(datetime(2023, 12, 20, tzinfo=UTC))
    for year in YEARS:
        for month in range(1, 13):  # a month's 30 values in one command, as an import is
            period = f"{year}-{month:02d}"
            submitted = month_after(year, month)
            values = {indicator: Decimal(f"{local.uniform(55, 98):.2f}") for indicator in indicators}
            rows = tuple(c.BatchRow(n, i, period, v) for n, (i, v) in enumerate(values.items(), start=1))
            yield c.SubmitBatch(rows, "import", f"{code}-{period}", period), at(submitted)
            corrected = tuple(c.BatchRow(n, i, period, v + 1, reason="更正")
                              for n, (i, v) in enumerate(values.items(), start=1)
                              if local.randrange(CORRECTED_ONE_IN) == 0)  # fmt: skip
            if corrected:
                key = f"{code}-{period}-fix"
                yield (c.SubmitBatch(corrected, "import", key, key, may_correct=True),
                       at(submitted + timedelta(days=14)))  # fmt: skip
    if local.randrange(OVERRIDDEN_ONE_IN) == 0:
        override = c.OverrideScore(2023, "total", Decimal(local.randint(70, 95)), "province", "省级核查", f"o-{code}")
        yield override, at(datetime(2024, 2, 1, tzinfo=UTC))


class CountyHistory:
    """A county's aggregate after its commands, with the command rows the ledger records beside its events."""

    def __init__(self, commands: Iterable[tuple[Command, c.Context]]) -> None:
        self.aggregate: County | None = None
        self.commands: list[CommandRow] = []
        for command, context in commands:
            if isinstance(command, c.EnrolCounty):
                self.aggregate = County.enrol(command, context)
                self._row(0, {"code": command.code})
            else:
                self._run(command, context)

    def _run(self, command: c.CountyCommand, context: c.Context) -> None:
        county = self.aggregate
        assert county is not None
        before = len(county.pending_events)
        try:
            result = county.handle(command, context)
        except DomainError:
            if len(county.pending_events) != before:  # the ledger would redo the batch without it
                raise
            return  # refused: the ledger records nothing either (a refusal is no part of the run)
        self._row(before, result)

    def _row(self, before: int, result: dict[str, Any]) -> None:
        county = self.aggregate
        assert county is not None
        events = [type(event).__name__ for event in county.pending_events[before:]]
        if events:
            version = county.version
            self.commands.append(CommandRow(uuid4(), county.id, version - len(events) + 1, version,
                                            dumps({"result": result, "events": events})))  # fmt: skip


# ------------------------------------------------------------------ in a worker process

_worker: tuple[EvaluationApplication, Any, dict[int, Scheme], list[str], int] | None = None


def _open(url: str, documents: dict[int, dict[str, Any]], indicators: list[str], seed: int) -> None:
    global _worker
    store = parse_database_url(url)
    env = store.eventsourcing_env()
    env["APPLICATION_RECORDER_TOPIC"] = RECORDER_TOPICS[store.kind]
    env["CREATE_TABLE"] = "n"  # the parent made the tables: processes creating them at once clash
    app = EvaluationApplication(env=env)
    schemes = {year: parse_scheme(document) for year, document in documents.items()}
    _worker = (app, sequenced(app.recorder), schemes, indicators, seed)


def _write_chunk(chunk: list[tuple[int, str]]) -> tuple[int, float]:
    """Builds and stores a chunk of counties in one transaction; (events, CPU seconds)."""
    assert _worker is not None
    app, recorder, schemes, indicators, seed = _worker
    began = time.process_time()
    counties = [CountyHistory(county_commands(code, index, indicators, schemes, seed)) for index, code in chunk]
    aggregates = [county.aggregate for county in counties if county.aggregate is not None]
    histories = [list(aggregate.pending_events) for aggregate in aggregates]
    with recorder.hold() as hold:
        hold.commands = [row for county in counties for row in county.commands]
        recordings = app.save(*aggregates)
    snapshots = [snapshot for events in histories for snapshot in snapshots_of(app, events)]
    if snapshots:
        assert app.snapshots is not None
        app.snapshots.recorder.insert_events(snapshots)
    return len(recordings), time.process_time() - began


def snapshots_of(app: EvaluationApplication, events: list[Any]) -> Iterator[StoredEvent]:
    """The snapshots the writer takes after its commits (every ``SNAPSHOT_INTERVAL`` events of a
    county), from the events replayed in memory rather than read back: each is encoded when taken."""
    state: Any = None
    for event in events:
        state = event.mutate(state)
        if event.originator_version % SNAPSHOT_INTERVAL == 0:
            snapshot_class = getattr(type(state), "Snapshot", type(app).snapshot_class)
            assert snapshot_class is not None
            yield app.mapper.to_stored_event(snapshot_class.take(state))


def chunks(codes: Sequence[str], size: int) -> Iterator[list[tuple[int, str]]]:
    numbered = list(enumerate(codes))
    for start in range(0, len(numbered), size):
        yield numbered[start : start + size]


@contextmanager
def _writers(
    url: str, documents: dict[int, dict[str, Any]], indicators: list[str], seed: int, processes: int
) -> Iterator[Callable[[Iterable[list[tuple[int, str]]]], Iterator[tuple[int, float]]]]:
    """Writes chunks in a pool of spawned processes, or in this one when given one process (a test)."""
    global _worker
    if processes <= 1:
        _open(url, documents, indicators, seed)
        try:
            yield lambda chunks: map(_write_chunk, chunks)
        finally:
            assert _worker is not None
            _worker[0].close()
            _worker = None
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_open,
                             initargs=(url, documents, indicators, seed)) as pool:  # fmt: skip
        yield lambda chunks: pool.map(_write_chunk, chunks)


def generate(url: str, counties: int, seed: int, documents: dict[int, dict[str, Any]], indicators: list[str],
             processes: int) -> dict[str, Any]:  # fmt: skip
    """Writes the schemes (through the ledger) and every county's history (in ``processes``)."""
    began = time.perf_counter()
    ledger = Ledger(parse_database_url(url))  # creates the tables, publishes the schemes
    try:
        setup = c.Context(ACTOR, "national-setup", recorded_at=EPOCH)
        for year in YEARS:
            ledger.publish_scheme(parse_scheme(documents[year]), setup)
    finally:
        ledger.close()
    codes = scheme.county_codes(counties)
    events, cpu, done = 0, 0.0, 0
    with _writers(url, documents, indicators, seed, processes) as write:
        for chunk, (written, seconds) in zip(
            chunks(codes, COUNTIES_PER_COMMIT), write(chunks(codes, COUNTIES_PER_COMMIT)), strict=True
        ):
            events, cpu, done = events + written, cpu + seconds, done + len(chunk)
            if done % max(COUNTIES_PER_COMMIT, counties // 20 // COUNTIES_PER_COMMIT * COUNTIES_PER_COMMIT) == 0:
                elapsed = time.perf_counter() - began
                progress(f"national: {done}/{counties} counties, {events:,} events in {elapsed:.0f} s, "
                         f"ETA {elapsed / done * (counties - done):.0f} s")  # fmt: skip
    seconds = time.perf_counter() - began
    return {
        "events": events + 2,
        "seconds": round(seconds, 1),
        "events_per_s": round(events / seconds, 1),
        "processes": processes,
        "worker_cpu_seconds": round(cpu, 1),
        "worker_cpu_us_per_event": round(cpu / max(1, events) * 1e6, 1),
    }
