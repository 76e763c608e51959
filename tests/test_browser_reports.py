"""The report pages in a real browser: the evaluator opens 评估报告 from the navigation, issues
大名县's report with the 出具报告 button, downloads the report PDF (the stored bytes) and has it
regenerated and compared. axe-core checks each page."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import browser, check_accessibility, demo_server, page, photograph, sign_in  # noqa: F401


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The demo, its read models kept by their own thread as ``ruraleval serve`` keeps them."""
    with demo_server(background=True) as (address, _):
        yield address


def test_the_evaluator_issues_a_report_downloads_it_and_checks_it(page: Page) -> None:  # noqa: F811
    sign_in(page, "evaluator.east")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="评估报告").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("年度评估报告")
    check_accessibility(page)
    page.get_by_role("form", name="出具大名县的评估报告").get_by_role("button", name="出具报告").click()
    expect(page.get_by_role("status")).to_contain_text("评估报告已出具")
    table = page.locator('table[data-table="reports"]')
    expect(table).to_contain_text("大名县（130425）")
    check_accessibility(page)
    photograph(page, "70-reports-issued")
    with page.expect_download() as waiting:
        table.get_by_role("link", name="下载评估报告").first.click()
    download = waiting.value
    assert download.suggested_filename.startswith("大名县-2023年度评估报告-2023-R")
    content = Path(download.path()).read_bytes()
    sha = table.get_by_role("link", name="下载评估报告").first.get_attribute("title")
    assert sha == f"SHA-256 {hashlib.sha256(content).hexdigest()}"
    table.get_by_role("link", name="重新生成并比对大名县的报告").first.click()
    expect(page.get_by_role("status")).to_contain_text("重新生成的报告与出具时逐字节一致")
    check_accessibility(page)
    photograph(page, "71-report-check")
