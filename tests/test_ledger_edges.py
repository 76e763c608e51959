"""Edges of the write path: callers who stop waiting, stale caches, replays, scopes, recent instants."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

from domain import commands as c
from domain.access import Action, Principal, Scope
from domain.county import county_id
from domain.errors import Forbidden
from domain.scheme import Scheme
from ruraleval.platform import Platform

CODE = "130425"


def enrolled(platform: Platform, scheme: Scheme) -> None:
    context = c.Context("centre", "setup")
    platform.ledger.publish_scheme(scheme, context)
    platform.ledger.enrol(c.EnrolCounty(CODE, "大名县", "河北省", "east", scheme), context)


def test_a_caller_who_stops_waiting_changes_nothing(memory_platform: Platform, scheme: Scheme) -> None:
    enrolled(memory_platform, scheme)
    ledger = memory_platform.ledger
    gate = threading.Event()
    ledger.execute(CODE, c.SubmitData("1.1", "2023", Decimal(58)), c.Context("t", "0"))  # cached
    original_store = ledger._store

    def held_store(batch: list) -> object:  # type: ignore[type-arg]
        gate.wait(5)
        return original_store(batch)

    ledger._store = held_store  # type: ignore[method-assign]
    first = ledger.submit(CODE, c.AdjustPoints(2023, Decimal(1), "类", "加分", "a1"), c.Context("t", "1"))
    second = ledger.submit(CODE, c.AdjustPoints(2023, Decimal(2), "类", "加分", "a2"), c.Context("t", "2"))
    first.cancel()
    gate.set()
    assert second.result(5).version is not None
    ledger._store = original_store  # type: ignore[method-assign]
    events = [type(e).__name__ for e in ledger.app.events.get(county_id(CODE))]
    assert events.count("PointsAdjusted") <= 2
    adjustments = [a.id for a in ledger.county(CODE).years["2023"].adjustments]
    assert len(adjustments) == len(set(adjustments)), "a command was stored twice"
    after = ledger.execute(CODE, c.SubmitData("2.2", "2023", Decimal(90)), c.Context("t", "3"))
    assert after.version is not None  # the writer lives on


def test_a_refusal_on_a_stale_copy_is_judged_again(
    sqlite_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    first = make_platform(sqlite_url)
    enrolled(first, scheme)
    second = make_platform(sqlite_url)
    context = c.Context("t", "x")
    first.ledger.execute(CODE, c.SubmitData("1.1", "2023", Decimal(58)), context)  # first caches the county
    second.ledger.execute(CODE, c.OverrideScore(2023, "1", Decimal(30), "centre", "核查", "ov-1"), context)
    revoked = first.ledger.execute(CODE, c.RevokeOverride("ov-1", "撤销"), context)
    assert revoked.events == ["OverrideRevoked"]


def test_a_replay_is_answered_as_the_first_time(memory_platform: Platform, scheme: Scheme) -> None:
    enrolled(memory_platform, scheme)
    command = c.SubmitData("1.2", "2023-01", Decimal(5), idempotency_key="k-1")
    first = memory_platform.ledger.execute(CODE, command, c.Context("t", "1"))
    memory_platform.ledger.execute(CODE, c.SubmitData("1.2", "2023-02", Decimal(6)), c.Context("t", "2"))
    again = memory_platform.ledger.execute(CODE, command, c.Context("t", "3"))
    assert (again.version, again.events, again.result["replayed"]) == (first.version, [], True)


def test_a_person_answering_for_two_departments_writes_for_both(memory_platform: Platform, scheme: Scheme) -> None:
    enrolled(memory_platform, scheme)
    admin = c.Context("admin", "r")
    for indicator, department in (("1.1", "农业局"), ("2.2", "水利局")):
        memory_platform.ledger.execute(CODE, c.AssignResponsibility(indicator, department), admin)
    county = frozenset([CODE])
    both = Principal(
        "two.hats", (Scope("department_user", county, "农业局"), Scope("department_user", county, "水利局"))
    )
    context = c.Context("two.hats", "w", data_scope=both.data_scope(Action.SUBMIT_DATA, CODE))
    for indicator in ("1.1", "2.2"):
        memory_platform.ledger.execute(CODE, c.SubmitData(indicator, "2023", Decimal(60)), context)
    try:
        memory_platform.ledger.execute(CODE, c.SubmitData("1.2", "2023-01", Decimal(1)), context)
    except Forbidden as refused:
        assert refused.problems[0].rule == "indicator_in_scope"
    else:
        raise AssertionError("an indicator of no department of theirs was accepted")
