"""The verification of the towns in a real browser (issue 13): the county coordinator draws a
town's sample, a team's scores are entered on the day, and the town ranking shows the 004
composite with its formula filled in. Every page axe-checked and photographed.

The demo does not hold a verification yet: the county's year is set up here through the
ledger (scheme, registry, a team for 甲镇), the rest by keyboard and mouse.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from domain import verification_commands as v
from domain.verification_state import Member
from ruraleval.platform import Platform
from tests.test_browser import browser, check_accessibility, demo_server, photograph, sign_in  # noqa: F401
from tests.test_browser import page as tab  # noqa: F401  (a fresh browser page on this module's server)
from tests.town_world import CONTEXT, example_scheme, items, register_command, registry_bodies

pytestmark = pytest.mark.slow

SCHEME = example_scheme()
BASE = "/counties/130425/verification"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with demo_server() as (address, platform):
        prepare(platform)
        yield address


def prepare(platform: Platform) -> None:
    ledger = platform.ledger
    ledger.open_verification("130425", v.OpenVerification(SCHEME), CONTEXT)
    for command in (
        register_command(registry_bodies()),
        v.FormTeam("1", "第一组", [Member("李四", "T02"), Member("王五", "county_office")]),
        v.AssignTeam("1", "T01"),
    ):
        ledger.verify_towns("130425", 2023, command, CONTEXT).result()


def fill_sheet(page: Page, form_name: str, top: str, total: str) -> None:
    form = page.get_by_role("form", name=form_name)
    for code, points in items(top, total, SCHEME).items():
        form.get_by_label(code, exact=False).first.fill(str(points))
    form.get_by_label("核查日期").fill("2023-12-20")
    form.get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status")).to_have_text("核查得分已录入。")


def test_draw_a_sample_record_the_scores_and_see_the_town_ranking(tab: Page) -> None:  # noqa: F811
    page = tab
    sign_in(page, "coordinator.130425", f"{BASE}/samples?year=2023")
    expect(page.get_by_role("heading", level=1)).to_have_text("大名县 · 抽样")
    page.get_by_label("镇", exact=True).select_option("T01")
    page.get_by_label("种子（可空，自动生成）").fill("browser-2023")
    page.get_by_role("button", name="抽样", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="甲镇 · 种子 browser-2023")).to_be_visible()
    expect(page.get_by_text("重抽核对：一致")).to_be_visible()
    check_accessibility(page)
    photograph(page, "70-verification-sample")

    page.get_by_role("navigation", name="镇级核查").get_by_role("link", name="录入得分").click()
    expect(page.get_by_text("第一组核查甲镇")).to_be_visible()
    check_accessibility(page)
    fill_sheet(page, "录入甲镇县核查分（镇党委和政府）", "T", "85")
    fill_sheet(page, "录入甲镇乡村振兴日常工作情况", "W", "92")
    villages = page.locator("section h2", has_text="抽查村 · ").all_inner_texts()
    assert len(villages) == 4
    for name, total in zip(villages, ["90", "80", "70", "88"], strict=True):
        fill_sheet(page, f"录入{name.removeprefix('抽查村 · ')}抽查村核查", "V", total)
    photograph(page, "71-verification-entry")

    page.get_by_role("navigation", name="镇级核查").get_by_role("link", name="排名与综合评价").click()
    row = page.get_by_role("row", name="甲镇")
    expect(row).to_contain_text("86.26")
    expect(row).to_contain_text("较好")
    expect(
        page.get_by_text("镇党委和政府综合评价成绩 = 日常工作情况 92.00 × 0.3 + 年终成效核查总分 83.80 × 0.7 = 86.26")
    ).to_be_visible()
    check_accessibility(page)
    photograph(page, "72-verification-ranking")
