"""Auditors and leadership over HTTP: as-of reads, explanations, the raw stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from domain import commands as c
from domain.errors import InvalidCommand
from domain.recorded_time import CHINA, parse_as_of
from domain.scheme_reading import parse_scheme
from tests.conftest import example_document

CODE = "130425"
ENROLLED = datetime(2023, 5, 20, 1, tzinfo=UTC)  # 09:00 in Beijing


@pytest.fixture
def history(client: TestClient) -> TestClient:
    """A county whose scores moved on known days: data, a correction, an override and its revocation."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    scheme = parse_scheme(example_document())
    ledger = platform.ledger
    ledger.publish_scheme(scheme, c.Context("centre", "s", ENROLLED))
    ledger.enrol(c.EnrolCounty(CODE, "大名县", "河北省", "east", scheme), c.Context("centre", "e", ENROLLED))
    steps: list[tuple[datetime, str, c.CountyCommand]] = [
        (datetime(2023, 7, 1, 2, tzinfo=UTC), "dept", c.SubmitData("1.1", "2023", Decimal("59.1"))),
        (
            datetime(2024, 1, 10, 2, tzinfo=UTC),
            "evaluator",
            c.CorrectData("1.1", "2023", Decimal("61.5"), "按年鉴更正"),
        ),
        (
            datetime(2024, 1, 12, 2, tzinfo=UTC),
            "evaluator",
            c.OverrideScore(2023, "1", Decimal(45), "province", "省级核查", "o1"),
        ),
        (datetime(2024, 1, 20, 2, tzinfo=UTC), "evaluator", c.RevokeOverride("o1", "省级结果撤回")),
    ]
    for when, actor, command in steps:
        ledger.execute(CODE, command, c.Context(actor, f"at-{when:%m%d}", when))
    return client


def total_as_of(client: TestClient, as_of: str) -> float:
    response = client.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023, "as_of": as_of})
    assert response.status_code == 200, response.text
    value: float = response.json()["total"]
    return value


def test_scores_as_of_dates_and_instants(history: TestClient) -> None:
    assert total_as_of(history, "2023-06-30") == 0.0
    assert total_as_of(history, "2023-07-01") == 10.0  # (59.1 - 56.7) / 4.8 × 20
    assert total_as_of(history, "2024-01-10") == 20.0  # corrected to the target
    # The correction was recorded at 10:00 Beijing time on 2024-01-10.
    assert total_as_of(history, "2024-01-10T09:59:59+08:00") == 10.0
    assert total_as_of(history, "2024-01-10T10:00:00+08:00") == 20.0
    assert total_as_of(history, "2024-01-12T02:00:00Z") == 45.0  # the override of dimension 1
    assert total_as_of(history, "2024-01-25") == 20.0  # revoked
    ranking = history.get("/api/v1/rankings", params={"year": 2023, "as_of": "2024-01-15"}).json()
    assert [(e["county"], e["total"], e["rank"]) for e in ranking["counties"]] == [(CODE, 45.0, 1)]


def test_as_of_before_the_county_or_in_the_future(history: TestClient) -> None:
    before = history.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023, "as_of": "2023-05-19"})
    assert before.status_code == 404
    assert before.json()["errors"][0]["rule"] == "county_existed"
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    refused = history.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023, "as_of": future})
    assert refused.status_code == 422 and refused.json()["errors"][0]["rule"] == "not_future"
    naive = history.get("/api/v1/rankings", params={"year": 2023, "as_of": "2024-01-15T08:00:00"})
    assert naive.status_code == 422 and naive.json()["errors"][0]["rule"] == "offset_required"


def test_history_explains_every_change(history: TestClient) -> None:
    response = history.get(f"/api/v1/counties/{CODE}/scores/total/history", params={"year": 2023})
    assert response.status_code == 200, response.text
    changes = response.json()["changes"]
    assert [(ch["before"], ch["after"], ch["cause"]["event"]) for ch in changes] == [
        (None, 0.0, "Enrolled"),
        (0.0, 10.0, "DataSubmitted"),
        (10.0, 20.0, "DataCorrected"),
        (20.0, 45.0, "ScoreOverridden"),
        (45.0, 20.0, "OverrideRevoked"),
    ]
    correction = changes[2]["cause"]
    assert correction["reason"] == "按年鉴更正" and correction["actor"] == "evaluator"
    assert correction["period"] == "2023" and correction["value"] == "61.5" and correction["previous"] == "59.1"
    assert correction["children"] == ["1"]  # the dimension whose change moved the total
    assert changes[3]["cause"]["authority"] == "province"
    as_of = history.get(
        f"/api/v1/counties/{CODE}/scores/1.1/history", params={"year": 2023, "as_of": "2024-01-11"}
    ).json()["changes"]
    assert [ch["after"] for ch in as_of] == [0.0, 10.0, 20.0]


def test_raw_event_stream_pages_and_filters(history: TestClient) -> None:
    everything = history.get(f"/api/v1/counties/{CODE}/events").json()
    assert everything["total"] == 5
    assert [e["version"] for e in everything["events"]] == [1, 2, 3, 4, 5]
    first = everything["events"][1]
    assert first["type"] == "DataSubmitted" and first["actor"] == "dept" and first["position"] > 0
    assert first["payload"]["value"] == "59.1" and len(first["payload"]["event_hash"]) == 64
    page = history.get(f"/api/v1/counties/{CODE}/events", params={"offset": 1, "limit": 2}).json()
    assert [e["version"] for e in page["events"]] == [2, 3]
    typed = history.get(f"/api/v1/counties/{CODE}/events", params={"type": ["ScoreOverridden", "OverrideRevoked"]})
    assert [e["type"] for e in typed.json()["events"]] == ["ScoreOverridden", "OverrideRevoked"]
    window = history.get(f"/api/v1/counties/{CODE}/events", params={"from": "2024-01-11", "to": "2024-01-12"}).json()
    assert [e["type"] for e in window["events"]] == ["ScoreOverridden"]


def test_a_date_means_the_end_of_that_day_in_beijing() -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    assert parse_as_of("2024-01-15", now) == datetime(2024, 1, 15, 23, 59, 59, 999999, tzinfo=CHINA)
    assert parse_as_of("2024-01-15T08:00:00+08:00", now) == datetime(2024, 1, 15, tzinfo=UTC)
    assert parse_as_of("2024-06-01", now) == now  # today: what is known now
    for bad in ("2024-13-01", "yesterday", "2024-06-02", "2024-01-15T08:00:00"):
        with pytest.raises(InvalidCommand):
            parse_as_of(bad, now)


def test_cli_history(history: TestClient, store_url: str) -> None:
    from tests.test_cli import ruraleval

    result = ruraleval(store_url, "history", CODE, "total", "--year", "2023")
    assert result.returncode == 0, result.stderr
    assert "更正数据" in result.stdout and "理由：按年鉴更正" in result.stdout  # DataCorrected, in words
    earlier = ruraleval(store_url, "history", CODE, "total", "--year", "2023", "--as-of", "2024-01-11")
    assert "调整得分" in result.stdout and "调整得分" not in earlier.stdout  # ScoreOverridden
