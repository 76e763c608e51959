"""The national bench's fast history (``bench.national_history``) stores what the ledger would:
the same events, hash chains that verify, snapshots, and read models that a rebuild makes equal
to those the ledger's own path keeps incrementally."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import orjson
import psycopg
import pytest

from bench.national import codes, document
from bench.national_history import ACTOR, EPOCH, YEARS, county_commands, generate
from bench.scheme import county_codes
from domain import commands as c
from domain.errors import DomainError
from domain.scheme_reading import parse_scheme
from ruraleval.audit import verify
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.conftest import postgres_database
from tests.test_processes import read_model_rows

pytestmark = pytest.mark.postgres
COUNTIES = 2
SEED = 7


def stored(url: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table}"
            " ORDER BY originator_id, originator_version"
        ).fetchall()
    return [tuple(row) for row in rows]


def without_timestamp(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*row[:3], {k: v for k, v in orjson.loads(row[3]).items() if k != "timestamp"}) for row in rows]


def through_the_ledger(url: str) -> dict[str, Any]:
    """The same commands sent one by one through the platform's ledger; its incremental read models."""
    schemes = {year: parse_scheme(document(year)) for year in YEARS}
    platform = Platform(parse_database_url(url))
    try:
        for year in YEARS:
            platform.ledger.publish_scheme(schemes[year], c.Context(ACTOR, "national-setup", recorded_at=EPOCH))
        for index, code in enumerate(county_codes(COUNTIES)):
            for command, context in county_commands(code, index, codes(), schemes, SEED):
                if isinstance(command, c.EnrolCounty):
                    platform.ledger.enrol(command, context)
                else:
                    with suppress(DomainError):  # a refusal records nothing on either path
                        platform.ledger.execute(code, command, context)
        platform.projections.catch_up()
        return read_model_rows(platform)
    finally:
        platform.close()


def test_the_fast_national_history_is_what_the_ledger_stores(postgres_url: str) -> None:
    documents = {year: document(year) for year in YEARS}
    # One process: the bench's pool runs the same code in two.
    generated = generate(postgres_url, COUNTIES, SEED, documents, codes(), processes=1)
    with postgres_database() as ledger_url:
        incremental = through_the_ledger(ledger_url)
        assert incremental["county_totals"], "the history produced scores"
        events = stored(postgres_url, "ruraleval_events")
        assert events == stored(ledger_url, "ruraleval_events"), "the same events, byte for byte, in the same order"
        assert len(events) == generated["events"]
        snapshots = stored(postgres_url, "ruraleval_snapshots")
        assert snapshots, "snapshots every 100 events of a county, as the writer takes them"
        assert without_timestamp(snapshots) == without_timestamp(stored(ledger_url, "ruraleval_snapshots"))

    platform = Platform(parse_database_url(postgres_url))
    try:
        checked = verify(platform.ledger)
        assert checked.ok and not checked.problems
        assert checked.events_checked == len(events) - len(YEARS)  # every county event (the schemes have no chain)
    finally:
        platform.close()
    platform = Platform(parse_database_url(postgres_url), projections="external")
    try:  # the bench's partitioned rebuild is the same replay in processes (tests/test_partitioned_rebuild.py)
        assert platform.projections.rebuild() == len(events)
        assert read_model_rows(platform) == incremental
    finally:
        platform.close()
