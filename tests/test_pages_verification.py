"""The verification pages (镇级核查) as HTML: the county coordinator opens the year, imports the
registry, forms teams (the cross-check refusal beside its field), draws a sample, enters a
team's scores and reads the ranking with each composite's formula filled in."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from api.app import create_app
from ruraleval import demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.test_pages import Site
from tests.town_world import EXAMPLE, example_scheme, items, registry_bodies

BASE = "/counties/130425/verification"
SCHEME = example_scheme()


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The demo without its verification of towns: these pages are walked from an unopened year."""
    monkeypatch.setattr(demo, "load_town_verification", lambda platform: None)
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as client:
        demo.load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def registry_workbook() -> bytes:
    bodies = registry_bodies()
    book = Workbook()
    towns = book.active
    assert towns is not None
    towns.title = "镇"
    towns.append(["镇编码", "镇名称"])
    for t in bodies["towns"]:
        towns.append([t["code"], t["name"]])
    villages = book.create_sheet("村")
    villages.append(["村编码", "村名称", "所属镇编码", "脱贫村"])
    for x in bodies["villages"]:
        villages.append([x["code"], x["name"], x["town"], "是" if x["poverty_relief"] else "否"])
    households = book.create_sheet("户")
    households.append(["户编码", "户主", "所属村编码", "标识"])
    for h in bodies["households"]:
        households.append([h["code"], h["head"], h["village"], "、".join(h["flags"])])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def post(site: Site, path: str, data: dict[str, str], **kwargs: object) -> object:
    return site.client.post(
        path, data={"csrf_token": site.csrf(), "year": "2023"} | data, follow_redirects=False, **kwargs
    )  # type: ignore[arg-type]


def test_a_coordinator_walks_the_verification_of_the_towns(site: Site) -> None:
    site.sign_in("coordinator.130425")
    first = site.client.get(f"{BASE}?year=2023")
    assert first.status_code == 200 and "尚未开始 2023 年度的镇级核查" in first.text
    opened = post(site, f"{BASE}/open", {}, files={"scheme": ("scheme.json", EXAMPLE.read_bytes(), "application/json")})
    assert opened.status_code == 303, opened.text  # type: ignore[attr-defined]
    workbook = {"file": ("登记表.xlsx", registry_workbook(), "application/octet-stream")}
    imported = post(site, f"{BASE}/registry/import", {}, files=workbook)
    assert imported.status_code == 303  # type: ignore[attr-defined]
    page = site.client.get(f"{BASE}?year=2023").text
    assert "已登记 3 个镇、18 个村、108 户" in page and '<label for="town-code">镇编码</label>' in page

    members = "李四,T01\n王五,county_office"
    assert post(site, f"{BASE}/teams", {"team_id": "1", "name": "第一组", "members": members}).status_code == 303  # type: ignore[attr-defined]
    teams = site.client.get(f"{BASE}/teams?year=2023").text
    assert "不得核查（成员来源镇）：甲镇" in teams and "甲镇（成员来源镇，不得核查）" in teams
    refused = post(site, f"{BASE}/teams/1/assign", {"town": "T01"})
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "李四 来自甲镇，不能核查本镇" in refused.text  # type: ignore[attr-defined]
    assert 'aria-invalid="true"' in refused.text  # type: ignore[attr-defined]
    assert post(site, f"{BASE}/teams/1/assign", {"town": "T02"}).status_code == 303  # type: ignore[attr-defined]

    assert post(site, f"{BASE}/samples", {"town": "T02", "seed": "page-seed"}).status_code == 303  # type: ignore[attr-defined]
    samples = site.client.get(f"{BASE}/samples?year=2023").text
    assert "种子 <code>page-seed</code>" in samples and "重抽核对：一致" in samples

    entry = site.client.get(f"{BASE}/entry?year=2023&team=1").text
    assert "第一组核查乙镇" in entry
    villages = re.findall(r'name="object" value="(T02V\d)"', entry)
    assert len(villages) == 4

    def record(sheet: str, target: str, total: str) -> None:
        top = SCHEME.verification.sheet(sheet)
        assert top is not None
        fields = {f"item-{k}": str(p) for k, p in items(top.indicator, total, SCHEME).items()}
        answer = post(
            site,
            f"{BASE}/scores",
            {"team_id": "1", "sheet": sheet, "object": target, "checked_on": "2023-12-20", "authority": "county"}
            | fields,
        )
        assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]

    record("verification", "T02", "85")
    record("daily_work", "T02", "92")
    for village, total in zip(villages, ["90", "80", "70", "88"], strict=True):
        record("villages", village, total)
    ranking = site.client.get(f"{BASE}/ranking?year=2023").text
    assert '<td class="num">86.26</td><td>较好</td>' in ranking
    assert "镇党委和政府综合评价成绩 = 日常工作情况 92.00 × 0.3 + 年终成效核查总分 83.80 × 0.7 = 86.26" in ranking


def test_a_refused_score_is_shown_beside_its_item_and_nothing_is_stored(site: Site) -> None:
    site.sign_in("coordinator.130425")
    post(site, f"{BASE}/open", {}, files={"scheme": ("scheme.json", EXAMPLE.read_bytes(), "application/json")})
    post(
        site, f"{BASE}/registry/import", {}, files={"file": ("r.xlsx", registry_workbook(), "application/octet-stream")}
    )
    post(site, f"{BASE}/teams", {"team_id": "1", "name": "第一组", "members": "李四,T02"})
    post(site, f"{BASE}/teams/1/assign", {"town": "T01"})
    fields = {f"item-{k}": str(p) for k, p in items("W", "92", SCHEME).items()} | {"item-W4": "31"}
    answer = post(
        site,
        f"{BASE}/scores",
        {"team_id": "1", "sheet": "daily_work", "object": "T01", "checked_on": "2023-12-20", "authority": "county"}
        | fields,
    )
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "的得分必须在 0 至 30 之间，收到 31" in answer.text  # type: ignore[attr-defined]
    assert "尚未录入" in site.client.get(f"{BASE}/entry?year=2023&team=1").text


def test_a_department_user_reads_but_has_no_forms(site: Site) -> None:
    site.sign_in("coordinator.130425")
    post(site, f"{BASE}/open", {}, files={"scheme": ("scheme.json", EXAMPLE.read_bytes(), "application/json")})
    site.sign_in("dept.130425")
    page = site.client.get(f"{BASE}/teams?year=2023")
    assert page.status_code == 200 and "尚未组建核查组" in page.text and "new-team-title" not in page.text
    refused = post(site, f"{BASE}/teams", {"team_id": "1", "name": "第一组", "members": "李四,T02"})
    assert refused.status_code == 403 and "无权组织本县对镇的核查" in refused.text  # type: ignore[attr-defined]


def test_a_refused_workbook_lists_its_rows_and_columns_and_registers_nothing(site: Site) -> None:
    site.sign_in("coordinator.130425")
    post(site, f"{BASE}/open", {}, files={"scheme": ("scheme.json", EXAMPLE.read_bytes(), "application/json")})
    book = Workbook()
    villages = book.active
    assert villages is not None
    villages.title = "村"
    villages.append(["村编码", "村名称", "所属镇编码", "脱贫村"])
    villages.append(["X1", "某村", "T99", "也许"])
    buffer = io.BytesIO()
    book.save(buffer)
    refused = post(
        site, f"{BASE}/registry/import", {}, files={"file": ("r.xlsx", buffer.getvalue(), "application/octet-stream")}
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    assert "登记表有 2 处问题，整份文件未登记" in text
    assert "<td>2</td><td>脱贫村</td><td>村 第 2 行：脱贫村只能填“是”或“否”，收到“也许”</td>" in text
    assert "<td>2</td><td>所属镇编码</td><td>村 第 2 行：村“某村”所属的镇“T99”尚未登记</td>" in text
    assert "已登记 0 个镇、0 个村、0 户" in site.client.get(f"{BASE}?year=2023").text
