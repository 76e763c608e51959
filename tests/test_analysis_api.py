"""The analysis routes (数据分析) over HTTP: figures of ``tests.analysis_world`` (worked out
there by hand) as two-place text, as of an instant, within the caller's scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.organisation import Grant
from tests.analysis_world import A, B, C, D, E, build
from tests.conftest import add_user, client_for, login

T_DAY = "2023-06-30"  # a date: the end of that Beijing day, the world's T


@pytest.fixture
def world(store_url: str) -> Iterator[TestClient]:
    with client_for(store_url) as client:
        build(client.app.state.platform, catch_up=False)  # type: ignore[attr-defined]
        yield client


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_horizontal_gives_ranks_values_and_statistics_as_two_place_text(world: TestClient) -> None:
    now = get(world, "/api/v1/analysis/horizontal", year=2023, node="1.1")
    # 1.1 now: C 100 → 40, E 100 → 40, B 95 → 38 (corrected), A 90 → 36, D 70 → 28
    assert [(p["county"], p["value"], p["score"], p["rank"], p["region_rank"]) for p in now["counties"]] == [
        (C, "100.00", "40.00", 1, 1), (E, "100.00", "40.00", 1, 1), (B, "95.00", "38.00", 3, 2),
        (A, "90.00", "36.00", 4, 3), (D, "70.00", "28.00", 5, 2),
    ]  # fmt: skip
    # values 70, 90, 95, 100, 100: mean 455/5 = 91, median 95, q1 90, q3 100
    assert now["values"] == {"count": 5, "mean": "91.00", "median": "95.00", "best": "100.00", "q1": "90.00",
                             "q3": "100.00"}  # fmt: skip
    assert now["node_name"] == "科技贡献率" and now["as_of"] is None
    assert [p["attainment"] for p in now["counties"]] == ["100.00", "100.00", "95.00", "90.00", "70.00"]
    # east scores 36, 38, 40: mean 38; west 28, 40: q1 28 + 0.25·12 = 31
    assert now["region_scores"]["east"]["mean"] == "38.00" and now["region_scores"]["west"]["q1"] == "31.00"


def test_horizontal_as_of_a_day_shows_the_figures_before_the_correction(world: TestClient) -> None:
    then = get(world, "/api/v1/analysis/horizontal", year=2023, node="total", as_of=T_DAY)
    assert [(p["county"], p["score"], p["rank"]) for p in then["counties"]] == [
        (E, "95.00", 1), (A, "88.00", 2), (B, "82.00", 3), (C, "80.00", 4), (D, "49.00", 5),
    ]  # fmt: skip
    assert then["scores"]["mean"] == "78.80" and then["as_of"].startswith("2023-06-30T23:59:59")
    west = get(world, "/api/v1/analysis/horizontal", year=2023, node="total", region="west")
    assert [p["county"] for p in west["counties"]] == [E, D] and west["scores"]["count"] == 5


def test_a_county_user_sees_its_own_county_and_the_statistics_of_all(world: TestClient) -> None:
    add_user(world.app.state.platform, "coordinator.c", Grant("g-c", "county_coordinator", county=C))  # type: ignore[attr-defined]
    headers = login(world, "coordinator.c")
    answer = world.get("/api/v1/analysis/horizontal", params={"year": 2023, "node": "total"}, headers=headers)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [(p["county"], p["rank"], p["count"]) for p in found["counties"]] == [(C, 4, 5)]
    assert found["scores"]["count"] == 5 and found["scores"]["mean"] == "80.00"
    other = world.get(f"/api/v1/counties/{A}/analysis/gap", params={"year": 2023}, headers=headers)
    assert other.status_code == 403


def test_vertical_across_years_and_months(world: TestClient) -> None:
    found = get(world, f"/api/v1/counties/{A}/analysis/vertical", year=2023, node="1.2")
    assert [(y["year"], y["score"], y["value"], y["rank"]) for y in found["years"]] == [
        (2023, "20.00", "120.00", 1), (2024, "0.00", None, 1),
    ]  # fmt: skip
    assert [(m["month"], m["score"], m["value"]) for m in found["months"][:4]] == [
        ("2023-01", "0.00", None), ("2023-02", "6.00", "36.00"), ("2023-03", "13.00", "78.00"),
        ("2023-04", "20.00", "120.00"),
    ]  # fmt: skip
    assert found["latest"] == {"month": "", "score": "20.00", "value": "120.00"}
    as_of = get(world, f"/api/v1/counties/{B}/analysis/vertical", year=2023, node="total", as_of=T_DAY)
    assert as_of["years"][0] == {"year": 2023, "score": "82.00", "max": "100.00", "value": None, "rank": 3,
                                 "grade": "较好"}  # fmt: skip
    assert len(as_of["months"]) == 6


def test_gap_rows_by_loss_with_their_distances(world: TestClient) -> None:
    found = get(world, f"/api/v1/counties/{A}/analysis/gap", year=2023)
    assert [(r["code"], r["lost"], r["to_target"], r["region_best"], r["to_region_best"]) for r in found["rows"]] == [
        ("2.1", "8.00", "5.00", "20.00", "5.00"), ("1.1", "4.00", "10.00", "100.00", "10.00"),
        ("1.2", "0.00", "0.00", "120.00", "0.00"),
    ]  # fmt: skip
    then = get(world, f"/api/v1/counties/{A}/analysis/gap", year=2023, as_of=T_DAY)
    assert {r["code"]: r["region_median"] for r in then["rows"]}["1.1"] == "90.00"  # 80, 90, 100 before


@pytest.mark.parametrize(
    ("path", "params", "field", "status"),
    [
        ("/api/v1/analysis/horizontal", {"year": 2023, "node": "9.9"}, "node", 404),
        ("/api/v1/analysis/horizontal", {"year": 2019, "node": "total"}, "year", 404),
        ("/api/v1/analysis/horizontal", {"year": 2023, "node": "１.٢"}, "node", 422),
        ("/api/v1/analysis/horizontal", {"year": 2023, "node": "total", "as_of": "2023-02-30"}, "as_of", 422),
        (f"/api/v1/counties/{A}/analysis/vertical", {"year": 2023, "node": "2.2"}, "node", 404),
        (f"/api/v1/counties/{C}/analysis/vertical", {"year": 2024, "node": "1.1"}, "year", 422),
        (f"/api/v1/counties/{A}/analysis/gap", {"year": 2019}, "year", 422),
        ("/api/v1/counties/13010２/analysis/gap", {"year": 2023}, None, 200),  # NFKC: the same county
        ("/api/v1/counties/13010٢/analysis/gap", {"year": 2023}, "code", 422),
        ("/api/v1/counties/999999/analysis/gap", {"year": 2023}, "code", 404),
    ],
)
def test_bad_input_is_refused_in_chinese_naming_the_field(
    world: TestClient, path: str, params: dict[str, Any], field: str | None, status: int
) -> None:
    response = world.get(path, params=params)
    assert response.status_code == status, response.text
    if field is not None:
        errors = response.json()["errors"]
        assert errors[0]["field"] == field and any("\u4e00" <= ch <= "\u9fff" for ch in errors[0]["message"])
