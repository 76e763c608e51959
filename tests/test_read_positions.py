"""Read-your-writes by log position (ADR 24): reads wait for the read models, bounded; a
read model that fails or stalls refuses its own reads with the reason, the others go on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import consistency
from projections.monitoring import MonitoringProjection
from ruraleval.platform import Platform
from tests.conftest import client_for, enrol_over_http

COUNTY = "130425"


@pytest.fixture
def county_client(store_url: str, scheme_document: dict[str, Any]) -> Iterator[TestClient]:
    with client_for(store_url, follow_store=False) as client:  # it knows only the positions it was given
        assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
        enrol_over_http(client, COUNTY)
        assert client.get("/api/v1/counties").status_code == 200  # waits for the enrolment to be projected
        yield client


def platform_of(client: TestClient) -> Platform:
    service: Platform = client.app.state.platform  # type: ignore[attr-defined]
    return service


def submit(client: TestClient, month: int, value: float = 10) -> int:
    response = client.post(
        f"/api/v1/counties/{COUNTY}/submissions",
        json={"indicator": "1.2", "period": f"2023-{month:02d}", "value": value},
    )
    assert response.status_code == 201, response.text
    position = int(response.headers["x-log-position"])
    assert position == response.json()["position"]
    return position


def value_of(body: dict[str, Any], code: str) -> Any:
    return next(node["value"] for node in body["nodes"] if node["code"] == code)


def test_a_read_naming_a_position_waits_then_sees_the_write(county_client: TestClient) -> None:
    service = platform_of(county_client)
    with service.projections._lock:  # the projection thread cannot move while we hold its lock
        position = submit(county_client, 1, 10)
        # Without a position the read answers at once from what is projected, and says how far that is.
        stale = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": ""})
        assert stale.status_code == 200
        assert int(stale.headers["x-read-position"]) < position
        assert value_of(stale.json(), "1.2") is None
        with ThreadPoolExecutor(1) as pool:
            scores = f"/api/v1/counties/{COUNTY}/scores?year=2023"
            pending = pool.submit(county_client.get, scores, headers={"X-Log-Position": str(position)})
            time.sleep(0.3)
            assert not pending.done(), "a read naming a position must wait for the read models"
            service.projections._lock.release()
            try:
                fresh = pending.result(timeout=10)
            finally:
                service.projections._lock.acquire()
    assert fresh.status_code == 200
    assert int(fresh.headers["x-read-position"]) >= position
    assert value_of(fresh.json(), "1.2") == 10.0


def test_the_wait_is_bounded_and_answers_503_with_the_reason(
    county_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consistency, "READ_WAIT_SECONDS", 0.3)
    service = platform_of(county_client)
    with service.projections._lock:
        position = submit(county_client, 1)
        started = time.perf_counter()
        refused = county_client.get(
            f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": str(position)}
        )
        waited = time.perf_counter() - started
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    [problem] = refused.json()["errors"]
    assert problem["field"] == "x-log-position" and problem["rule"] == "projection_behind"
    assert str(position) in problem["message"]
    assert waited < 3


@pytest.mark.parametrize("raw", ["-1", "abc", "１２", "1e3", "99999999999999999999"])
def test_a_malformed_position_is_refused_naming_the_header(county_client: TestClient, raw: str) -> None:
    headers = {"X-Log-Position": raw.encode()}
    answer = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers=headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "x-log-position"


def test_a_failing_projection_refuses_its_reads_while_the_others_answer(
    county_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, sql: Any, events: Any, source: Any) -> None:
        raise RuntimeError("预警规则无法计算")

    monkeypatch.setattr(MonitoringProjection, "process", broken)
    monkeypatch.setattr(consistency, "READ_WAIT_SECONDS", 2.0)
    submit(county_client, 1, 10)
    scores = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023")
    assert scores.status_code == 200 and value_of(scores.json(), "1.2") == 10.0
    warnings = county_client.get("/api/v1/warnings?year=2023", headers={"X-Log-Position": ""})
    assert warnings.status_code == 503
    [problem] = warnings.json()["errors"]
    assert problem["rule"] == "projection_failed"
    assert "monitoring" in problem["message"] and "预警规则无法计算" in problem["message"]
    ready = county_client.get("/readyz").json()
    assert "预警规则无法计算" in ready["projections"]["monitoring"]["failure"]

    monkeypatch.undo()  # the fault is mended: the projection catches up after its back-off
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        again = county_client.get("/api/v1/warnings?year=2023", headers={"X-Log-Position": ""})
        if again.status_code == 200:
            break
        time.sleep(0.2)
    assert again.status_code == 200


def test_a_stalled_projection_says_so(county_client: TestClient) -> None:
    service = platform_of(county_client)
    service.progress.stall_seconds = 0.2
    with service.projections._lock:
        submit(county_client, 1)
        time.sleep(0.4)
        stalled = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": ""})
    assert stalled.status_code == 503
    assert stalled.json()["errors"][0]["rule"] == "projection_stalled"


def test_a_write_after_a_quiet_spell_is_not_taken_for_a_stall(county_client: TestClient) -> None:
    """Read models idle (caught up) for longer than the stall time are not stalled when a write
    comes: the read right after it answers from what is projected, as it would after a busy spell."""
    service = platform_of(county_client)
    service.progress.stall_seconds = 0.3
    time.sleep(0.6)  # nothing written: every read model caught up and idle past the stall time
    with service.projections._lock:  # the write's events not yet projected when the read comes
        submit(county_client, 1)
        read = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": ""})
    assert read.status_code == 200, read.text


def test_many_concurrent_readers_each_see_their_own_write(county_client: TestClient) -> None:
    """Writers to one county, each reading its own month back at once with its position."""

    errors: list[str] = []
    lock = threading.Lock()

    def run(month: int) -> None:
        position = submit(county_client, month, month)
        scores = county_client.get(
            f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": str(position)}
        )
        if scores.status_code != 200 or int(scores.headers["x-read-position"]) < position:
            with lock:
                errors.append(f"{month}: {scores.status_code} {scores.headers.get('x-read-position')} < {position}")

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(run, range(1, 13)))
    assert errors == []


def test_a_position_beyond_the_log_costs_only_its_own_read(
    county_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client's number is never taken for the log's head: others' reads do not turn 'stalled'."""
    monkeypatch.setattr(consistency, "READ_WAIT_SECONDS", 0.2)
    service = platform_of(county_client)
    service.progress.stall_seconds = 0.1
    beyond = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": "10" * 9})
    assert beyond.status_code == 503 and beyond.json()["errors"][0]["rule"] == "projection_behind"
    time.sleep(0.3)
    other = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": ""})
    assert other.status_code == 200


def test_a_replayed_or_unchanged_submission_answers_a_position_that_shows_its_value(
    county_client: TestClient,
) -> None:
    """A client that retries (same idempotency key) or sends the same value again can still read
    its write by the position it is given: the county's, as the command found it, at which what
    stands (for a replay, all that the first one recorded) can be read."""
    url = f"/api/v1/counties/{COUNTY}/submissions"
    payload = {"indicator": "1.2", "period": "2023-05", "value": 12, "idempotency_key": "retry-2023-05"}
    first = county_client.post(url, json=payload)
    later = submit(county_client, 6)  # another event after it: the log's head moves on
    again = county_client.post(url, json=payload)
    same = county_client.post(url, json=payload | {"idempotency_key": None})
    assert (first.status_code, again.status_code, same.status_code) == (201, 201, 200)  # 200: nothing new
    assert again.json()["replayed"] is True and same.json()["unchanged"] is True
    assert again.json()["version"] == first.json()["version"] and same.json()["version"] == first.json()["version"] + 1
    assert first.json()["position"] < later
    for answer in (again, same):
        assert answer.json()["position"] == later == int(answer.headers["x-log-position"])
    scores = county_client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers={"X-Log-Position": str(later)})
    assert scores.status_code == 200 and value_of(scores.json(), "1.2") is not None
