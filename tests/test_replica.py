"""Reads through a PostgreSQL streaming replica (ADR 28): read-your-writes by log position
against what the replica has replayed; a lagging replica never answers stale data as fresh;
a replica that is down leaves the reads to the primary.

The fixture makes the replica itself (``bench.replica``: pg_basebackup of the local cluster,
a few seconds) and removes it afterwards; with CI=true these tests run, never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import consistency
from api.app import create_app
from bench import replica as local_replica
from domain.organisation import Grant
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.conftest import ADMIN, PositionClient, add_user, enrol_over_http, login

COUNTY = "130425"


@pytest.fixture
def replica() -> Iterator[local_replica.Replica]:
    try:
        local_replica.check_primary()
    except Exception as error:
        if __import__("os").environ.get("CI") == "true":
            pytest.fail(f"CI requires a replica of the local PostgreSQL: {error}")
        pytest.skip(f"no replica: {error}")
    with local_replica.running() as made:
        yield made


@contextmanager
def client_over(primary: str, replica_url: str, scheme_document: dict[str, Any]) -> Iterator[TestClient]:
    app = create_app(lambda: Platform(parse_database_url(primary), read_store=parse_database_url(replica_url)))
    with PositionClient(app) as client:
        add_user(app.state.platform, ADMIN, Grant("g-admin", "admin"))
        client.headers.update(login(client, ADMIN))
        assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
        enrol_over_http(client, COUNTY)
        yield client


def submit(client: TestClient, month: int) -> int:
    response = client.post(f"/api/v1/counties/{COUNTY}/submissions",
                           json={"indicator": "1.2", "period": f"2023-{month:02d}", "value": 70})  # fmt: skip
    assert response.status_code == 201, response.text
    return int(response.headers["x-log-position"])


def scores(client: TestClient, position: int | None) -> Any:
    headers = {"X-Log-Position": str(position) if position is not None else ""}
    return client.get(f"/api/v1/counties/{COUNTY}/scores?year=2023", headers=headers)


def test_a_read_through_the_replica_with_a_position_sees_the_write_and_never_stale_as_fresh(
    postgres_url: str, replica: local_replica.Replica, scheme_document: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(consistency, "READ_WAIT_SECONDS", 1.0)
    replica_url = replica.url(postgres_url.rsplit("/", 1)[1])
    with client_over(postgres_url, replica_url, scheme_document) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        position = submit(client, 1)
        seen = scores(client, position)
        assert seen.status_code == 200, seen.text
        assert int(seen.headers["x-read-position"]) >= position
        assert service.routed is not None and service.routed.up, "the read was answered by the replica"
        assert client.get("/readyz").json()["reads_from"] == "replica"

        # The replica stops replaying: the primary moves on, the replica does not.
        local_replica.pause(replica)
        try:
            later = submit(client, 2)
            behind = scores(client, later)
            assert behind.status_code == 503, "a read naming a position the replica lacks is refused, not stale"
            assert behind.json()["errors"][0]["rule"] == "projection_behind"
            unnamed = scores(client, None)
            assert unnamed.status_code == 200
            assert int(unnamed.headers["x-read-position"]) < later, "the answer says how old it is"
        finally:
            local_replica.resume(replica)
        caught_up = scores(client, later)
        assert caught_up.status_code == 200, caught_up.text
        assert int(caught_up.headers["x-read-position"]) >= later


def test_a_replica_that_is_down_leaves_the_reads_to_the_primary(
    postgres_url: str, replica: local_replica.Replica, scheme_document: dict[str, Any]
) -> None:
    replica_url = replica.url(postgres_url.rsplit("/", 1)[1])
    with client_over(postgres_url, replica_url, scheme_document) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        assert scores(client, submit(client, 1)).status_code == 200
        local_replica.stop(replica)
        position = submit(client, 2)
        answer = scores(client, position)
        assert answer.status_code == 200, answer.text
        assert int(answer.headers["x-read-position"]) >= position
        assert service.routed is not None and not service.routed.up
        assert client.get("/readyz").json()["reads_from"] == "primary"
