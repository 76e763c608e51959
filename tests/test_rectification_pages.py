"""The rectification pages over HTTP on the demo: the evaluator raises an item, the county files
its plan with evidence and declares it done, the evaluator rejects (a reason required) and
verifies; each side sees only its own forms; the ledger downloads as XLSX; county users cannot
open another county's ledger; the queue lists the caller's counties (leaders: all, read-only)."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain import commands as c
from domain import report_commands as rc
from domain.collection import beijing_date
from ruraleval import demo_results
from ruraleval.demo import load_demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.test_pages import PASSWORDS, Site
from tests.test_pages_review import post, text_of

OURS, THEIRS = "130425", "320583"
YEAR = demo_results.YEAR  # 大名县 has taken on 2024 too, holding only its 2023 items' points
PAGE = f"/counties/{OURS}/rectification"


@pytest.fixture(scope="module")
def demo_site() -> Iterator[Site]:
    """The demo of its own, its read models kept by the background thread: a page that writes
    answers once the ledger's read model holds the write (its next view shows it)."""
    app = create_app(lambda: Platform(parse_database_url("memory://")))
    with TestClient(app) as client:
        load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def api_token(site: Site) -> str:
    token = site.client.post("/api/v1/auth/token", data={"username": "leader", "password": PASSWORDS["leader"]})
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def deadline(days: int) -> str:
    return (beijing_date(datetime.now(UTC)) + timedelta(days=days)).isoformat()


def items(site: Site) -> dict[str, object]:
    """大名县's items of the demo's year, beside the three the demo raised (``demo_results.ITEMS``)."""
    found = site.platform.ledger.county(OURS).book(YEAR).rectification
    return {item_id: item for item_id, item in found.items() if item_id not in demo_results.ITEMS}


def test_both_sides_walk_an_item_through_the_page(demo_site: Site) -> None:
    site = demo_site
    year = str(YEAR)
    site.sign_in("evaluator.east")
    page = site.client.get(PAGE)
    assert page.status_code == 200 and 'id="raise-title"' in page.text and "/plan" not in page.text
    blank = post(site, PAGE, {"year": year, "problem": "村级组织台账不全", "requirement": "", "deadline": deadline(20),
                              "answerer": "县委组织部"})  # fmt: skip
    assert blank.status_code == 422 and 'id="raise-requirement-error"' in blank.text and not items(site)
    past = post(site, PAGE, {"year": year, "problem": "台账不全", "requirement": "补齐", "deadline": deadline(-3),
                             "answerer": "县委组织部"})  # fmt: skip
    assert past.status_code == 422 and "不能早于今天" in text_of(past.text)
    raised = post(site, PAGE, {"year": year, "problem": "村级组织台账不全", "requirement": "补齐台账",
                               "deadline": deadline(20), "answerer": "县委组织部"})  # fmt: skip
    assert raised.status_code == 303 and raised.headers["location"].endswith("done=raise")
    [item_id] = items(site)
    shown = site.client.get(raised.headers["location"]).text
    assert "整改事项已下达" in shown and item_id in shown and "村级组织台账不全" in shown

    site.sign_in("coordinator.130425")
    page = site.client.get(PAGE).text
    assert f"{item_id}/plan" in page and 'id="raise-title"' not in page and "/verify" not in page
    tasks = site.client.get(f"/counties/{OURS}/tasks").text
    assert "待整改事项" in tasks and item_id in tasks
    refused = post(site, f"{PAGE}/{item_id}/verify", {"year": year})
    assert refused.status_code == 403 and "无权" in refused.text
    upload = {"files": ("台账.pdf", b"%PDF-1.4 ledger", "application/pdf")}
    planned = site.client.post(f"{PAGE}/{item_id}/plan", files=upload, follow_redirects=False,
                               data={"csrf_token": site.csrf(), "year": year, "text": "逐村核对"})  # fmt: skip
    assert planned.status_code == 303
    no_text = post(site, f"{PAGE}/{item_id}/done", {"year": year, "text": ""})
    assert no_text.status_code == 422 and f'id="done-{item_id}-text-error"' in no_text.text
    assert post(site, f"{PAGE}/{item_id}/done", {"year": year, "text": "已补齐"}).status_code == 303
    assert item_id not in site.client.get(f"/counties/{OURS}/tasks").text.split("当前预警")[0]  # the evaluators' turn

    site.sign_in("evaluator.east")
    page = site.client.get(PAGE).text
    assert f"{item_id}/verify" in page and "/plan" not in page
    assert "台账.pdf" in page and "逐村核对" in page  # the timeline with its evidence
    no_reason = post(site, f"{PAGE}/{item_id}/reject", {"year": year, "reason": " "})
    assert no_reason.status_code == 422 and f'id="reject-{item_id}-reason-error"' in no_reason.text
    assert post(site, f"{PAGE}/{item_id}/reject", {"year": year, "reason": "两个村缺页"}).status_code == 303
    timeline = text_of(site.client.get(PAGE).text)
    assert "核验未通过" in timeline and "两个村缺页" in timeline and "evaluator.east" in timeline

    site.sign_in("coordinator.130425")
    assert post(site, f"{PAGE}/{item_id}/done", {"year": year, "text": "已补页"}).status_code == 303
    site.sign_in("leader")
    queue = site.client.get("/rectification")
    assert queue.status_code == 200 and item_id in queue.text and ">查看<" in queue.text and ">核验<" not in queue.text
    site.sign_in("evaluator.east")
    assert ">核验<" in site.client.get("/rectification").text
    assert post(site, f"{PAGE}/{item_id}/verify", {"year": year, "comment": ""}).status_code == 303
    ledger = site.client.get(PAGE).text
    assert "已销号" in ledger

    workbook = site.client.get(PAGE, params={"format": "xlsx", "table": "ledger"})
    assert workbook.status_code == 200 and "spreadsheetml" in workbook.headers["content-type"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any(item_id in str(value) for row in rows for value in row)
    assert any("已销号" in str(value) for row in rows for value in row)


def test_a_county_user_cannot_open_another_countys_ledger(demo_site: Site) -> None:
    site = demo_site
    site.sign_in("coordinator.130425")
    refused = site.client.get(f"/counties/{THEIRS}/rectification")
    assert refused.status_code == 403 and "无权查看" in refused.text and "<table" not in refused.text
    assert site.client.get(f"/counties/{OURS}/rectification").status_code == 200
    site.sign_in("dept.130425")
    page = site.client.get(PAGE).text  # read-only: no forms
    assert "/plan" not in page and 'id="raise-title"' not in page
    forbidden = post(site, f"/counties/{OURS}/rectification/2023-Z1/plan", {"text": "x"})
    assert forbidden.status_code == 403


def test_the_ledger_as_of_a_day_is_read_only_and_a_bad_day_is_refused_beside_its_field(demo_site: Site) -> None:
    site = demo_site
    site.sign_in("evaluator.east")
    earlier = site.client.get(PAGE, params={"as_of": "2023-06-01"})
    assert earlier.status_code == 200 and "截至" in earlier.text and 'id="raise-title"' not in earlier.text
    bad = site.client.get(PAGE, params={"as_of": "2023-02-30"})
    assert bad.status_code == 422 and 'id="as_of-error"' in bad.text and 'data-table="ledger"' not in bad.text
    assert re.search(r"<h1>.*整改台账</h1>", site.client.get(PAGE).text)


def test_an_overdue_item_shows_on_the_grid_and_the_countys_tasks(demo_site: Site) -> None:
    """On a county no other test of this module writes to, raised just after the demo's last event."""
    site = demo_site
    county = site.platform.ledger.county(THEIRS)
    raised_at = county.modified_on  # recorded time never runs backwards in a stream
    due = beijing_date(raised_at) + timedelta(days=1)
    command = rc.RaiseRectification(YEAR, "补齐村级台账", due.isoformat(), "市委组织部",
                                   problem="村级台账缺页（逾期检查）")  # fmt: skip
    site.platform.ledger.execute(THEIRS, command, c.Context("evaluator.east", "overdue-item", raised_at))
    site.platform.projections.catch_up()
    site.sign_in("leader")
    grid = site.client.get("/warnings/grid", params={"year": YEAR})
    assert grid.status_code == 200 and "其他整改事项" in grid.text and "整改逾期" in grid.text
    site.sign_in("admin")
    tasks = text_of(site.client.get(f"/counties/{THEIRS}/tasks").text)
    assert "整改逾期" in tasks and "村级台账缺页（逾期检查）" in tasks and "已逾期" in tasks
    listed = site.client.get("/api/v1/warnings", params={"kind": "rectification_overdue", "county": THEIRS},
                             headers={"Authorization": "Bearer " + api_token(site)})  # fmt: skip
    assert listed.status_code == 200 and listed.json()["warnings"][0]["level"] == "red"  # long past the deadline


def test_the_evidence_files_are_links_that_download_for_readers_of_the_county_only(demo_site: Site) -> None:
    sha = hashlib.sha256(demo_results.EVIDENCE).hexdigest()
    url = f"/counties/{OURS}/rectification/files/{sha}"
    for username in ("evaluator.east", "leader", "dept.130425"):
        demo_site.sign_in(username)
        assert f'href="{url}"' in demo_site.client.get(f"{PAGE}?year={YEAR}").text
        got = demo_site.client.get(url)
        assert got.status_code == 200 and got.content == demo_results.EVIDENCE, username
        assert quote(demo_results.EVIDENCE_NAME) in got.headers["content-disposition"]
    demo_site.sign_in("coordinator.130425")
    assert demo_site.client.get(f"/counties/{THEIRS}/rectification/files/{sha}").status_code == 403
    assert demo_site.client.get(f"/counties/{OURS}/rectification/files/{'0' * 64}").status_code == 404


def test_a_departments_tasks_list_only_the_items_of_its_own_indicators(demo_site: Site) -> None:
    """2023-Z2 is indicator 2.2's (县自然资源和规划局), not 县农业农村局's: dept.130425 does not see it."""
    book = demo_site.platform.ledger.county(OURS).book(YEAR)
    z2 = book.rectification[demo_results.OVERDUE]
    assert z2.indicator and book.responsibility[z2.indicator].department != "县农业农村局"
    demo_site.sign_in("dept.130425")
    department = text_of(demo_site.client.get(f"/counties/{OURS}/tasks?year={YEAR}").text)
    assert "仅列出县农业农村局负责的指标" in department and demo_results.OVERDUE not in department
    demo_site.sign_in("coordinator.130425")
    coordinator = text_of(demo_site.client.get(f"/counties/{OURS}/tasks?year={YEAR}").text)
    assert demo_results.OVERDUE in coordinator


def test_the_timeline_names_people_and_only_county_users_get_the_own_to_do_link(demo_site: Site) -> None:
    demo_site.sign_in("leader")
    leader = text_of(demo_site.client.get(f"{PAGE}?year={YEAR}").text)
    assert "东部评估组成员（evaluator.east）" in leader and "大名县县级管理员（coordinator.130425）" in leader
    assert "本县待办" not in leader and "大名县的待办事项" in leader
    demo_site.sign_in("coordinator.130425")
    assert "本县待办" in text_of(demo_site.client.get(f"{PAGE}?year={YEAR}").text)


def test_the_raise_form_offers_the_deadline_the_notice_printed(demo_site: Site) -> None:
    """The demo's report (as of 1 March 2024) gave each problem 2024-05-30 in its notice: the
    form raising P4 or P5 starts from that deadline, and shows it beside each problem."""
    demo_site.sign_in("evaluator.east")
    shown = demo_site.client.get(f"/counties/{OURS}/rectification", params={"year": YEAR}).text
    assert re.search(r'id="raise-deadline"[^>]*value="2024-05-30"', shown)
    assert "问题 P4" in shown and "（通知书整改期限 2024-05-30）" in shown
    assert "问题 P1：" not in shown  # raised already (2023-Z1)
