"""Tamper evidence: events changed, removed or reordered in the database are named."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import orjson
import psycopg

from domain import commands as c
from domain.county import county_id
from domain.scheme import Scheme
from ruraleval.audit import DigestNotRecorded, InvalidDigest, digest, verify
from ruraleval.platform import Platform
from tests.test_cli import ruraleval
from tests.test_projections import COUNTIES, load_history

TARGET = COUNTIES[1]


@contextmanager
def raw_events(url: str) -> Iterator[tuple[Any, str, str]]:
    """A direct connection to the event table, as someone with database access has."""
    if url.startswith("sqlite"):
        connection: Any = sqlite3.connect(url[len("sqlite:///") :])
        yield connection, "stored_events", "?"
    else:
        connection = psycopg.connect(url)
        yield connection, "ruraleval_events", "%s"
    connection.commit()
    connection.close()


def stream_key(url: str, code: str) -> Any:
    return county_id(code).hex if url.startswith("sqlite") else county_id(code)


def change_payload(url: str, code: str, version: int, change: Callable[[dict[str, Any]], None]) -> None:
    with raw_events(url) as (connection, table, mark):
        where = f"originator_id = {mark} AND originator_version = {mark}"
        row = connection.execute(
            f"SELECT state FROM {table} WHERE {where}", (stream_key(url, code), version)
        ).fetchone()
        state = orjson.loads(bytes(row[0]))
        change(state)
        connection.execute(
            f"UPDATE {table} SET state = {mark} WHERE {where}", (orjson.dumps(state), stream_key(url, code), version)
        )


def delete_event(url: str, code: str, version: int) -> None:
    with raw_events(url) as (connection, table, mark):
        connection.execute(
            f"DELETE FROM {table} WHERE originator_id = {mark} AND originator_version = {mark}",
            (stream_key(url, code), version),
        )


def test_untouched_history_verifies_clean(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    platform = make_platform(store_url)
    load_history(platform, scheme)
    result = verify(platform.ledger)
    assert result.ok and result.problems == []
    assert result.events_checked == platform.ledger.head() - 1  # all but the scheme's own event
    assert result.digest == digest(platform.ledger)  # the one walk gives the digest the auditor writes down
    cli = ruraleval(store_url, "verify")
    assert cli.returncode == 0, cli.stdout + cli.stderr


def test_a_changed_payload_is_named(store_url: str, make_platform: Callable[..., Platform], scheme: Scheme) -> None:
    platform = make_platform(store_url)
    load_history(platform, scheme)

    def inflate(state: dict[str, Any]) -> None:
        state["value"]["v"] = "99"  # a submitted value, quietly raised

    change_payload(store_url, TARGET, 5, inflate)
    result = verify(platform.ledger)
    assert not result.ok
    assert [(p.county, p.version) for p in result.problems] == [(TARGET, 5)]
    assert result.digest == digest(platform.ledger)  # a broken chain's end still counts in the digest
    cli = ruraleval(store_url, "verify")
    assert cli.returncode == 1 and TARGET in cli.stdout


def test_events_recorded_before_the_scheme_said_whose_results_prevail_still_verify(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    """Enrolments stored without ``authorities`` and ``sign`` (ADR 19) are read back on both stores.

    That their hash is the one the code before those fields computed is shown with an event
    it recorded (tests/legacy_enrolled_event.json, in test_authority_and_points).
    """
    platform = make_platform(store_url)
    load_history(platform, scheme)

    def as_recorded_before(state: dict[str, Any]) -> None:
        del state["scheme"]["v"]["authorities"]
        for indicator in state["scheme"]["v"]["indicators"]:
            del indicator["v"]["sign"]

    change_payload(store_url, TARGET, 1, as_recorded_before)
    reopened = make_platform(store_url)
    assert verify(reopened.ledger).ok
    county = reopened.ledger.county(TARGET)
    assert county.years["2023"].scheme.authorities == ["province", "city", "centre", "county"]


def test_a_removed_event_is_named_as_a_gap(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    platform = make_platform(store_url)
    load_history(platform, scheme)
    delete_event(store_url, TARGET, 7)
    problems = verify(platform.ledger).problems
    assert [(p.county, p.version) for p in problems] == [(TARGET, 8)]
    assert "7" in problems[0].what


def test_swapped_events_are_named(sqlite_url: str, make_platform: Callable[..., Platform], scheme: Scheme) -> None:
    platform = make_platform(sqlite_url)
    load_history(platform, scheme)
    with raw_events(sqlite_url) as (connection, table, _):
        rows = {
            version: state
            for version, state in connection.execute(
                f"SELECT originator_version, state FROM {table}"
                " WHERE originator_id = ? AND originator_version IN (4, 5)",
                (stream_key(sqlite_url, TARGET),),
            )
        }
        for version, other in ((4, 5), (5, 4)):
            connection.execute(
                f"UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
                (rows[other], stream_key(sqlite_url, TARGET), version),
            )
    assert [(p.county, p.version) for p in verify(platform.ledger).problems] == [(TARGET, 4)]


def test_a_digest_proves_the_history_behind_it(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    platform = make_platform(store_url)
    load_history(platform, scheme)
    written_down = digest(platform.ledger)
    context = c.Context("tester", "later")
    platform.ledger.execute(TARGET, c.CorrectData("1.2", "2023-12", Decimal(50), "复核后更正"), context)
    later = verify(platform.ledger, written_down)
    assert later.ok and later.digest_matches is True  # appending is allowed

    def inflate(state: dict[str, Any]) -> None:
        state["value"]["v"] = "99"

    change_payload(store_url, COUNTIES[0], 3, inflate)
    tampered = verify(platform.ledger, written_down)
    assert not tampered.ok and tampered.digest_matches is False
    cli = ruraleval(store_url, "verify", "--digest", written_down)
    assert cli.returncode == 1


def test_a_malformed_digest_is_refused(memory_platform: Platform) -> None:
    try:
        verify(memory_platform.ledger, "not-a-digest")
    except InvalidDigest as error:
        assert "re1" in str(error)
    else:
        raise AssertionError("a malformed digest was accepted")


def test_a_digest_is_read_in_either_case_and_one_beyond_the_log_is_not_taken_for_tampering(
    memory_platform: Platform, scheme: Scheme
) -> None:
    load_history(memory_platform, scheme)
    written = digest(memory_platform.ledger)
    prefix, position, hashed = written.split("-")
    assert verify(memory_platform.ledger, f"{prefix}-{position}-{hashed.upper()}").digest_matches is True
    beyond = memory_platform.ledger.head() + 1
    try:
        verify(memory_platform.ledger, f"{prefix}-{beyond}-{hashed}")
    except DigestNotRecorded as error:
        assert f"第 {beyond} 条" in str(error) and "尚未记录" in str(error)
    else:
        raise AssertionError("a digest naming a position not yet recorded was checked")


def test_a_digest_whose_hash_differs_is_told_apart_from_a_broken_chain(
    memory_platform: Platform, scheme: Scheme
) -> None:
    load_history(memory_platform, scheme)
    prefix, position, hashed = digest(memory_platform.ledger).split("-")
    other = "0" * 64 if hashed != "0" * 64 else "1" * 64
    result = verify(memory_platform.ledger, f"{prefix}-{position}-{other}")
    assert result.digest_matches is False and not result.ok
    assert result.problems == []  # every chain is intact: only the heads differ from the digest


def test_verify_over_http(memory_client: Any) -> None:
    clean = memory_client.get("/api/v1/audit/verify")
    assert clean.status_code == 200 and clean.json()["ok"] is True
    written = memory_client.get("/api/v1/audit/digest").json()["digest"]
    assert memory_client.get("/api/v1/audit/verify", params={"digest": written}).json()["digest_matches"] is True
    bad = memory_client.get("/api/v1/audit/verify", params={"digest": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "digest"
    prefix, position, hashed = written.split("-")
    upper = memory_client.get("/api/v1/audit/verify", params={"digest": f"{prefix}-{position}-{hashed.upper()}"})
    assert upper.json()["ok"] is True and upper.json()["digest_matches"] is True
    beyond = memory_client.get("/api/v1/audit/verify", params={"digest": f"{prefix}-{int(position) + 10**6}-{hashed}"})
    assert beyond.status_code == 422
    assert [(e["field"], e["rule"]) for e in beyond.json()["errors"]] == [("digest", "digest_not_recorded")]
    other = "0" * 64 if hashed != "0" * 64 else "1" * 64
    differs = memory_client.get("/api/v1/audit/verify", params={"digest": f"{prefix}-{position}-{other}"}).json()
    assert differs["ok"] is False and differs["digest_matches"] is False and differs["problems"] == []


def test_a_field_added_later_leaves_the_hashes_of_stored_events_unchanged(scheme: Scheme) -> None:
    """``IndicatorDef.county_adjustable`` came after events holding indicators were chained.
    While it holds its default it is not encoded: this hash was computed before it existed."""
    from datetime import UTC, datetime

    from domain.chain import canonical
    from domain.chain import digest as chain_digest
    from domain.scheme import CountyAdjustable

    fields: dict[str, Any] = {"actor": "a", "correlation_id": "c", "previous_hash": "", "code": "130425",
                              "name": "大名县", "province": "河北省", "region": "east", "scheme": scheme}  # fmt: skip
    at = datetime(2023, 5, 20, 1, tzinfo=UTC)
    before_the_field = "ae3684b6076991e9fdfaefd00a4c3ef7acbc806de6fc0ef3569856a9d6627cc7"
    assert chain_digest("County.Enrolled", county_id("130425"), 1, at, fields) == before_the_field
    assert b"county_adjustable" not in canonical("County.Enrolled", county_id("130425"), 1, at, fields)
    # Once set, it is part of the hash like any other field.
    scheme.indicators[0].county_adjustable = CountyAdjustable(Decimal("0.2"), Decimal("0.8"))
    assert b"county_adjustable" in canonical("County.Enrolled", county_id("130425"), 1, at, fields)
    assert chain_digest("County.Enrolled", county_id("130425"), 1, at, fields) != before_the_field
