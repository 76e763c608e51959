"""The lean path of the busiest read answers exactly as FastAPI's handler of the same route.

``GET …/scores?year=…`` (issue 10) is answered by ``api.lean``: the route's own dependencies and
card, without FastAPI's generic resolving. A request with one more (ignored) query parameter
takes FastAPI's handler, so each case below is asked both ways and must get the same answer:
status, body, and the headers a client relies on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient

from domain.organisation import Grant
from tests.conftest import add_user, enrol_over_http, login

COUNTY, OTHER = "130425", "130426"
KEPT_HEADERS = ("content-type", "x-read-position", "www-authenticate", "cache-control")


@pytest.fixture
def scored(client: TestClient, scheme_document: dict[str, Any]) -> Iterator[TestClient]:
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, COUNTY)
    enrol_over_http(client, OTHER, name="魏县")
    body = {"indicator": "1.2", "period": "2023-01", "value": 12}
    assert client.post(f"/api/v1/counties/{COUNTY}/submissions", json=body).status_code == 201
    add_user(client.app.state.platform, "other.coordinator", Grant("g-o", "county_coordinator", county=OTHER))  # type: ignore[attr-defined]
    yield client


def both_ways(client: TestClient, path: str, headers: dict[str, str] | None = None) -> tuple[Any, Any]:
    lean = client.get(path, headers=headers)
    full = client.get(path + ("&" if "?" in path else "?") + "fastapi=1", headers=headers)
    return lean, full


def same(lean: Any, full: Any) -> None:
    where = str(lean.url)
    assert lean.status_code == full.status_code, where
    assert lean.content == full.content, where
    for name in KEPT_HEADERS:
        assert lean.headers.get(name) == full.headers.get(name), (where, name)


YEARS = ["year=2023", "year=2024", "year=1999", "year=2101", "year=２０２３", "year=02023", "year=abc", "", "year="]
CODES = [COUNTY, OTHER, "999999", "１３０４２５", "13042"]


def test_every_year_and_county_is_answered_as_fastapi_answers_it(scored: TestClient) -> None:
    # One county's setup for all the cases (each on both stores): the setup is most of the time.
    for query in YEARS:
        same(*both_ways(scored, f"/api/v1/counties/{COUNTY}/scores?{query}"))
    for code in CODES:
        same(*both_ways(scored, f"/api/v1/counties/{code}/scores?year=2023"))


def test_refusals_are_the_same_on_both_paths(scored: TestClient) -> None:
    other = login(scored, "other.coordinator")
    lean, full = both_ways(scored, f"/api/v1/counties/{COUNTY}/scores?year=2023", other)
    same(lean, full)
    assert lean.status_code == 403
    anonymous = {"Authorization": ""}
    lean, full = both_ways(scored, f"/api/v1/counties/{COUNTY}/scores?year=2023", anonymous)
    same(lean, full)
    assert lean.status_code == 401
    lean, full = both_ways(scored, f"/api/v1/counties/{COUNTY}/scores?year=2023", {"Authorization": "Bearer x"})
    same(lean, full)
    assert lean.status_code == 401


def test_a_plain_read_is_answered_without_fastapis_resolving(
    scored: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        resolved.append(kwargs.get("request", args[0] if args else None).url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    plain = scored.get(f"/api/v1/counties/{COUNTY}/scores?year=2023")
    assert plain.status_code == 200 and plain.json()["county"] == COUNTY
    assert resolved == []
    assert scored.get(f"/api/v1/counties/{COUNTY}/scores?year=2023&fastapi=1").status_code == 200
    assert resolved  # anything else: FastAPI's handler
