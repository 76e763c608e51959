"""Loading one county with many events, straight from the repository (no writer cache)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

from bench import scheme
from bench.stats import Summary
from domain import commands as c
from domain.county import county_id
from ruraleval.ledger import Ledger
from ruraleval.settings import parse_database_url

CODE = "659999"  # a county code of the last province (enrolment checks the digits)
ACTOR = "bench.loader"


@dataclass
class AggregateResult:
    events: int
    version: int
    snapshots: int
    build_seconds: float
    latest_ms: Summary  # repository.get(): latest snapshot plus the events after it
    tail_ms: Summary  # the worst case for snapshots: a version 99 events past one
    tail_version: int
    replay_ms: Summary  # every event from the start, no snapshot store

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "version": self.version,
            "snapshots": self.snapshots,
            "build_seconds": round(self.build_seconds, 3),
            "build_events_per_s": round(self.events / self.build_seconds, 1) if self.build_seconds else None,
            "latest_ms": self.latest_ms.to_json(),
            "tail_version": self.tail_version,
            "tail_ms": self.tail_ms.to_json(),
            "replay_ms": self.replay_ms.to_json(),
        }


def _timed(load: Callable[[], Any], samples: int) -> Summary:
    durations = []
    for _ in range(samples):
        began = time.perf_counter()
        load()
        durations.append(time.perf_counter() - began)
    return Summary.of(durations).scaled(1000)


def build(ledger: Ledger, events: int) -> float:
    """Enrols one county and records ``events - 1`` (re)submissions through the writer."""
    published = ledger.scheme(scheme.SCHEME_ID)
    began = time.perf_counter()
    enrol = c.EnrolCounty(CODE, "基准大县", "新疆维吾尔自治区", "west", published.scheme)
    ledger.enrol(enrol, c.Context(ACTOR, f"bench-enrol-{CODE}"))
    codes = scheme.indicator_codes()
    futures = []
    for index in range(events - 1):
        indicator = codes[index % len(codes)]
        month = (index // len(codes)) % 12 + 1
        value = Decimal(10 + index % 50) if scheme.aggregate_of(indicator) == "sum" else Decimal(60 + index % 40)
        # From the second year round on a period holds a value: sending another is a correction.
        command = c.SubmitData(indicator, scheme.period(month), value, reason="基准重报", may_correct=True)
        futures.append(ledger.submit(CODE, command, c.Context(ACTOR, f"bench-load-{index}")))
    for future in futures:
        future.result(timeout=600)
    return time.perf_counter() - began


def measure(url: str, events: int, samples: int, replay_samples: int) -> AggregateResult:
    ledger = Ledger(parse_database_url(url))
    try:
        build_seconds = build(ledger, events)
        app = ledger.app
        stream: UUID = county_id(CODE)
        version: int = app.repository.get(stream).version
        snapshots = len(list(app.snapshots.get(stream))) if app.snapshots is not None else 0
        tail_version = max(version - version % 100 - 1, 1)
        latest = _timed(lambda: app.repository.get(stream), samples)
        tail = _timed(lambda: app.repository.get(stream, version=tail_version), samples)
        no_snapshots: Repository[UUID] = Repository(app.events)
        replay = _timed(lambda: no_snapshots.get(stream), replay_samples)
        return AggregateResult(events, version, snapshots, build_seconds, latest, tail, tail_version, replay)
    finally:
        ledger.close()
