"""The verification of the towns in a real browser (issue 13), on the demo: 大名县's coordinator
draws the sample of 万堤镇 (the demo's town with a team but no sample yet), enters its team's
scores on the day, and the town ranking shows its composite, with the formula filled in,
among the demo's other towns. Every page axe-checked and photographed.

Hand-worked: 县核查分 85, villages 90, 80, 70, 88 → mean 82, year-end 85 × 0.6 + 82 × 0.4 = 83.80;
daily work 92 → composite 92 × 0.3 + 83.80 × 0.7 = 86.26 (较好), second after 大名镇's 88.73.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from domain.scheme import Scheme
from ruraleval import demo_towns as towns
from tests.test_browser import browser, check_accessibility, demo_server, photograph, sign_in  # noqa: F401
from tests.test_browser import page as tab  # noqa: F401  (a fresh browser page on this module's server)

pytestmark = pytest.mark.slow

BASE = f"/counties/{towns.COUNTY}/verification"
TOWN = towns.TOWN_NOT_SAMPLED
TOWN_NAME = dict(towns.TOWNS)[TOWN]
TEAM_NAME = next(name for _, name, _, town in towns.TEAMS if town == TOWN)
SCHEME: Scheme = towns.verification_scheme()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with demo_server() as (address, _platform):
        yield address


def fill_sheet(page: Page, form_prefix: str, top: str, total: str) -> None:
    """Every item of a sheet (its share of the total), the day of the check, then save."""
    form = page.get_by_role("form", name=re.compile(f"^录入{re.escape(form_prefix)}"))
    for code, points in towns.sheet_items(SCHEME, top, total).items():
        form.get_by_label(f"{code} ", exact=False).first.fill(str(points))
    form.get_by_label("核查日期").fill(towns.CHECKED_ON)
    form.get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status")).to_have_text("核查得分已录入。")


def test_draw_a_sample_record_the_scores_and_see_the_town_ranking(tab: Page) -> None:  # noqa: F811
    page = tab
    sign_in(page, "coordinator.130425", f"{BASE}/ranking?year={towns.YEAR}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("大名县")
    expect(page.get_by_role("row", name=re.compile("大名镇"))).to_contain_text("88.73")
    check_accessibility(page)
    photograph(page, "69-verification-demo-ranking-before")

    page.get_by_role("navigation", name="镇级核查").get_by_role("link", name="抽样").click()
    page.get_by_label("镇", exact=True).select_option(TOWN)
    page.get_by_label("种子（可空，自动生成）").fill("browser-2023")
    page.get_by_role("button", name="抽样", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name=f"{TOWN_NAME} · 种子 browser-2023")).to_be_visible()
    expect(page.get_by_text("重抽核对：一致").first).to_be_visible()
    check_accessibility(page)
    page.get_by_role("heading", name=f"{TOWN_NAME} · 种子 browser-2023").scroll_into_view_if_needed()
    photograph(page, "70-verification-sample")

    page.get_by_role("navigation", name="镇级核查").get_by_role("link", name="录入得分").click()
    page.get_by_label("核查组").select_option(label=f"{TEAM_NAME} · {TOWN_NAME}")
    page.get_by_role("button", name="选择").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text(f"{TEAM_NAME}核查{TOWN_NAME}")).to_be_visible()
    check_accessibility(page)
    fill_sheet(page, f"{TOWN_NAME}县核查分", "T", "85")
    fill_sheet(page, f"{TOWN_NAME}乡村振兴日常工作情况", "W", "92")
    villages = page.locator("section h2", has_text="抽查村 · ").all_inner_texts()
    assert len(villages) == 4
    for name, total in zip(villages, ["90", "80", "70", "88"], strict=True):
        fill_sheet(page, name.removeprefix("抽查村 · "), "V", total)
    check_accessibility(page)
    photograph(page, "71-verification-entry")

    page.get_by_role("navigation", name="镇级核查").get_by_role("link", name="排名与综合评价").click()
    row = page.get_by_role("row", name=re.compile(TOWN_NAME))
    expect(row).to_contain_text("86.26")
    expect(row).to_contain_text("较好")
    expect(row).to_contain_text("2")  # second, after 大名镇 (88.73)
    formula = page.get_by_text(
        "镇党委和政府综合评价成绩 = 日常工作情况 92.00 × 0.3 + 年终成效核查总分 83.80 × 0.7 = 86.26"
    )
    expect(formula).to_be_visible()
    check_accessibility(page)
    formula.scroll_into_view_if_needed()
    photograph(page, "72-verification-ranking")

    # the use of the result (004 八–九): the town's result notice, then the consequence its grade gives
    page.get_by_role("navigation", name="镇级核查").get_by_role("link", name="结果运用").click()
    page.get_by_role("button", name=f"出具{TOWN_NAME}核查结果通报").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status")).to_have_text("核查结果通报已出具，文件按哈希保存。")
    page.get_by_role("button", name=f"认定{TOWN_NAME}的表扬或约谈").click()
    page.wait_for_load_state("networkidle")
    town = page.locator(f"#town-{TOWN}")
    expect(town).to_contain_text("通报表扬（规则 G4）")  # 较好
    expect(town.get_by_role("link", name=re.compile("核查结果通报（PDF）"))).to_be_visible()
    check_accessibility(page)
    town.scroll_into_view_if_needed()
    photograph(page, "73-verification-outcomes")
