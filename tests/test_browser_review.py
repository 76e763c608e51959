"""The evaluator's journey in a real browser: return a value with a comment, the county answers it,
the evaluator sees the answer and accepts it. Plus the evaluator's desk and the coordinator's page.

Reuses the server, browser and helpers of ``test_browser.py`` (same rules: Debian's chromium,
axe-core on every page, screenshots at 1280 × 800 into ``tests/screenshots/``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import browser, check_accessibility, photograph, server, sign_in  # noqa: F401
from tests.test_browser import page as tab  # noqa: F401  (a fresh browser page, signed in by the test)

pytestmark = pytest.mark.slow


def signed_in(tab: Page, username: str) -> None:  # noqa: F811
    """Signs in and waits until the home is shown (the sign-in's redirect has landed)."""
    sign_in(tab, username)
    expect(tab).not_to_have_url(re.compile(r"/signin"))


def sign_out(tab: Page) -> None:  # noqa: F811
    tab.get_by_role("button", name="退出登录").click()
    tab.wait_for_load_state("networkidle")


def test_the_evaluator_returns_a_value_and_sees_the_countys_answer(tab: Page) -> None:  # noqa: F811
    signed_in(tab, "evaluator.east")
    expect(tab).to_have_url(re.compile(r"/evaluation$"))
    expect(tab.get_by_role("heading", level=1)).to_have_text("评估组工作台")
    check_accessibility(tab)
    photograph(tab, "50-review-queue")

    tab.get_by_label("县", exact=True).select_option(label="大名县")
    tab.get_by_role("button", name="查看").click()
    expect(tab).to_have_url(re.compile(r"/evaluation\?status=todo&county=130425"))
    row = tab.locator("table.queue tbody tr").first
    indicator = row.locator('input[name="indicator"]').input_value()
    period = row.locator('input[name="period"]').input_value()
    named = row.get_by_role("rowheader").inner_text()

    row.get_by_role("button", name="退回").click()  # no comment: refused beside the field
    row = tab.locator("table.queue tbody tr").first
    expect(row.locator(".field__error")).to_have_text("退回须填写意见")
    expect(row.get_by_role("textbox")).to_have_attribute("aria-invalid", "true")
    expect(row.get_by_role("textbox")).to_be_focused()
    check_accessibility(tab)
    photograph(tab, "51-review-return-needs-a-comment")

    row.get_by_role("textbox").fill("数值与上期相比变化较大，请核实并说明原因")
    row.get_by_role("button", name="退回").click()  # the row alone is answered (htmx), the queue stays
    expect(row.get_by_role("status")).to_have_text("已退回，并把意见发给县里。")
    expect(row).to_contain_text("已退回，待县里答复")
    expect(row.get_by_role("status")).to_be_focused()
    sign_out(tab)

    signed_in(tab, "coordinator.130425")
    tab.get_by_role("navigation", name="主导航").get_by_role("link", name="在线反馈").click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("在线反馈")
    link = tab.locator(f'a[href*="indicator={indicator}&period={period}"]')
    expect(link).to_have_text(named)
    check_accessibility(tab)
    photograph(tab, "52-feedback-list-county")
    link.click()
    expect(tab.locator(".waiting")).to_have_text("等待县里答复")
    expect(tab.locator(".comments")).to_contain_text("数值与上期相比变化较大，请核实并说明原因")
    tab.get_by_label("答复内容").fill("经核实，本期数值无误，已附统计台账")
    tab.get_by_role("button", name="提交答复").click()
    expect(tab.get_by_role("status")).to_have_text("留言已发出。")
    expect(tab.locator(".waiting")).to_have_text("等待评估组审核")
    check_accessibility(tab)
    photograph(tab, "53-feedback-thread-answered")
    sign_out(tab)

    signed_in(tab, "evaluator.east")
    tab.get_by_label("状态", exact=True).select_option("answered")
    tab.get_by_role("button", name="查看").click()
    answered = tab.locator("table.queue tbody tr", has_text=named)
    expect(answered).to_contain_text("县里已答复，待审核")
    expect(answered).to_contain_text("经核实，本期数值无误，已附统计台账")
    check_accessibility(tab)
    photograph(tab, "54-review-queue-answered")
    answered.get_by_role("link", name="查看反馈记录").click()
    expect(tab).to_have_url(re.compile(rf"indicator={re.escape(indicator)}&period={re.escape(period)}"))
    tab.get_by_role("button", name="通过").click()
    expect(tab.get_by_role("status")).to_have_text("已审核通过。")
    expect(tab.locator(".tag").first).to_have_text("审核通过")
    check_accessibility(tab)
    photograph(tab, "55-feedback-thread-accepted")


def test_the_evaluators_desk_and_the_coordinators_page(tab: Page) -> None:  # noqa: F811
    signed_in(tab, "evaluator.east")
    tab.goto("/counties/130425/evaluation")
    expect(tab.get_by_role("heading", level=1)).to_contain_text("大名县")
    tab.get_by_role("button", name="记录得分调整").click()  # no score, no reason
    expect(tab.locator("#override-score-error")).to_contain_text("请填写调整后的得分")
    check_accessibility(tab)
    photograph(tab, "56-evaluation-desk")
    sign_out(tab)

    signed_in(tab, "coordinator.130425")
    tab.get_by_role("navigation", name="主导航").get_by_role("link", name="指标与分工").click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("指标体系与分工")
    check_accessibility(tab)
    photograph(tab, "57-coordinator-indicators")
    tab.get_by_label("用途说明").fill("县数据中台")
    tab.get_by_role("button", name="创建密钥").click()
    secret = tab.get_by_label("完整密钥")
    expect(secret).to_have_value(re.compile(r"^rek_"))
    check_accessibility(tab)
    photograph(tab, "58-api-key-shown-once")
    tab.goto("/counties/130425/indicators")
    expect(tab.get_by_label("完整密钥")).to_have_count(0)
