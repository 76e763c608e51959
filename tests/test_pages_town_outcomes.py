"""The use of the towns' results as pages (004 八–九), on the demo: 大名县's coordinator issues
金滩镇's result notice (较差, 58.64) and downloads it, decides its consequence (约谈分管负责同志:
较差 without a serious problem), raises an item from the notice's first problem, files its plan
and declares it done; verifying it herself is refused beside the form (separation of duties),
and the administrator verifies it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ruraleval import demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.test_pages import Site

BASE = "/counties/130425/verification"


@pytest.fixture
def site() -> Iterator[Site]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as client:
        demo.load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def post(site: Site, path: str, data: dict[str, str]) -> object:
    return site.client.post(path, data={"csrf_token": site.csrf(), "year": "2023"} | data, follow_redirects=False)


def test_the_county_office_uses_a_towns_result(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(f"{BASE}/outcomes?year=2023").text
    assert "金滩镇 · 58.64 · 较差 · 第 3 名" in page and "尚无整改事项" in page
    assert "镇党委和政府综合评价成绩 = 日常工作情况 62.00 × 0.3 + 年终成效核查总分 57.20 × 0.7 = 58.64" in page

    assert post(site, f"{BASE}/towns/DM04/notices", {}).status_code == 303  # type: ignore[attr-defined]
    page = site.client.get(f"{BASE}/outcomes?year=2023").text
    assert "2023-N1 核查结果通报（PDF）" in page and "58.64 分，较差，第 3 名" in page
    pdf = site.client.get(f"{BASE}/notices/2023-N1.pdf?year=2023")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]

    assert post(site, f"{BASE}/towns/DM04/consequences", {}).status_code == 303  # type: ignore[attr-defined]
    assert (
        "2023-TC1 约谈分管负责同志（规则 G2）：依据通报 2023-N1，58.64 分，等级较差"
        in site.client.get(f"{BASE}/outcomes?year=2023").text
    )

    deadline = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    item = {"problem_id": "P1", "requirement": "补齐帮扶台账", "deadline": deadline, "answerer": "金滩镇"}
    assert post(site, f"{BASE}/towns/DM04/rectification", item).status_code == 303  # type: ignore[attr-defined]
    past = post(site, f"{BASE}/towns/DM04/rectification", item | {"problem_id": "P2", "deadline": "2020-01-01"})
    assert past.status_code == 422  # type: ignore[attr-defined]
    assert re.search(r'id="raise-DM04-deadline"[^>]*aria-invalid="true"', past.text)  # type: ignore[attr-defined]
    path = f"{BASE}/rectification/2023-DM04-Z1"
    assert post(site, f"{path}/plan", {"text": "逐户核对台账"}).status_code == 303  # type: ignore[attr-defined]
    assert post(site, f"{path}/done", {"text": "已补齐"}).status_code == 303  # type: ignore[attr-defined]
    own = post(site, f"{path}/verify", {"comment": ""})
    assert own.status_code == 403 and "核验须由另一人进行" in own.text  # type: ignore[attr-defined]

    site.sign_in("admin")
    assert post(site, f"{path}/verify", {"comment": "通过"}).status_code == 303  # type: ignore[attr-defined]
    page = site.client.get(f"{BASE}/outcomes?year=2023").text
    assert re.search(r"<th scope=\"row\">2023-DM04-Z1</th><td>金滩镇</td>.*?<td>已销号</td>", page)
    assert 'data-table="town-items"' in page


def test_a_reader_sees_the_outcomes_without_forms(site: Site) -> None:
    site.sign_in("dept.130425")
    page = site.client.get(f"{BASE}/outcomes?year=2023")
    assert page.status_code == 200 and "结果运用" in page.text and "出具金滩镇核查结果通报" not in page.text
    refused = post(site, f"{BASE}/towns/DM04/notices", {})
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_the_registry_shows_one_villages_households(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(f"{BASE}?year=2023").text
    assert "户（共 144 户，按村查看）" in page and "<td>DM01V1H1</td>" in page and "<td>DM02V1H1</td>" not in page
    page = site.client.get(f"{BASE}?year=2023&village=DM02V1").text
    assert "<td>DM02V1H1</td>" in page and "<td>DM01V1H1</td>" not in page


def test_the_auditor_reads_the_verification_years_events(site: Site) -> None:
    site.sign_in("auditor")
    page = site.client.get("/audit/counties/130425/verification?year=2023")
    assert page.status_code == 200
    assert "2023 年度镇级核查的事件（36 条）" in page.text and '<th scope="row">抽样</th>' in page.text
    assert "事件流（审计）" in site.client.get(f"{BASE}/ranking?year=2023").text
    site.sign_in("coordinator.130425")
    assert site.client.get("/audit/counties/130425/verification?year=2023").status_code == 403
    assert "事件流（审计）" not in site.client.get(f"{BASE}/ranking?year=2023").text
