"""The consequence pages (一挂钩): an evaluator decides a county's consequences from its
latest report and its overdue item; the county and the leader see each consequence with its
rule, its causes and where its points are recorded; refusals are shown beside the field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.recorded_time import CHINA
from ruraleval import demo_results
from ruraleval.demo import load_demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.consequence_story import issue_report, raise_item_directly
from tests.test_pages import Site

COUNTY = "130425"
PAGE = f"/counties/{COUNTY}/consequences"
REPORT = f"{demo_results.YEAR}-R2"  # the demo issued 2023-R1
ITEM = f"{demo_results.YEAR}-Z{len(demo_results.ITEMS) + 1}"  # the demo raised three items


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as client:
        service: Platform = app.state.platform
        load_demo(service)  # 大名县 has taken on 2024 in the demo, holding its 2023 items' points
        now = datetime.now(CHINA)
        issue_report(service, now, "较差", serious=True, code=COUNTY, report_id=REPORT)  # after the demo's R1
        raise_item_directly(service, now, ITEM, "2024-05-31", code=COUNTY)  # long overdue
        yield Site(client, service)


def decide(site: Site, **data: str) -> object:
    form = {"csrf_token": site.csrf(), "year": "2023", **data}
    return site.client.post(PAGE, data=form, follow_redirects=False)


def test_an_evaluator_decides_and_everyone_sees_the_causes(site: Site) -> None:
    site.sign_in("evaluator.east")
    before = site.client.get(PAGE, params={"year": 2023}).text
    assert "认定挂钩结果" in before and 'name="on"' in before
    assert f"{REPORT} 号评估报告" not in before  # the demo's consequences name R1; none names R2 yet

    refused = decide(site, on="2999-01-01")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "不能晚于今天" in refused.text and 'aria-invalid="true"' in refused.text  # type: ignore[attr-defined]

    decided = decide(site)
    assert decided.status_code == 303  # type: ignore[attr-defined]
    assert decided.headers["location"] == f"{PAGE}?year=2023&done=decided"  # type: ignore[attr-defined]
    shown = site.client.get(decided.headers["location"]).text  # type: ignore[attr-defined]
    assert "已按方案规则认定挂钩结果。" in shown
    assert "约谈主要负责同志" in shown and "G1：报告等级为较差且有突出问题" in shown
    assert "下一年度扣分" in shown and f"整改事项 {ITEM} 逾期（期限 2024-05-31" in shown
    assert f'href="/counties/{COUNTY}/reports?year=2023"' in shown
    assert f'href="/counties/{COUNTY}/rectification?year=2023#item-{ITEM}"' in shown
    # where 2024's total shows the points, in words (not the adjustment's raw id)
    assert f'href="/audit/counties/{COUNTY}/history?year=2024&amp;node=total"' in shown
    assert "2024 年度总分的变化记录（扣 2 分）" in shown and "-points" not in shown

    again = decide(site)
    assert again.headers["location"].endswith("done=unchanged")  # type: ignore[attr-defined]

    site.sign_in("coordinator.130425")
    own = site.client.get(PAGE, params={"year": 2023}).text
    assert "约谈主要负责同志" in own and 'name="on"' not in own  # reads, but decides nothing

    site.sign_in("auditor")
    audited = site.client.get(PAGE, params={"year": 2023}).text
    assert f'href="/audit/counties/{COUNTY}/history?year=2024&amp;node=total"' in audited

    site.sign_in("leader")
    every = site.client.get("/consequences", params={"year": 2023}).text
    assert "大名县" in every and "约谈主要负责同志" in every and "下一年度扣分" in every
    praised = site.client.get("/consequences", params={"year": 2023, "kind": "commendation"}).text
    assert "没有“通报表扬”的挂钩结果" in praised
    wrong = site.client.get("/consequences", params={"year": 2023, "kind": "praise"})
    assert wrong.status_code == 422 and "种类只能是" in wrong.text
    workbook = site.client.get("/consequences", params={"year": 2023, "format": "xlsx", "table": "consequences"})
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_a_leader_cannot_decide(site: Site) -> None:
    site.sign_in("leader")
    refused = decide(site)
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_a_leader_follows_the_points_to_the_totals_history_and_back(site: Site) -> None:
    """大名县's 2024 total is 0 in the demo (no data yet): the −2 moves no figure but the
    penalty, and the total's history still lists it with its reason and its consequence."""
    site.sign_in("leader")
    shown = site.client.get(PAGE, params={"year": 2023}).text
    link = f"/audit/counties/{COUNTY}/history?year=2024&node=total"
    assert link.replace("&", "&amp;") in shown
    history = site.client.get(link)
    assert history.status_code == 200, history.text
    assert "加减分" in history.text and "挂钩结果 2023-C2（下一年度扣分" in history.text
    assert f'href="{PAGE}?year=2023#2023-C2"' in history.text
    assert "这一时刻该县的全部变化" not in history.text  # the audit views stay the auditor's
    assert "东部评估组成员（evaluator.east）" in shown  # 认定人 as people know them
    assert site.client.get(f"/audit/counties/{COUNTY}/changes", params={"year": 2024}).status_code == 403
