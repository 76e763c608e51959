"""Storage: exact serialisation, snapshots, and the one setting that chooses the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain import commands as c
from domain.county import County, county_id
from domain.scheme import Scheme
from domain.scoring import score_year
from ruraleval.platform import Platform
from ruraleval.settings import ConfigurationError, parse_database_url
from ruraleval.transcoder import OrjsonTranscoder

CODE = "522325"


def test_transcoder_keeps_exact_types(scheme: Scheme) -> None:
    transcoder = OrjsonTranscoder()
    original = {
        "value": Decimal("0.1"),
        "big": Decimal("12345678901234567890.123456789"),
        "when": datetime(2024, 1, 15, 8, tzinfo=UTC),
        "scheme": scheme,
        "nested": [{"weight": Decimal("33.33")}],
    }
    restored = transcoder.decode(transcoder.encode(original))
    assert restored == original
    assert isinstance(restored["value"], Decimal)
    assert isinstance(restored["scheme"], Scheme)


def resubmission(period: str, value: Decimal, key: str | None = None) -> c.SubmitData:
    """A value sent again for a period: a correction once one stands."""
    return c.SubmitData("1.2", period, value, reason="重报", may_correct=True, idempotency_key=key)


def enrolled(platform: Platform, scheme: Scheme, correlation: str) -> tuple[Platform, c.Context]:
    """The platform with the scheme published and the county enrolled, and the context used."""
    context = c.Context("tester", correlation)
    platform.ledger.publish_scheme(scheme, context)
    platform.ledger.enrol(c.EnrolCounty(CODE, "贞丰县", "贵州省", "west", scheme), context)
    return platform, context


def test_snapshots_load_the_same_county_as_a_full_replay(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    platform, context = enrolled(make_platform(store_url), scheme, "snap")
    futures = [
        platform.ledger.submit(CODE, resubmission(f"2023-{n % 12 + 1:02d}", Decimal(50 + n % 7), f"k-{n}"), context)
        for n in range(250)
    ]
    for future in futures:
        future.result()
    app = platform.ledger.app
    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(county_id(CODE)))
    assert [snapshot.originator_version for snapshot in snapshots] == [100, 200]

    from_snapshot = platform.ledger.county(CODE)
    replayed: County | None = None
    for event in app.events.get(county_id(CODE)):
        replayed = event.mutate(replayed)  # type: ignore[assignment]
    assert replayed is not None and from_snapshot.version == replayed.version == 251
    assert score_year(from_snapshot.years["2023"]) == score_year(replayed.years["2023"])
    assert from_snapshot.years["2023"].data == replayed.years["2023"].data
    assert len(replayed.idempotency) == 12, "the first value of each month was keyed"
    assert from_snapshot.idempotency == replayed.idempotency
    assert from_snapshot.keyed_submission == replayed.keyed_submission
    assert replayed.keyed_submission is not None and replayed.keyed_submission[:2] == ["k-11", "snap"]


def test_a_snapshot_after_a_commit_is_the_replayed_county_and_reads_no_events_back(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    """The writer snapshots the county it holds (just committed) instead of reading its events back."""
    platform, context = enrolled(make_platform(store_url), scheme, "snap-held")
    for n in range(98):  # one command a batch: version 99
        platform.ledger.execute(CODE, resubmission(f"2023-{n % 12 + 1:02d}", Decimal(50 + n % 7)), context)
    app = platform.ledger.app
    reads: list[object] = []
    select_events = app.recorder.select_events

    def counted(*args: object, **kwargs: object) -> object:
        reads.append(args)
        return select_events(*args, **kwargs)  # type: ignore[arg-type]

    app.recorder.select_events = counted  # type: ignore[method-assign]
    try:
        platform.ledger.execute(CODE, resubmission("2023-03", Decimal(77)), context)  # version 100
    finally:
        app.recorder.select_events = select_events  # type: ignore[method-assign]
    assert reads == []
    assert app.snapshots is not None
    [snapshot] = list(app.snapshots.get(county_id(CODE)))
    replayed: County | None = None
    for event in app.events.get(county_id(CODE)):
        replayed = event.mutate(replayed)  # type: ignore[assignment]
    assert replayed is not None and snapshot.originator_version == replayed.version == 100
    assert snapshot.state == type(snapshot).take(replayed).state
    assert platform.ledger.county(CODE).years["2023"].data == replayed.years["2023"].data


def test_county_as_it_stood_at_a_version(memory_platform: Platform, scheme: Scheme) -> None:
    context = c.Context("tester", "versions")
    memory_platform.ledger.publish_scheme(scheme, context)
    memory_platform.ledger.enrol(c.EnrolCounty(CODE, "贞丰县", "贵州省", "west", scheme), context)
    memory_platform.ledger.execute(CODE, c.SubmitData("2.2", "2023", Decimal(90)), context)
    memory_platform.ledger.execute(CODE, c.CorrectData("2.2", "2023", Decimal(96), "更正"), context)
    assert memory_platform.ledger.county(CODE, version=2).years["2023"].data["2.2"]["2023"].value == 90
    assert memory_platform.ledger.county(CODE).years["2023"].data["2.2"]["2023"].value == 96


@pytest.mark.parametrize(
    ("url", "kind", "detail"),
    [
        ("memory://", "memory", ""),
        ("sqlite:///ruraleval.db", "sqlite", "ruraleval.db"),
        ("sqlite:////var/lib/ruraleval/data.db", "sqlite", "/var/lib/ruraleval/data.db"),
        ("postgresql://eval:s%40cret@db.local:6543/ruraleval", "postgresql", "db.local"),
    ],
)
def test_database_url_chooses_the_store(url: str, kind: str, detail: str) -> None:
    store = parse_database_url(url)
    assert store.kind == kind
    assert detail in (store.path or store.host or "")
    if kind == "postgresql":
        assert store.password == "s@cret"
        assert store.port == 6543
        assert "s@cret" not in store.redacted() and "s%40cret" not in store.redacted()
        assert store.eventsourcing_env()["POSTGRES_DBNAME"] == "ruraleval"


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host/", "sqlite:///"])
def test_unsupported_database_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_database_url(url)
