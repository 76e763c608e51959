"""The card cache of an API process that does not project (ADR 28): its follower drops the cards
the projection process rewrote before it tells any read the new position, and keeps the others.

The API process runs as in production with ``RURALEVAL_PROJECTIONS=external`` (its follower
polling the tracking rows); the projection process is a second platform on the same store whose
runner the test steps by hand, so the test decides when a card is rewritten.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.organisation import Grant
from projections.scorecards import current_card
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.conftest import ADMIN, PositionClient, add_user, enrol_over_http, login
from tests.multiprocess import wait_until

CHANGING = "130425"
UNCHANGED = "130426"


@contextmanager
def external_api(url: str, scheme_document: dict[str, Any]) -> Iterator[tuple[TestClient, Platform]]:
    """An API process that does not project, and the process that projects for it (stepped by hand)."""
    projector = Platform(parse_database_url(url), projections="external")
    try:
        app = create_app(lambda: Platform(parse_database_url(url), projections="external"))
        with PositionClient(app) as client:
            add_user(app.state.platform, ADMIN, Grant("g-admin", "admin"))
            client.headers.update(login(client, ADMIN))
            assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
            enrol_over_http(client, CHANGING)
            enrol_over_http(client, UNCHANGED, name="成安县")
            yield client, projector
    finally:
        projector.close()


def api_platform(client: TestClient) -> Platform:
    service: Platform = client.app.state.platform  # type: ignore[attr-defined]
    return service


def submit(client: TestClient, county: str, month: int, value: float) -> int:
    response = client.post(
        f"/api/v1/counties/{county}/submissions",
        json={"indicator": "1.2", "period": f"2023-{month:02d}", "value": value, "reason": "复核后更正"},
    )
    assert response.status_code == 201, response.text
    return int(response.headers["x-log-position"])


def scores(client: TestClient, county: str, position: int | None = None) -> Any:
    """The answer as sent (bytes parsed); with a position, read after it (the client's own otherwise)."""
    headers = {} if position is None else {"X-Log-Position": str(position)}
    response = client.get(f"/api/v1/counties/{county}/scores?year=2023", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def stored_card(projector: Platform, county: str) -> Any:
    """The card as the read model holds it now (what a read without the cache answers)."""
    with projector.reads.snapshot() as view:
        kept = current_card(view, county, 2023)
    assert kept is not None
    return orjson.loads(kept)


def test_a_card_the_projection_process_rewrites_is_never_answered_from_the_old_cached_one(
    store_url: str, scheme_document: dict[str, Any]
) -> None:
    with external_api(store_url, scheme_document) as (client, projector):
        submit(client, CHANGING, 1, 10)
        submit(client, UNCHANGED, 1, 10)
        projector.projections.catch_up()
        before = scores(client, CHANGING)
        kept_aside = scores(client, UNCHANGED)
        cards = api_platform(client).cards
        assert api_platform(client).card_cache is cards, "the follower runs: the cache is in use"
        assert cards.get(CHANGING, 2023) is not None and cards.get(UNCHANGED, 2023) is not None

        position = submit(client, CHANGING, 1, 40)  # a correction of the same month
        projector.projections.catch_up()
        after = scores(client, CHANGING, position)

        assert after != before, "the read after the write answered the card cached before it"
        assert after["total"] == stored_card(projector, CHANGING)["total"]
        assert next(node["value"] for node in after["nodes"] if node["code"] == "1.2") == 40.0
        # The county whose card did not change is still answered from the cache.
        assert cards.get(UNCHANGED, 2023) is not None
        assert scores(client, UNCHANGED, position) == kept_aside


def test_reads_racing_the_rewrites_never_leave_an_old_card_behind_a_reported_position(
    store_url: str, scheme_document: dict[str, Any]
) -> None:
    """Readers without a position keep filling the cache while the projection process rewrites
    the card again and again; after each rewrite, a read naming its position answers the card
    the read model holds, whatever the readers cached meanwhile."""
    with external_api(store_url, scheme_document) as (client, projector):
        submit(client, CHANGING, 1, 10)
        projector.projections.catch_up()
        stop = threading.Event()
        errors: list[str] = []

        def keep_reading() -> None:
            while not stop.is_set():
                response = client.get(f"/api/v1/counties/{CHANGING}/scores?year=2023", headers={"X-Log-Position": ""})
                if response.status_code != 200:
                    errors.append(response.text)

        readers = [threading.Thread(target=keep_reading) for _ in range(2)]
        for reader in readers:
            reader.start()
        try:
            for round_ in range(12):
                value = 11.0 + round_
                position = submit(client, CHANGING, 1 + round_ % 3, value)
                projector.projections.catch_up()
                answered = scores(client, CHANGING, position)
                assert answered["total"] == stored_card(projector, CHANGING)["total"], f"round {round_}"
                assert answered == scores(client, CHANGING, position), "the cache's answer is the card read"
        finally:
            stop.set()
            for reader in readers:
                reader.join(timeout=10)
        assert errors == []


def test_read_models_emptied_by_another_process_drop_every_cached_card(
    store_url: str, scheme_document: dict[str, Any]
) -> None:
    """A rebuild elsewhere sets the positions back to 0: the follower cannot tell which cards
    will change, so it drops them all; the rebuilt cards are then answered and cached again."""
    with external_api(store_url, scheme_document) as (client, projector):
        position = submit(client, CHANGING, 1, 10)
        projector.projections.catch_up()
        card = scores(client, CHANGING)
        cards = api_platform(client).cards
        assert len(cards) == 1
        projector.projections.clear()
        wait_until(lambda: len(cards) == 0, 5)
        projector.projections.catch_up()
        assert scores(client, CHANGING, position) == card
        wait_until(lambda: scores(client, CHANGING) == card and len(cards) == 1, 5)  # once the follower saw it


@pytest.mark.parametrize("mode", ["thread", "external"])
def test_without_a_projection_thread_or_a_follower_running_no_card_is_cached(
    sqlite_url: str, scheme_document: dict[str, Any], mode: str
) -> None:
    """A platform that nothing keeps in step (the CLI, a test projecting by hand) reads the row:
    another process may rewrite the card unseen."""
    platform = Platform(parse_database_url(sqlite_url), projections=mode)
    try:
        assert platform.card_cache is None
    finally:
        platform.close()
