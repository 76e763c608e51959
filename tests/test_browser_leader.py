"""The leader's journey in a real browser (领导小组): the ranking as of a day before a
correction shows the earlier total and rank; the replay moves by keyboard; the grid and a
county's charts draw. Figures expected are read from the platform's API in the test.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from domain.recorded_time import CHINA
from tests.test_browser import (  # noqa: F401
    PASSWORDS,
    browser,
    check_accessibility,
    page,
    photograph,
    server,
    sign_in,
)

YEAR = 2023


def api(page: Page, username: str, path: str, **params: str) -> Any:  # noqa: F811
    """The bearer API as ``username``, from the browser's own origin."""
    token = page.request.post("/api/v1/auth/token", form={"username": username, "password": PASSWORDS[username]})
    answer = page.request.get(path, params=params, headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert answer.ok, answer.text()
    return answer.json()


def a_correction(page: Page) -> tuple[dict[str, Any], str]:  # noqa: F811
    """A county whose data of the year was corrected, and the Beijing day before the correction."""
    for county in api(page, "auditor", "/api/v1/counties"):
        events = api(page, "auditor", f"/api/v1/counties/{county['code']}/events", type="DataCorrected")["events"]
        for event in events:
            if str(event["payload"].get("period", "")).startswith(str(YEAR)):
                corrected = datetime.fromisoformat(event["recorded_at"]).astimezone(CHINA).date()
                return county, (corrected - timedelta(days=1)).isoformat()
    raise AssertionError("the demo records no correction of the year")


def entry(page: Page, code: str, **params: str) -> dict[str, Any]:  # noqa: F811
    found = api(page, "leader", "/api/v1/rankings", year=str(YEAR), **params)["counties"]
    return next(row for row in found if row["county"] == code)


def test_the_leader_moves_the_as_of_picker_before_a_correction_and_sees_the_earlier_total_and_rank(
    page: Page,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    county, before = a_correction(page)
    now, then = entry(page, county["code"]), entry(page, county["code"], as_of=before)
    assert now["total"] != then["total"]  # the correction moved the total
    sign_in(page, "leader")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=county["name"], exact=True))
    expect(row.get_by_role("cell").first).to_have_text(str(now["rank"]))
    expect(row).to_contain_text(f"{now['total']:.2f}")
    check_accessibility(page)
    photograph(page, "50-leader-ranking")

    page.get_by_label("查询日期").fill(before)
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(f"{server}/rankings?year={YEAR}&as_of={before}")
    expect(page.get_by_text("历史数据")).to_be_visible()
    expect(row.get_by_role("cell").first).to_have_text(str(then["rank"]))
    expect(row).to_contain_text(f"{then['total']:.2f}")
    check_accessibility(page)
    row.scroll_into_view_if_needed()
    photograph(page, "51-leader-ranking-as-of")

    # The replay, by keyboard: one step back moves the ranking to the month before.
    slider = page.get_by_label("记录时间（按月")
    shown = page.locator("#replay-label").inner_text()
    slider.focus()
    with page.expect_response(lambda answer: "/rankings/replay" in answer.url):
        page.keyboard.press("ArrowLeft")
    expect(page.locator("#replay-label")).not_to_have_text(shown)
    expect(page.get_by_role("columnheader", name="变化")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/rankings\?year=\d+&as_of=\d{4}-\d{2}-\d{2}$"))
    check_accessibility(page)
    page.get_by_role("columnheader", name="变化").scroll_into_view_if_needed()
    photograph(page, "52-leader-replay")
    stepped = page.locator("#replay-label").inner_text()
    play = page.get_by_role("button", name="自动播放")
    play.press("Enter")  # plays forward, a read per step, until pressed again
    expect(page.locator("#replay-label")).not_to_have_text(stepped)
    page.get_by_role("button", name="暂停").press("Enter")
    expect(page.get_by_role("button", name="自动播放")).to_have_attribute("aria-pressed", "false")

    row.get_by_role("link", name=county["name"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{county['name']} · {YEAR}年度得分")
    expect(page.locator(".chart svg").first).to_be_visible()
    check_accessibility(page)
    photograph(page, "53-leader-county")
    page.get_by_role("heading", name="逐月变化（纵向）").evaluate("heading => heading.scrollIntoView()")
    photograph(page, "55-leader-county-months")
    page.get_by_role("heading", name=re.compile("各县对比（横向）")).evaluate("heading => heading.scrollIntoView()")
    photograph(page, "56-leader-county-region")


def test_the_grid_draws_its_heat_map_beside_its_table(page: Page) -> None:  # noqa: F811
    sign_in(page, "leader")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="网格化预警").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{YEAR}年度网格化预警")
    expect(page.locator(".chart--heatmap svg").first).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("大名县")
    check_accessibility(page)
    photograph(page, "54-leader-grid")
    page.get_by_role("heading", name="热力图").evaluate("heading => heading.scrollIntoView()")
    photograph(page, "57-leader-grid-heatmap")


TABLET = {"width": 768, "height": 1024}


def test_on_a_tablet_every_column_shows_and_names_wrap_little(page: Page) -> None:  # noqa: F811
    page.set_viewport_size(TABLET)
    sign_in(page, "leader")
    page.goto(f"/rankings?year={YEAR}")
    table = page.locator(".ranking .table-scroll")
    overflow = table.evaluate("box => box.scrollWidth - box.clientWidth")
    header = page.get_by_role("columnheader", name="调整情况")
    right = header.evaluate("cell => cell.getBoundingClientRect().right")
    header.evaluate("cell => cell.scrollIntoView()")
    photograph(page, "58-leader-ranking-tablet")
    assert overflow <= 1 and right <= TABLET["width"], f"the ranking overflows by {overflow}px"
    check_accessibility(page)

    adjusted = next(county["code"] for county in api(page, "leader", "/api/v1/counties")
                    if any(node["override"] for node in api(page, "leader", f"/api/v1/counties/{county['code']}/scores",
                                                            year=str(YEAR))["nodes"]))  # fmt: skip
    page.goto(f"/counties/{adjusted}?year={YEAR}")  # a county with 调整情况 beside its names
    names = page.locator("section[aria-labelledby=scores-title] tbody th")
    heights = names.evaluate_all(
        "cells => cells.map(cell => { const words = document.createRange(); words.selectNodeContents(cell);"
        " return words.getBoundingClientRect().height / parseFloat(getComputedStyle(cell).lineHeight); })"
    )
    assert max(heights) < 2.5, f"an indicator name wraps to {max(heights):.1f} lines"
    page.locator("#scores-title").evaluate("heading => heading.scrollIntoView()")
    check_accessibility(page)
    photograph(page, "59-leader-county-tablet")


def test_the_daily_replay_jumps_a_month_with_page_up_and_down(page: Page) -> None:  # noqa: F811
    sign_in(page, "leader")
    page.goto(f"/rankings?year={YEAR}&unit=day&as_of={YEAR}-06-15")
    slider = page.get_by_label("记录时间（按日")
    expect(page.locator("#replay-label")).to_have_text(f"{YEAR}年6月15日")
    slider.focus()
    with page.expect_response(lambda answer: "/rankings/replay" in answer.url):
        page.keyboard.press("PageDown")
    expect(page.locator("#replay-label")).to_have_text(f"{YEAR}年7月15日")
    with page.expect_response(lambda answer: "/rankings/replay" in answer.url):
        page.keyboard.press("PageUp")
    expect(page.locator("#replay-label")).to_have_text(f"{YEAR}年6月15日")
    expect(page).to_have_url(re.compile(rf"as_of={YEAR}-06-15"))


def test_a_date_that_does_not_exist_is_refused_beside_the_date(page: Page) -> None:  # noqa: F811
    sign_in(page, "leader")
    answer = page.goto(f"/rankings?year={YEAR}&as_of={YEAR}-02-30")
    assert answer is not None and answer.status == 422
    field = page.get_by_label("查询日期")
    expect(field).to_have_attribute("aria-invalid", "true")
    words = f"查询日期 {YEAR}-02-30 不是实际存在的日期：{YEAR}年2月只有 28 天"
    expect(page.locator("#as_of-error")).to_have_text(words)
    expect(page.get_by_role("alert")).to_contain_text("查询条件有误")
    check_accessibility(page)
    photograph(page, "60-leader-bad-date")
