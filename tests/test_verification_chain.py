"""A verification year's stream is hash-chained as a county's is (ADR 11, 27): stored,
replayed, and a score changed in the database is named by ``verify``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from domain import commands as c
from domain import verification_commands as v
from domain.scheme import Scheme
from domain.verification import verification_id
from domain.verification_state import Member
from ruraleval.audit import verify
from ruraleval.platform import Platform
from ruraleval.replay import verification_as_of
from ruraleval.town_reads import scores
from tests.test_audit_chain import raw_events
from tests.town_world import CONTEXT, example_scheme, items, register_command, registry_bodies

SCHEME = example_scheme()


def verified_year(platform: Platform, scheme: Scheme) -> None:
    ledger = platform.ledger
    ledger.enrol(c.EnrolCounty("130425", "大名县", "河北省", "east", scheme), CONTEXT)
    ledger.open_verification("130425", v.OpenVerification(SCHEME), CONTEXT)

    def run(command: Any) -> None:
        ledger.verify_towns("130425", 2023, command, CONTEXT).result()

    run(register_command(registry_bodies()))
    run(v.FormTeam("1", "第一组", [Member("李四", "T02")]))
    run(v.AssignTeam("1", "T01"))
    run(v.RecordTownScore("s1", "verification", "T01", "county", "2023-12-20", "1", items("T", "85", SCHEME)))


def test_a_verification_year_is_stored_chained_and_replayed(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    platform = make_platform(store_url)
    verified_year(platform, scheme)
    assert verify(platform.ledger).ok
    stored = platform.ledger.town_verification("130425", 2023)
    assert stored.book.scores["s1"].score == 85 and stored.book.teams["1"].town == "T01"
    before = verification_as_of(
        platform.ledger, "130425", 2023, stored.book.scores["s1"].recorded_at - timedelta(0, 0, 1)
    )
    assert before is not None and before.book.scores == {}
    shown = scores(stored, None)["towns"]
    assert next(t for t in shown if t["town"] == "T01")["sheets"]["verification"]["score"] == "85.00"
    assert verification_as_of(platform.ledger, "130425", 2023, datetime(2000, 1, 1, tzinfo=UTC)) is None


def test_a_score_changed_in_the_database_is_named(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    platform = make_platform(store_url)
    verified_year(platform, scheme)
    stream = verification_id("130425", 2023)
    key = stream.hex if store_url.startswith("sqlite") else stream
    with raw_events(store_url) as (connection, table, mark):
        where = f"originator_id = {mark} AND originator_version = {mark}"
        row = connection.execute(f"SELECT state FROM {table} WHERE {where}", (key, 5)).fetchone()
        state = orjson.loads(bytes(row[0]))
        state["score"] = {"__t": "d", "v": "99"}
        connection.execute(f"UPDATE {table} SET state = {mark} WHERE {where}", (orjson.dumps(state), key, 5))
    result = verify(platform.ledger)
    assert not result.ok
    assert [(p.county, p.version) for p in result.problems] == [("130425/2023 镇级核查", 5)]
