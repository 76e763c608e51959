"""The platform opens on every store and answers readiness."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_ready_on_both_stores(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert set(body["projections"]) == {
        "counties",
        "scores",
        "score_history",
        "county_events",
        "monitoring",
        "results",
        "scorecards",
        "rectification",
    }
    assert all(state["failure"] is None for state in body["projections"].values())
