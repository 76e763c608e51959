"""Rectification in a real browser: the evaluator raises an item, the county files its plan with
evidence and declares it done, the evaluator rejects it (a reason required) and the queue shows it.

Reuses the browser and helpers of ``test_browser.py`` (Debian's chromium, axe-core on every page,
screenshots at 1280 × 800 into ``tests/screenshots/``), with a server whose read models are kept
by their background thread, as ``ruraleval serve`` runs them: a page that writes answers once
the ledger's read model holds the write.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from domain.collection import beijing_date
from tests.test_browser import browser, check_accessibility, demo_server, photograph, sign_in  # noqa: F401
from tests.test_browser import page as tab  # noqa: F401  (a fresh browser page, signed in by the test)

pytestmark = pytest.mark.slow
LEDGER = "/counties/130425/rectification"


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


def test_an_item_is_raised_planned_with_evidence_and_rejected(tab: Page, tmp_path: Path) -> None:  # noqa: F811
    signed_in(tab, "evaluator.east", LEDGER)
    expect(tab.get_by_role("heading", level=1)).to_contain_text("整改台账")
    raising = tab.locator("section[aria-labelledby=raise-title]")
    raising.get_by_label("问题（评估组自行下达时必填）").fill("村级组织台账不全")
    raising.get_by_label("整改要求").fill("一个月内补齐各村台账")
    raising.get_by_label("整改期限").fill("")  # the form starts from the notice's deadline
    raising.get_by_role("button", name="下达").click()  # no deadline, no answerer: refused beside the fields
    expect(tab.locator("#raise-deadline-error")).to_be_visible()
    expect(tab.get_by_label("整改期限")).to_have_attribute("aria-invalid", "true")
    check_accessibility(tab)
    photograph(tab, "80-rectification-raise-refused")
    deadline = (beijing_date(datetime.now(UTC)) + timedelta(days=30)).isoformat()
    raising = tab.locator("section[aria-labelledby=raise-title]")
    raising.get_by_label("整改期限").fill(deadline)
    raising.get_by_label("责任单位或责任人").fill("县委组织部")
    raising.get_by_role("button", name="下达").click()
    expect(tab.get_by_role("status")).to_have_text("整改事项已下达。")
    item = tab.locator("table[data-table=ledger] tbody tr", has_text="村级组织台账不全")  # beside the demo's items
    expect(item).to_have_count(1)
    item_id = item.get_by_role("rowheader").inner_text().strip()
    sign_out(tab)

    signed_in(tab, "coordinator.130425", LEDGER)
    section = tab.locator(f"#item-{item_id}")
    evidence = tmp_path / "台账清单.pdf"
    evidence.write_bytes(b"%PDF-1.4 ledger list")
    section.get_by_role("textbox", name="整改方案").fill("逐村核对，补齐缺页")
    section.get_by_label("附件（可多选，每个不超过 20 MB）").set_input_files(str(evidence))
    section.get_by_role("button", name="保存整改方案").click()
    expect(tab.get_by_role("status")).to_have_text("整改方案已保存。")
    section = tab.locator(f"#item-{item_id}")
    expect(section.locator(".timeline")).to_contain_text("台账清单.pdf")
    section.get_by_role("textbox", name="完成情况").fill("各村台账已补齐")
    section.get_by_role("button", name="申报完成，提请核验").click()
    expect(tab.get_by_role("status")).to_have_text("已申报整改完成，等待评估组核验。")
    check_accessibility(tab)
    photograph(tab, "81-rectification-county")
    sign_out(tab)

    signed_in(tab, "evaluator.east", "/rectification")
    expect(tab.locator("table[data-table=awaiting]")).to_contain_text(item_id)
    check_accessibility(tab)
    photograph(tab, "82-rectification-queue")
    tab.locator("table[data-table=awaiting]").get_by_role("link", name="核验").first.click()
    section = tab.locator(f"#item-{item_id}")
    section.get_by_role("button", name="退回整改").click()  # the browser asks for the required reason first
    expect(tab.get_by_role("status")).to_have_count(0)
    section.get_by_role("textbox", name="理由（必填）").fill("两个村仍缺签字页")
    section.get_by_role("button", name="退回整改").click()
    expect(tab.get_by_role("status")).to_have_text("核验未通过，已退回县里继续整改。")
    expect(tab.locator(f"#item-{item_id} .timeline")).to_contain_text("两个村仍缺签字页")
    check_accessibility(tab)
    photograph(tab, "83-rectification-rejected")
