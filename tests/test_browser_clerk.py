"""The clerk's journeys in a real browser: a month entered by keyboard, a workbook with a bad row.

The server is this module's own (a demo whose months the tests empty first, as a clerk
finds a month not yet entered); the browser, the accessibility check and the photographs
are ``test_browser``'s. Indicators, ranges and values come from the platform's data.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain import commands as c
from domain.access import Action
from domain.collection import template_lines
from domain.decimals import plain
from domain.intake import flag_for
from domain.periods import parse_period
from domain.state import CountyYear, thread_key
from ruraleval.platform import Platform
from tests.test_browser import browser, check_accessibility, demo_server, page, photograph, sign_in  # noqa: F401

from playwright.sync_api import Page, expect  # isort: skip  (after test_browser, which skips without chromium)

pytestmark = pytest.mark.slow
CODE = "130425"
CLERK = "dept.130425"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, Platform]]:
    with demo_server(background=False) as found:
        yield found


@pytest.fixture(scope="module")
def server(demo: tuple[str, Platform]) -> str:
    return demo[0]


@pytest.fixture(scope="module")
def platform(demo: tuple[str, Platform]) -> Platform:
    return demo[1]


def book(platform: Platform) -> CountyYear:
    return platform.ledger.county(CODE).book(2023)


def emptied(platform: Platform, month: str) -> list[tuple[str, str]]:
    """The clerk's monthly cells of ``month`` (as its form lists them), their values withdrawn."""
    principal = platform.organisation.user_principal(CLERK)
    assert principal is not None
    scope = principal.data_scope(Action.SUBMIT_DATA, CODE)
    cells = [(line.indicator, line.period) for line in template_lines(book(platform), parse_period(month), scope)
             if line.period == month]  # fmt: skip
    context = c.Context("coordinator.130425", f"browser-empty-{month}")
    for indicator, period in cells:
        if period in book(platform).data.get(indicator, {}):
            platform.ledger.execute(CODE, c.WithdrawSubmission(indicator, period, "演示：重新填报"), context)
    assert len(cells) >= 2, cells
    return cells


def previous(platform: Platform, indicator: str, period: str) -> Decimal:
    earlier = [held.value for key, held in sorted(book(platform).data.get(indicator, {}).items()) if key < period]
    return earlier[-1]


def jump(platform: Platform, indicator: str, period: str) -> Decimal:
    """A value within range that the county's rules flag as a jump from the indicator's history."""
    low, high = book(platform).indicators[indicator].range or [Decimal(0), Decimal(10) ** 9]
    for factor in (Decimal(5), Decimal(3), Decimal("0.2"), Decimal(2)):
        value = (previous(platform, indicator, period) * factor).quantize(Decimal("0.01"))
        if low <= value <= high and flag_for(platform.ledger.county(CODE), indicator, period, value):
            return value
    raise AssertionError(f"no jump in range for {indicator}")


def row(view: Page, indicator: str, period: str):  # type: ignore[no-untyped-def]
    key = "c-" + "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in f"{indicator}-{period}")
    return view.locator(f"#{key}")


def test_the_clerk_enters_a_month_by_keyboard_meets_a_range_error_and_a_jump_and_confirms_it(
    page: Page,  # noqa: F811 (the fixture of test_browser)
    platform: Platform,
) -> None:
    month = "2023-11"
    (first, period), (second, _), *_ = emptied(platform, month)
    high = book(platform).indicators[first].range[1]  # type: ignore[index]
    steady, jumped = previous(platform, first, period), jump(platform, second, period)

    sign_in(page, CLERK)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="在线填报").focus()
    page.keyboard.press("Enter")
    page.get_by_label("填报期间").select_option(month)
    page.get_by_role("button", name="打开").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("大名县 · 2023年11月数据填报")
    check_accessibility(page)
    photograph(page, "50-clerk-entry")

    one, two = row(page, first, period), row(page, second, period)
    first_cell = one.locator("input[data-entry-cell]")
    for _ in range(40):  # Tab through the page's links and the period picker to the first cell
        page.keyboard.press("Tab")
        if first_cell.evaluate("cell => cell === document.activeElement"):
            break
    expect(first_cell).to_be_focused()
    page.keyboard.type(plain(high + 1))
    page.keyboard.press("Enter")
    expect(one.locator(".state")).to_have_text("未保存：数值不符合规则")
    expect(one).to_contain_text("超出有效范围")
    expect(page.locator("#entry-status")).to_contain_text("超出有效范围")  # announced (role=status)
    expect(one.locator("input[data-entry-cell]")).to_be_focused()
    expect(one.locator("input[data-entry-cell]")).to_have_attribute("aria-invalid", "true")
    assert period not in book(platform).data.get(first, {})  # nothing stored
    check_accessibility(page)
    photograph(page, "51-clerk-range-error")

    page.keyboard.type(plain(steady))  # the refused text is selected: typing replaces it
    page.keyboard.press("Enter")
    expect(one.locator(".state")).to_have_text("已保存")
    expect(two.locator("input[data-entry-cell]")).to_be_focused()
    page.keyboard.type(plain(jumped))
    page.keyboard.press("Tab")
    expect(two.locator(".state")).to_have_text("异常波动，待确认")
    comment = two.get_by_label("请说明数值为何波动（确认后保存）")
    expect(comment).to_be_focused()
    check_accessibility(page)
    photograph(page, "52-clerk-jump-flag")

    page.keyboard.type("11月举办农民丰收节，接待量经景区台账核实")
    page.keyboard.press("Enter")
    expect(two.locator(".state")).to_have_text("已保存")
    expect(page.locator("#entry-status")).to_contain_text("已保存")
    held = book(platform)
    assert held.data[first][period].value == steady and held.data[second][period].value == jumped
    assert held.anomalies[thread_key(second, period)].confirmed
    check_accessibility(page)
    photograph(page, "53-clerk-confirmed")


def test_the_clerk_uploads_a_workbook_with_one_bad_row_and_sees_its_row_and_column(
    page: Page,  # noqa: F811 (the fixture of test_browser)
    platform: Platform,
    tmp_path: Path,
) -> None:
    month = "2023-09"
    cells = emptied(platform, month)
    sign_in(page, CLERK, f"/counties/{CODE}/entry?period={month}")
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="下载2023年9月报送模板（.xlsx）").click()
    workbook = load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes()))
    sheet = workbook.active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    value_at = header.index("数值") + 1
    bad = None
    for number in range(2, sheet.max_row + 1):
        indicator, period = str(sheet.cell(number, 1).value), str(sheet.cell(number, header.index("期间") + 1).value)
        if (indicator, period) not in cells:
            continue
        if bad is None:
            bad = number
            sheet.cell(number, value_at).value = "七十二"  # not a number
        else:
            sheet.cell(number, value_at).value = float(previous(platform, indicator, period))
    assert bad is not None
    upload = tmp_path / "大名县2023年9月.xlsx"
    workbook.save(upload)

    page.get_by_label("选择填好的模板（.xlsx 或 CSV，不超过 5 MB）").set_input_files(upload)
    page.get_by_role("button", name="上传并报送").click()
    problems = page.get_by_role("table", name="上传文件中的问题（按行号）")
    expect(problems).to_contain_text(f"第 {bad} 行")
    expect(problems.get_by_role("row", name=f"第 {bad} 行")).to_contain_text("数值")
    expect(problems).to_contain_text("不是数字")
    expect(page.get_by_role("alert")).to_contain_text("整份文件的数据都没有保存")
    assert all(period not in book(platform).data.get(indicator, {}) for indicator, period in cells)
    check_accessibility(page)
    problems.scroll_into_view_if_needed()
    photograph(page, "55-clerk-upload-errors")

    with page.expect_download() as marked:
        page.get_by_role("link", name="下载标出错误的工作簿").click()
    report = load_workbook(io.BytesIO(Path(marked.value.path()).read_bytes()))
    assert "错误报告" in report.sheetnames


def test_on_a_tablet_the_error_beside_a_cell_is_seen_without_scrolling_sideways(
    page: Page,  # noqa: F811 (the fixture of test_browser)
    platform: Platform,
) -> None:
    month = "2023-09"
    (first, period), *_ = emptied(platform, month)
    high = book(platform).indicators[first].range[1]  # type: ignore[index]
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, CLERK, f"/counties/{CODE}/entry?period={month}")
    one = row(page, first, period)
    one.locator("input[data-entry-cell]").fill(plain(high + 1))
    one.locator("input[data-entry-cell]").press("Enter")
    message = one.locator(".entry__message")
    expect(message).to_contain_text("超出有效范围")
    sideways = page.locator(".entry-scroll").evaluate("box => box.scrollWidth - box.clientWidth")
    assert sideways <= 1, f"the entry table scrolls {sideways}px sideways at 768 px"
    shown = message.bounding_box()
    assert shown is not None and shown["x"] >= 0 and shown["x"] + shown["width"] <= 768, shown
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    check_accessibility(page)
    page.screenshot(path="tests/screenshots/54-clerk-tablet-error.png")
