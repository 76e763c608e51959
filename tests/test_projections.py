"""Read models: exactly-once after a crash, rebuild equals incremental, read-your-writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain import commands as c
from domain.provinces import province_of
from domain.scheme import Scheme
from projections import queries
from ruraleval.platform import Platform
from tests.conftest import client_for

TABLES = {
    "county_list": "code",
    "node_scores": "county, year, code",
    "county_totals": "county, year",
    "score_history": "county, year, code, version",
    "county_events": "stream, version",
    "warning_facts": "county, year, kind, indicator, period, version",
    "result_rules": "stream, year",
    "score_overrides": "stream, version",
    "point_adjustments": "stream, version",
    "scorecards": "county, year",
    "rectification_items": "county, year, item_id, version",
}
COUNTIES = ["130425", "320583", "411523", "510129"]
REGIONS = ["east", "east", "central", "west"]


def dump(platform: Platform) -> dict[str, list[dict[str, Any]]]:
    """Every row of every read model, in key order."""
    return {table: platform.reads.query(f"SELECT * FROM {table} ORDER BY {key}") for table, key in TABLES.items()}


def load_history(platform: Platform, scheme: Scheme) -> None:
    """A few hundred events over four counties: data, corrections, weights, points, overrides."""
    context = c.Context("tester", "history")
    platform.ledger.publish_scheme(scheme, context)
    for code, region in zip(COUNTIES, REGIONS, strict=True):
        platform.ledger.enrol(c.EnrolCounty(code, f"县{code}", province_of(code), region, scheme), context)
    futures = []
    for index, code in enumerate(COUNTIES):
        for month in range(1, 13):
            value = Decimal(5 + index + month)
            futures.append(platform.ledger.submit(code, c.SubmitData("1.2", f"2023-{month:02d}", value), context))
        for quarter in range(1, 5):
            value = Decimal(28 + index)
            futures.append(platform.ledger.submit(code, c.SubmitData("2.1", f"2023-Q{quarter}", value), context))
        futures.append(platform.ledger.submit(code, c.SubmitData("1.1", "2023", Decimal("58") + index), context))
        futures.append(platform.ledger.submit(code, c.SubmitData("2.2", "2023", Decimal(80 + 5 * index)), context))
    for future in futures:
        future.result()
    platform.ledger.execute(COUNTIES[0], c.CorrectData("1.1", "2023", Decimal("61"), "更正"), context)
    weights = {"1.1": Decimal(30), "1.2": Decimal(20)}
    platform.ledger.execute(COUNTIES[1], c.AdjustWeights("1", weights, "调整"), context)
    platform.ledger.execute(COUNTIES[2], c.AdjustPoints(2023, Decimal(3), "加分", "经验推广", "a1"), context)
    override = c.OverrideScore(2023, "total", Decimal(77), "province", "省级结果", "o1")
    platform.ledger.execute(COUNTIES[3], override, context)
    # Points revoked and overrides restored (ADR 19) in the read models too.
    platform.ledger.execute(COUNTIES[2], c.AdjustPoints(2023, Decimal(4), "加分", "获省级表彰", "a2"), context)
    platform.ledger.execute(COUNTIES[2], c.RevokePoints("a1", "经验推广未获认可"), context)
    platform.ledger.execute(COUNTIES[3], c.OverrideScore(2023, "2.2", Decimal(20), "county", "县级", "o2"), context)
    platform.ledger.execute(COUNTIES[3], c.OverrideScore(2023, "2.2", Decimal(22), "city", "市级", "o3"), context)
    platform.ledger.execute(COUNTIES[3], c.RevokeOverride("o3", "市级结果撤回"), context)


def test_rebuild_equals_incremental(store_url: str, make_platform: Callable[..., Platform], scheme: Scheme) -> None:
    platform = make_platform(store_url)
    platform.projections.batch_size = 7  # many small batches, as a live system sees them
    load_history(platform, scheme)
    for _ in range(5):
        platform.projections.catch_up()
    incremental = dump(platform)
    assert len(incremental["county_totals"]) == len(COUNTIES)
    platform.projections.batch_size = 1000
    platform.projections.rebuild()
    assert dump(platform) == incremental
    assert set(platform.projections.lag().values()) == {0}


CRASHING_RUNNER = textwrap.dedent(
    """
    import os, signal, sys
    from projections.scores import ScoresProjection
    from ruraleval.platform import Platform
    from ruraleval.settings import parse_database_url

    original = ScoresProjection.process
    batches = 0

    def process_then_die(self, sql, events, source):
        global batches
        batches += 1
        if batches == 3:
            original(self, sql, events[: len(events) // 2], source)  # half the batch written...
            os.kill(os.getpid(), signal.SIGKILL)                      # ...and the process dies
        original(self, sql, events, source)

    ScoresProjection.process = process_then_die
    platform = Platform(parse_database_url(sys.argv[1]))
    platform.projections.batch_size = 25
    platform.projections.catch_up()
    """
)


def test_runner_killed_mid_batch_resumes_exactly_once(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    platform = make_platform(store_url)
    load_history(platform, scheme)
    root = Path(__file__).resolve().parent.parent
    env = os.environ | {"PYTHONPATH": str(root)}
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_RUNNER, store_url], env=env, cwd=root, capture_output=True, timeout=120
    )
    assert crashed.returncode == -9, crashed.stderr.decode()
    positions = platform.projections.positions()
    assert positions["scores"] == 50, "the half-written third batch must have been rolled back"
    assert 0 < positions["scores"] < platform.ledger.head()

    platform.projections.catch_up()
    resumed = dump(platform)
    platform.projections.rebuild()
    assert dump(platform) == resumed


def test_read_your_writes_by_position(store_url: str, scheme_document: dict[str, Any]) -> None:
    """Each 2xx write names its log position; a read that sends it back sees that write (ADR 24)."""
    with client_for(store_url, follow_store=False) as client:
        client.post("/api/v1/schemes", json={**scheme_document, "id": "s-1"})
        code = "620421"
        enrolment = {"code": code, "name": "县", "province": "甘肃省", "region": "west", "scheme": "s-1"}
        enrolled = client.post("/api/v1/counties", json=enrolment)
        assert enrolled.status_code == 201
        assert int(enrolled.headers["x-log-position"]) == enrolled.json()["position"]
        listed = client.get("/api/v1/counties")
        assert code in {row["code"] for row in listed.json()}
        assert int(listed.headers["x-read-position"]) >= enrolled.json()["position"]
        for month in range(1, 13):
            submitted = client.post(
                f"/api/v1/counties/{code}/submissions",
                json={"indicator": "1.2", "period": f"2023-{month:02d}", "value": 10},
            )
            assert submitted.status_code == 201
            card = client.get(f"/api/v1/counties/{code}/scores", params={"year": 2023}).json()
            value = next(node["value"] for node in card["nodes"] if node["code"] == "1.2")
            assert value == 10.0 * month


def test_county_list_filters_by_region(memory_platform: Platform, scheme: Scheme) -> None:
    load_history(memory_platform, scheme)
    memory_platform.projections.catch_up()
    with memory_platform.reads.snapshot() as view:
        west = queries.list_counties(view, "west")
    assert [row["code"] for row in west] == ["510129"]
    assert west[0]["schemes"] == {"2023": "example-2023"}


def test_the_kept_scorecard_is_the_composed_one(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    """The current card a read answers from one row equals the one composed from the read
    models it combines, for every county, after overrides, revocations and points."""
    from api.models_scores import ScoresOut
    from projections import queries
    from projections.scorecards import current_card

    platform = make_platform(store_url)
    platform.projections.batch_size = 7
    load_history(platform, scheme)
    platform.projections.catch_up()
    with platform.reads.snapshot() as view:
        for code in COUNTIES:
            kept = current_card(view, code, 2023)
            composed = queries.scorecard(view, code, 2023)
            assert kept is not None and composed is not None
            assert ScoresOut.model_validate_json(kept) == ScoresOut.model_validate(composed)


def test_the_kept_scorecards_of_each_year_are_the_composed_ones(
    store_url: str, make_platform: Callable[..., Platform]
) -> None:
    """Two scheme years, in small batches: a batch composes again only the cards of the years its
    events may change (a period's year, a year's, or every year for an adoption), and still every
    kept card, of either year, equals the one composed from the read models."""
    from api.models_scores import ScoresOut
    from projections.scorecards import current_card
    from tests.analysis_world import NAMES, build

    platform = make_platform(store_url)
    platform.projections.batch_size = 3
    build(platform, catch_up=True)
    compared = 0
    with platform.reads.snapshot() as view:
        for code in NAMES:
            for year in (2023, 2024):
                kept, composed = current_card(view, code, year), queries.scorecard(view, code, year)
                assert (kept is None) == (composed is None), (code, year)
                if kept is not None:
                    assert ScoresOut.model_validate_json(kept) == ScoresOut.model_validate(composed)
                    compared += 1
    assert compared == len(NAMES) + 2  # every county's 2023 card, and the two that adopted 2024
