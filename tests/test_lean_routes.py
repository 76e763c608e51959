"""The lean paths of the busiest read and write answer exactly as FastAPI's handler of the route.

``GET …/scores?year=…`` and ``POST …/submissions`` (issue 10) are answered by ``api.lean``: the
route's own dependencies and endpoint, without FastAPI's generic resolving. A request with one
more (ignored) query parameter takes FastAPI's handler, so each case below is asked both ways
and must get the same answer: status, body, and the headers a client relies on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.testclient import TestClient

from api.auth import bearer
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


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests FastAPI resolved the dependencies of (its own handler)."""
    paths: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        paths.append(kwargs.get("request", args[0] if args else None).url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    return paths


def test_a_plain_read_is_answered_without_fastapis_resolving(scored: TestClient, resolved: list[str]) -> None:
    plain = scored.get(f"/api/v1/counties/{COUNTY}/scores?year=2023")
    assert plain.status_code == 200 and plain.json()["county"] == COUNTY
    assert resolved == []
    assert scored.get(f"/api/v1/counties/{COUNTY}/scores?year=2023&fastapi=1").status_code == 200
    assert resolved  # anything else: FastAPI's handler


SUBMISSIONS = f"/api/v1/counties/{COUNTY}/submissions"


def post_both_ways(client: TestClient, body: Any, headers: dict[str, str] | None = None,
                   path: str = SUBMISSIONS, **kwargs: Any) -> tuple[Any, Any]:  # fmt: skip
    lean = client.post(path, json=body, headers=headers, **kwargs)
    full = client.post(path + "?fastapi=1", json=body, headers=headers, **kwargs)
    return lean, full


def value(period: str, number: Any = 12, **fields: Any) -> dict[str, Any]:
    return {"indicator": "1.2", "period": period, "value": number, **fields}


REFUSED_OR_INVALID = [
    value("2023-01", 13),  # a correction without a reason: 409
    value("2031-01"),  # no scheme for the year
    value("2023-13"),  # no such month
    {"indicator": "9.9", "period": "2023-01", "value": 1},  # no such indicator
    value("2023-01", "abc"),
    value("2023-01", "1e400"),
    value("2023-01", 12, colour="red"),  # a field the body does not have
    value("2023-01", 12, comment="a\u0000b"),
    {"indicator": "1.2", "period": "2023-01"},
    [],
    None,
]


def test_every_submission_is_answered_as_fastapi_answers_it(scored: TestClient) -> None:
    for body in REFUSED_OR_INVALID:
        same(*post_both_ways(scored, body))
    same(*post_both_ways(scored, value("2023-01")))  # unchanged: 200, the same position
    for code in ["999999", "１３０４２５", "13042"]:
        same(*post_both_ways(scored, value("2023-01"), path=f"/api/v1/counties/{code}/submissions"))
    key = value("2023-04", 41, idempotency_key="both-ways")
    first = scored.post(SUBMISSIONS, json=key)
    assert first.status_code == 201
    same(*post_both_ways(scored, key))  # replayed: the first's answer, both ways
    lean = scored.post(SUBMISSIONS, json=value("2023-05", "４２"))
    full = scored.post(SUBMISSIONS + "?fastapi=1", json=value("2023-06", "４２"))
    assert lean.status_code == full.status_code == 201
    assert lean.json() | {"version": 0, "position": 0} == full.json() | {"version": 0, "position": 0}
    assert full.json()["version"] == lean.json()["version"] + 1
    for content, kind in [(b'{"indicator": "1.2"}', "text/plain"), (b"[" * 100_000, "application/json"),
                          (b'{"indicator": "1.\xff"}', "application/json")]:  # fmt: skip
        lean = scored.post(SUBMISSIONS, content=content, headers={"Content-Type": kind})
        same(lean, scored.post(SUBMISSIONS + "?fastapi=1", content=content, headers={"Content-Type": kind}))
        assert lean.status_code in (400, 422)  # nested past the recursion limit: 400, never 500


def test_submission_refusals_are_the_same_on_both_paths(scored: TestClient) -> None:
    other = login(scored, "other.coordinator")
    lean, full = post_both_ways(scored, value("2023-07"), other)
    same(lean, full)
    assert lean.status_code == 403
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer x"}, {"X-API-Key": "nope"}):
        lean, full = post_both_ways(scored, value("2023-07"), headers)
        same(lean, full)
        assert lean.status_code == 401


def test_a_plain_submission_is_answered_without_fastapis_resolving(scored: TestClient, resolved: list[str]) -> None:
    assert scored.post(SUBMISSIONS, json=value("2023-08")).status_code == 201
    assert resolved == []
    assert scored.post(SUBMISSIONS, json=value("2023-08", "abc")).status_code == 422
    assert resolved  # an invalid body: FastAPI's handler, and its 422


def test_overridden_dependencies_are_honoured_on_the_lean_paths_too(scored: TestClient) -> None:
    """A test or an embedding that overrides a dependency (here: whose credentials a request
    carries) gets FastAPI's handler, which applies the override, on the busiest routes too."""
    token = login(scored, "other.coordinator")["Authorization"].split()[1]
    app: Any = scored.app
    app.dependency_overrides[bearer] = lambda: HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    try:
        read = scored.get(f"/api/v1/counties/{COUNTY}/scores?year=2023")
        written = scored.post(SUBMISSIONS, json=value("2023-09"))
        assert (read.status_code, written.status_code) == (403, 403), "the other county's coordinator"
    finally:
        app.dependency_overrides.clear()
    assert scored.post(SUBMISSIONS, json=value("2023-09")).status_code == 201
