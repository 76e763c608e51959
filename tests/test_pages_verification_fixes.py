"""The verification pages on the demo as QA found them (phase 3): the 镇级核查 link opens the year
that has a verification, with a year selector; dates in Beijing days; team names only; the
audit view in Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ruraleval import demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.test_pages import Site

BASE = "/counties/130425/verification"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as client:
        demo.load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def test_the_verification_link_opens_the_latest_year_opened_with_a_year_selector(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(BASE)
    assert page.status_code == 200
    assert "2023年度镇级核查" in page.text and "尚未开始" not in page.text
    assert '<select id="verification-year" name="year">' in page.text
    assert '<option value="2023" selected>2023 年度</option>' in page.text
    other = site.client.get(f"{BASE}?year=2024").text  # a year not opened can still be chosen by its link
    assert "尚未开始 2024 年度的镇级核查" in other and '<option value="2023">2023 年度</option>' in other
