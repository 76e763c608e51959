"""The centre's pages and the API routes of the same changes: rules both must enforce.

Each refusal is checked on the page (message beside its field, nothing stored) and, where
the API does the same change, on the API (422, nothing stored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ruraleval.demo import load_demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.conftest import login
from tests.test_pages import PASSWORDS, Site
from tests.test_pages_audit import form_token, text_of

NOT_ENROLLED = "999999"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=True)
    with TestClient(app) as client:
        load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def api_headers(site: Site) -> dict[str, str]:
    site.client.cookies.clear()
    return login(site.client, "admin", PASSWORDS["admin"])


def user_form(site: Site, **values: str) -> dict[str, str]:
    form = {"csrf_token": form_token(site, "/centre/users"), "username": "", "display_name": "",
            "password": "a-long-password-1", "role": "", "county": "", "team": "", "department": ""}  # fmt: skip
    return form | values


# --------------------------------------------------------------- 1: unenrolled county


def test_the_page_refuses_a_role_over_a_county_not_enrolled(site: Site) -> None:
    site.sign_in("admin")
    before = len(site.platform.organisation.events())
    answer = site.client.post("/centre/users", data=user_form(
        site, username="wang.wu", display_name="王五", role="county_coordinator", county=NOT_ENROLLED))
    assert answer.status_code == 422
    assert re.search(rf'id="user-county-error">[^<]*{NOT_ENROLLED} 的县尚未入选评估', answer.text)
    granted = site.client.post("/centre/users/leader/grants", data={
        "csrf_token": form_token(site, "/centre/users/leader"), "role": "county_coordinator",
        "county": NOT_ENROLLED, "team": "", "department": "", "reason": "试用"})  # fmt: skip
    assert granted.status_code == 422 and f"{NOT_ENROLLED} 的县尚未入选评估" in text_of(granted.text)
    assert len(site.platform.organisation.events()) == before


def test_the_api_refuses_a_role_over_a_county_not_enrolled(site: Site) -> None:
    headers = api_headers(site)
    before = len(site.platform.organisation.events())
    role = {"role": "county_coordinator", "county": NOT_ENROLLED}
    created = site.client.post("/api/v1/users", headers=headers, json={
        "username": "zhao.liu", "display_name": "赵六", "password": "a-long-password-1", "roles": [role]})
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["field"].endswith("county")
    granted = site.client.post("/api/v1/users/leader/grants", headers=headers, json=role | {"reason": "试用"})
    assert granted.status_code == 422, granted.text
    assert len(site.platform.organisation.events()) == before
    enrolled = site.client.post("/api/v1/users", headers=headers, json={
        "username": "zhao.liu", "display_name": "赵六", "password": "a-long-password-1",
        "roles": [role | {"county": "130425"}]})  # fmt: skip
    assert enrolled.status_code == 201, enrolled.text
