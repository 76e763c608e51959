"""Concurrent writers to one county never lose an acknowledged event."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from domain import commands as c
from domain.county import County
from domain.errors import ConflictError
from domain.scheme import Scheme
from ruraleval.platform import Platform

CODE = "130425"


def enrol(platform: Platform, scheme: Scheme) -> None:
    context = c.Context("tester", "setup")
    platform.ledger.publish_scheme(scheme, context)
    platform.ledger.enrol(c.EnrolCounty(CODE, "大名县", "河北省", "east", scheme), context)


def submit_all(platform: Platform, writer: int, count: int) -> list[tuple[int, int]]:
    """Resubmits 1.2 for month 1..12 with values that name the writer and the attempt."""
    acknowledged = []
    for index in range(count):
        value = Decimal(writer * 1000 + index) / 100
        command = c.SubmitData("1.2", f"2023-{index % 12 + 1:02d}", value, reason="重报", may_correct=True)
        try:
            outcome = platform.ledger.execute(CODE, command, c.Context(f"writer-{writer}", f"w{writer}-{index}"))
        except ConflictError:
            continue  # answered 409: the client knows it was not stored
        assert outcome.version is not None
        acknowledged.append((outcome.version, len(outcome.events)))  # a jump also records its flag
    return acknowledged


def test_two_processes_writing_one_county_lose_nothing(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    """Two ledgers on one store stand for two API processes; each has its own cache."""
    first = make_platform(store_url)
    enrol(first, scheme)
    second = make_platform(store_url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda w: submit_all(first if w % 2 else second, w, 40), range(8)))
    acknowledged = [version for versions in results for version, _ in versions]
    assert len(acknowledged) == len(set(acknowledged)), "two commands were acknowledged with one version"
    county = first.ledger.county(CODE)
    assert isinstance(county, County)
    recorded = sum(events for outcomes in results for _, events in outcomes)
    assert county.version == 1 + recorded, "an acknowledged event is missing from the stream"
    assert len(acknowledged) >= 8 * 40 * 0.9  # conflicts are retried; a 409 is the exception


def test_concurrent_requests_share_commits(memory_platform: Platform, scheme: Scheme) -> None:
    enrol(memory_platform, scheme)
    context = c.Context("tester", "burst")
    # every value differs (a correction from the second round on), none by enough to be flagged
    commands = [
        c.SubmitData("1.2", f"2023-{m % 12 + 1:02d}", Decimal(100 + m % 5) + Decimal(m) / 1000, reason="重报",
                     may_correct=True)
        for m in range(200)
    ]  # fmt: skip
    futures = [memory_platform.ledger.submit(CODE, command, context) for command in commands]
    versions = sorted(future.result().version or 0 for future in futures)
    assert versions == list(range(2, 202))
    assert memory_platform.ledger.county(CODE).version == 201


def test_a_refused_command_in_a_batch_does_not_block_the_others(memory_platform: Platform, scheme: Scheme) -> None:
    enrol(memory_platform, scheme)
    context = c.Context("tester", "mixed")
    good = memory_platform.ledger.submit(CODE, c.SubmitData("1.2", "2023-01", Decimal(10)), context)
    bad = memory_platform.ledger.submit(CODE, c.SubmitData("1.2", "2023-01", Decimal(-5)), context)
    also_good = memory_platform.ledger.submit(CODE, c.SubmitData("1.2", "2023-02", Decimal(11)), context)
    assert good.result().version == 2
    assert also_good.result().version == 3
    assert bad.exception() is not None
    assert memory_platform.ledger.county(CODE).version == 3
