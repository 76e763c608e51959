"""The log read stream by stream, as a rebuild partition reads it: every store gives each
stream's events up to a position, in version order, with the positions the log gave them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain import commands as c
from domain.scheme import Scheme
from ruraleval.platform import Platform

CODES = ("130425", "130426", "130427")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_platform(request: pytest.FixtureRequest, make_platform: Callable[[str], Platform]) -> Platform:
    url = "memory://" if request.param == "memory" else request.getfixturevalue(f"{request.param}_url")
    return make_platform(url)


def interleaved(platform: Platform, scheme: Scheme) -> None:
    """Three counties whose events alternate in the log."""
    context = c.Context("centre", "setup")
    platform.ledger.publish_scheme(scheme, context)
    for code in CODES:
        platform.ledger.enrol(c.EnrolCounty(code, f"县{code}", "河北省", "east", scheme), context)
    for month in range(1, 7):
        for number, code in enumerate(CODES):
            command = c.SubmitData("1.2", f"2023-{month:02d}", Decimal(10 * month + number))
            platform.ledger.execute(code, command, c.Context("tester", f"{code}-{month}"))


def test_each_stream_reads_back_as_the_log_holds_it(any_platform: Platform, scheme: Scheme) -> None:
    interleaved(any_platform, scheme)
    ledger = any_platform.ledger
    head = ledger.head()
    whole = ledger.read(0, head)
    assert len(whole) == head
    until = whole[-4][0]  # the last few events are after it
    expected: dict[UUID, list[tuple[int, Any]]] = {}
    for position, event in whole:
        if position <= until:
            expected.setdefault(event.originator_id, []).append((position, event))

    assert sorted(ledger.streams_until(until)) == sorted((s, len(e)) for s, e in expected.items())
    for stream, events in expected.items():
        read = ledger.stream_events(stream, until, 0, 1000)
        assert [(p, e.originator_version, type(e)) for p, e in read] == [
            (p, e.originator_version, type(e)) for p, e in events
        ]
        assert [p for p, _ in read] == sorted(p for p, _ in read), "version order is the positions' order"


def test_a_stream_reads_in_pieces_after_a_version(any_platform: Platform, scheme: Scheme) -> None:
    interleaved(any_platform, scheme)
    ledger = any_platform.ledger
    head = ledger.head()
    stream = next(event.originator_id for _, event in ledger.read(0, head) if hasattr(event, "code"))
    whole = ledger.stream_events(stream, head, 0, 1000)
    assert len(whole) >= 7
    first, rest = ledger.stream_events(stream, head, 0, 3), ledger.stream_events(stream, head, 3, 1000)
    assert [p for p, _ in first + rest] == [p for p, _ in whole]
    assert [e.originator_version for _, e in first] == [1, 2, 3]
    up_to_third = ledger.stream_events(stream, whole[2][0], 0, 1000)
    assert [p for p, _ in up_to_third] == [p for p, _ in whole[:3]], "nothing past the position asked"
    assert ledger.streams_until(0) == []
