"""The analysis pages in a real browser (数据分析): the leader opens 横向比较 from the navigation,
the bar chart draws beside its tables; a county's 纵向比较 draws both charts. axe-core checks each."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.test_browser import (  # noqa: F401
    PASSWORDS,
    browser,
    check_accessibility,
    page,
    photograph,
    server,
    sign_in,
)


def test_the_leader_compares_counties_and_opens_one_countys_years_and_gaps(page: Page) -> None:  # noqa: F811
    sign_in(page, "leader")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="数据分析").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("横向比较")
    expect(page.locator(".chart svg").first).to_be_visible()
    expect(page.locator('table[data-table="statistics"]')).to_contain_text("中位数")
    check_accessibility(page)
    photograph(page, "60-analysis-horizontal")
    page.locator('table[data-table="counties"] tbody a').first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("数据分析")
    expect(page.locator(".chart svg")).to_have_count(2)
    expect(page.locator('table[data-table="gap"]')).to_contain_text("失分")
    check_accessibility(page)
    photograph(page, "61-analysis-county")
