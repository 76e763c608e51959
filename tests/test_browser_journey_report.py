"""Issue 12's journey in a real browser, on the demo: the evaluator issues 大名县's report and
downloads it, raises an item from one of its problems; the county files a plan with evidence and
declares the item done; the evaluator rejects it with a reason and decides the consequences; the
leader finds them among every county's.

Reuses the browser and helpers of ``test_browser.py`` (Debian's chromium, axe-core on every page,
screenshots at 1280 × 800 into ``tests/screenshots/``), with a server whose read models are kept by
their background thread, as ``ruraleval serve`` runs them. Sign-in is typed (Tab, Enter), and the
forms are sent with Enter on their focused button, as a keyboard user does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from domain.collection import beijing_date
from ruraleval import demo_results
from tests.test_browser import browser, check_accessibility, demo_server, photograph, sign_in  # noqa: F401
from tests.test_browser import page as tab  # noqa: F401  (a fresh browser page, signed in by the test)

pytestmark = pytest.mark.slow
CODE = demo_results.COUNTY
YEAR = demo_results.YEAR
NEW_REPORT = f"{YEAR}-R2"  # the demo issued R1 as of 1 March 2024
NEW_ITEM = f"{YEAR}-Z{len(demo_results.ITEMS) + 1}"
LEDGER = f"/counties/{CODE}/rectification?year={YEAR}"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with demo_server(background=True) as (address, _):
        yield address


def signed_in(tab: Page, username: str, path: str) -> None:  # noqa: F811
    sign_in(tab, username, path)
    expect(tab).not_to_have_url(re.compile(r"/signin"))


def sign_out(tab: Page) -> None:  # noqa: F811
    tab.get_by_role("button", name="退出登录").click()
    tab.wait_for_load_state("networkidle")


def press(tab: Page, button: Locator) -> None:  # noqa: F811
    """Sends a form as a keyboard user does: focus its button, press Enter."""
    button.focus()
    tab.keyboard.press("Enter")
    tab.wait_for_load_state("networkidle")


def step(tab: Page, name: str) -> None:  # noqa: F811
    check_accessibility(tab)
    photograph(tab, name)


def test_report_issued_item_rejected_consequence_seen_by_the_leader(tab: Page, tmp_path: Path) -> None:  # noqa: F811
    # 1. The evaluator issues 大名县's report and downloads it: a PDF whose SHA-256 the page shows.
    signed_in(tab, "evaluator.east", "/")
    tab.get_by_role("navigation", name="主导航").get_by_role("link", name="评估报告").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text(f"{YEAR}年度评估报告")  # the year with data
    press(tab, tab.get_by_role("form", name="出具大名县的评估报告").get_by_role("button", name="出具报告"))
    expect(tab.get_by_role("status")).to_contain_text("评估报告已出具")
    row = tab.locator('table[data-table="reports"] tbody tr', has_text=NEW_REPORT)
    expect(row).to_contain_text("大名县（130425）")
    step(tab, "90-journey-report-issued")
    link = row.get_by_role("link", name="下载评估报告")
    with tab.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename == f"大名县-{YEAR}年度评估报告-{NEW_REPORT}.pdf"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    assert link.get_attribute("title") == f"SHA-256 {hashlib.sha256(content).hexdigest()}"

    # 2. …and raises an item from the new report's first problem not raised this year (P1–P3 were,
    # from R1: the same rule on the same indicator is raised once a year), due in 30 days.
    tab.goto(LEDGER)
    raising = tab.locator("section[aria-labelledby=raise-title]")
    source = raising.get_by_label("来源")
    expect(source.locator(f"option[value='{NEW_REPORT}|P1']")).to_have_count(0)
    option = source.locator(f"option[value='{NEW_REPORT}|P4']")
    expect(option).to_contain_text(f"评估报告 {NEW_REPORT} 问题 P4：")
    problem = option.inner_text().split("：", 1)[1].split("（通知书整改期限")[0].removesuffix("（严重）")
    source.select_option(value=f"{NEW_REPORT}|P4")
    raising.get_by_label("整改要求").fill("一个月内消除该项红色预警，报送整改台账")
    deadline = beijing_date(datetime.now(UTC)) + timedelta(days=30)
    raising.get_by_label("整改期限").fill(deadline.isoformat())
    raising.get_by_label("责任单位或责任人").fill("县农业农村局")
    press(tab, raising.get_by_role("button", name="下达"))
    expect(tab.get_by_role("status")).to_have_text("整改事项已下达。")
    expect(tab.locator(f"#item-{NEW_ITEM}")).to_contain_text(problem)  # the report's words
    step(tab, "91-journey-item-raised")
    sign_out(tab)

    # 3. The county coordinator files a plan with evidence and declares the item done.
    signed_in(tab, "coordinator.130425", LEDGER)
    section = tab.locator(f"#item-{NEW_ITEM}")
    evidence = tmp_path / "整改台账.pdf"
    evidence.write_bytes(b"%PDF-1.4 rectification ledger")
    section.get_by_role("textbox", name="整改方案").fill("逐村核对数据来源，补齐台账，每周报送进展")
    section.get_by_label("附件（可多选，每个不超过 20 MB）").set_input_files(str(evidence))
    press(tab, section.get_by_role("button", name="保存整改方案"))
    expect(tab.get_by_role("status")).to_have_text("整改方案已保存。")
    section = tab.locator(f"#item-{NEW_ITEM}")
    expect(section.locator(".timeline")).to_contain_text("整改台账.pdf")
    section.get_by_role("textbox", name="完成情况").fill("各村台账已补齐，预警数据已更正")
    press(tab, section.get_by_role("button", name="申报完成，提请核验"))
    expect(tab.get_by_role("status")).to_have_text("已申报整改完成，等待评估组核验。")
    tab.locator(f"#item-{NEW_ITEM}").scroll_into_view_if_needed()
    step(tab, "92-journey-declared-done")
    sign_out(tab)

    # 4. The evaluator finds it in the queue and rejects it with a reason.
    signed_in(tab, "evaluator.east", "/rectification")
    awaiting = tab.locator("table[data-table=awaiting]")
    expect(awaiting).to_contain_text(NEW_ITEM)
    step(tab, "93-journey-queue")
    awaiting.locator("tr", has_text=NEW_ITEM).get_by_role("link", name="核验").click()
    section = tab.locator(f"#item-{NEW_ITEM}")
    section.get_by_role("textbox", name="理由（必填）").fill("台账缺少三个村的签字页，请补齐后再申报")
    press(tab, section.get_by_role("button", name="退回整改"))
    expect(tab.get_by_role("status")).to_have_text("核验未通过，已退回县里继续整改。")
    section = tab.locator(f"#item-{NEW_ITEM}")
    expect(section.locator(".timeline")).to_contain_text("台账缺少三个村的签字页")
    expect(section.get_by_role("heading", level=2)).to_contain_text("整改中")
    section.scroll_into_view_if_needed()
    step(tab, "94-journey-rejected")

    # 5. …and decides the consequences as of today: the new report's grade gives the same interview as
    # R1's, decided once a year (ADR 26); the item overdue since 30 September gives its points.
    tab.goto(f"/counties/{CODE}/consequences?year={YEAR}")
    press(tab, tab.locator("section[aria-labelledby=decide-title]").get_by_role("button", name="认定挂钩结果"))
    expect(tab.get_by_role("status")).to_have_text("已按方案规则认定挂钩结果。")
    decided = tab.locator("table[data-table=consequences]")
    expect(decided.get_by_role("link", name=re.compile(rf"评估报告 {NEW_REPORT}"))).to_have_count(0)
    expect(decided).to_contain_text("整改事项 2023-Z3 逾期")
    decided.scroll_into_view_if_needed()
    step(tab, "95-journey-consequences-decided")
    sign_out(tab)

    # 6. The leader's consequences page (no year asked: the year with data) shows it.
    signed_in(tab, "leader", "/consequences")
    expect(tab.get_by_role("heading", level=1)).to_have_text(f"{YEAR}年度各县挂钩结果（一挂钩）")
    every = tab.locator("table[data-table=consequences]")
    expect(every.locator("tr", has_text=f"{NEW_REPORT} 号评估报告")).to_have_count(0)
    expect(every.locator("tr", has_text="整改事项 2023-Z3 逾期")).to_contain_text("大名县")
    expect(every).to_contain_text(f"{demo_results.OVERDUE} 逾期")  # the demo's overdue item, with its points
    step(tab, "96-journey-consequences-leader")
