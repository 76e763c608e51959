"""The clerk's entry form and workbook door over HTTP (no browser): what a cell stores or refuses.

Indicators, periods and values come from the demo as the platform holds it (the first
month the department still owes, its range, its history), never written down here.
The browser journeys are in ``test_browser_clerk.py``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from domain import commands as c
from domain.decimals import plain
from domain.intake import flag_for
from domain.state import thread_key
from ruraleval.demo import load_demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.test_pages import IN_SCOPE, OUT_OF_SCOPE, Site

CODE = IN_SCOPE
DEPARTMENT = "县农业农村局"  # dept.130425's department in the demo's grants
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW = re.compile(r'name="indicator" value="([^"]+)">\s*<input type="hidden" name="period" value="([^"]+)">')


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The demo of its own: these tests withdraw, enter and close periods."""
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as client:
        load_demo(app.state.platform)
        yield Site(client, app.state.platform)


@dataclass(frozen=True)
class Cell:
    indicator: str
    period: str


def rows(html: str) -> list[Cell]:
    return [Cell(*found) for found in ROW.findall(html)]


def book(site: Site, year: int = 2023):  # type: ignore[no-untyped-def]
    return site.platform.ledger.county(CODE).book(year)


def standing(site: Site, cell: Cell) -> Decimal | None:
    found = book(site).data.get(cell.indicator, {}).get(cell.period)
    return found.value if found else None


def emptied_month(site: Site, month: str) -> list[Cell]:
    """The department's monthly cells of ``month``, their values withdrawn so the form has them to fill."""
    site.sign_in("dept.130425")
    cells = [cell for cell in rows(site.client.get(f"/counties/{CODE}/entry?period={month}").text)
             if cell.period == month]  # fmt: skip
    context = c.Context("coordinator.130425", f"test-empty-{month}")
    for cell in cells:
        if standing(site, cell) is not None:
            site.platform.ledger.execute(
                CODE, c.WithdrawSubmission(cell.indicator, cell.period, "测试：重新填报"), context
            )
    return cells


def jump_for(site: Site, cell: Cell) -> Decimal:
    """A value within the indicator's range that the county's rules flag as a jump."""
    county = site.platform.ledger.county(CODE)
    definition = book(site).indicators[cell.indicator]
    low, high = definition.range or [Decimal(0), Decimal(10) ** 9]
    previous = [
        held.value for key, held in sorted(book(site).data.get(cell.indicator, {}).items()) if key < cell.period
    ]
    base = previous[-1] if previous else (low + high) / 2
    for factor in (Decimal(5), Decimal(3), Decimal("0.2"), Decimal(2)):
        candidate = (base * factor).quantize(Decimal("0.01"))
        if low <= candidate <= high and flag_for(county, cell.indicator, cell.period, candidate) is not None:
            return candidate
    pytest.skip(f"no value in range flags a jump for {cell.indicator}")


def steady_for(site: Site, cell: Cell) -> Decimal:
    """The previous period's value: no jump."""
    previous = [
        held.value for key, held in sorted(book(site).data.get(cell.indicator, {}).items()) if key < cell.period
    ]
    value = previous[-1] if previous else Decimal(1)
    assert flag_for(site.platform.ledger.county(CODE), cell.indicator, cell.period, value) is None
    return value


def post_value(site: Site, cell: Cell, value: str, reason: str = ""):  # type: ignore[no-untyped-def]
    data = {"indicator": cell.indicator, "period": cell.period, "value": value, "reason": reason}
    return site.client.post(f"/counties/{CODE}/entry/values", data=data, headers={"X-CSRF-Token": site.csrf()})


def test_a_department_user_sees_only_its_departments_indicators(site: Site) -> None:
    site.sign_in("coordinator.130425")
    everything = rows(site.client.get(f"/counties/{CODE}/entry?period=2023-12").text)
    site.sign_in("dept.130425")
    page = site.client.get(f"/counties/{CODE}/entry?period=2023-12")
    assert page.status_code == 200 and "2023年12月数据填报" in page.text
    mine = rows(page.text)
    responsible = book(site).responsibility
    expected = [cell for cell in everything
                if cell.indicator in responsible and responsible[cell.indicator].department == DEPARTMENT]  # fmt: skip
    assert mine == expected and 0 < len(mine) < len(everything)
    assert f"仅列出{DEPARTMENT}负责的指标" in page.text


def test_a_value_out_of_range_is_refused_beside_its_cell_and_nothing_is_stored(site: Site) -> None:
    cell = emptied_month(site, "2023-11")[0]
    high = book(site).indicators[cell.indicator].range[1]  # type: ignore[index]
    version = site.platform.ledger.county(CODE).version
    refused = post_value(site, cell, plain(high + 1))
    assert refused.status_code == 422
    assert "超出有效范围" in refused.text and 'aria-invalid="true"' in refused.text
    assert f'value="{plain(high + 1)}"' in refused.text  # the typed value stays in the cell to be fixed
    assert "未保存" in refused.text
    not_a_number = post_value(site, cell, "12万")
    assert not_a_number.status_code == 422 and "不是数字" in not_a_number.text
    assert standing(site, cell) is None and site.platform.ledger.county(CODE).version == version


def test_a_steady_value_is_saved_and_a_jump_is_flagged_until_confirmed_with_a_comment(site: Site) -> None:
    first, second, *_ = emptied_month(site, "2023-08")
    steady = steady_for(site, first)
    saved = post_value(site, first, plain(steady))
    assert saved.status_code == 200, saved.text
    assert "已保存" in saved.text and standing(site, first) == steady

    jump = jump_for(site, second)
    flagged = post_value(site, second, plain(jump))
    assert flagged.status_code == 200 and "异常波动，待确认" in flagged.text
    assert 'name="comment"' in flagged.text and standing(site, second) == jump  # stored, to be confirmed
    anomaly = book(site).anomalies[thread_key(second.indicator, second.period)]
    assert not anomaly.confirmed

    token = {"X-CSRF-Token": site.csrf()}
    url = f"/counties/{CODE}/entry/confirmations"
    empty = site.client.post(url, data={"indicator": second.indicator, "period": second.period, "comment": ""},
                             headers=token)  # fmt: skip
    assert empty.status_code == 422 and "须填写说明" in empty.text
    assert not book(site).anomalies[thread_key(second.indicator, second.period)].confirmed
    comment = "本月举办丰收节，接待量核实无误"
    confirmed = site.client.post(url, data={"indicator": second.indicator, "period": second.period,
                                            "comment": comment}, headers=token)  # fmt: skip
    assert (
        confirmed.status_code == 200 and "已保存" in confirmed.text and f"异常波动已说明：{comment}" in confirmed.text
    )
    anomaly = book(site).anomalies[thread_key(second.indicator, second.period)]
    assert anomaly.confirmed and anomaly.comment == comment


def test_changing_a_standing_value_needs_a_reason_and_is_then_a_correction(site: Site) -> None:
    site.sign_in("dept.130425")
    cell = rows(site.client.get(f"/counties/{CODE}/entry?period=2023-07").text)[-1]
    before = standing(site, cell)
    assert before is not None
    other = before + Decimal("0.01")
    asked = post_value(site, cell, plain(other))
    assert asked.status_code == 409 and "更正理由" in asked.text and 'name="reason"' in asked.text
    assert standing(site, cell) == before
    corrected = post_value(site, cell, plain(other), reason="台账复核后更正")
    assert corrected.status_code == 200 and "已更正" in corrected.text
    assert standing(site, cell) == other and book(site).data[cell.indicator][cell.period].corrected


def test_a_closed_period_is_read_only(site: Site) -> None:
    month = "2023-02"
    cells = emptied_month(site, month)
    site.platform.ledger.execute(CODE, c.ClosePeriod(month, "测试：关账"), c.Context("evaluator.east", "test-close"))
    site.sign_in("dept.130425")
    page = site.client.get(f"/counties/{CODE}/entry?period={month}").text
    assert "已关账，只读" in page and "readonly" in page
    refused = post_value(site, cells[0], "1")
    assert refused.status_code == 409 and "已关账" in refused.text
    assert standing(site, cells[0]) is None


def test_a_user_of_county_a_cannot_reach_county_b(site: Site) -> None:
    site.sign_in("dept.130425")
    page = site.client.get(f"/counties/{OUT_OF_SCOPE}/entry?period=2023-05")
    assert page.status_code == 403 and "无权" in page.text and "昆山市" not in page.text
    before = site.platform.ledger.county(OUT_OF_SCOPE).version
    data = {"indicator": "1.5", "period": "2023-05", "value": "1"}
    refused = site.client.post(f"/counties/{OUT_OF_SCOPE}/entry/values", data=data,
                               headers={"X-CSRF-Token": site.csrf()})  # fmt: skip
    assert refused.status_code == 403 and site.platform.ledger.county(OUT_OF_SCOPE).version == before
    assert site.client.get(f"/counties/{OUT_OF_SCOPE}/entry/template.xlsx").status_code == 403


def template_rows(content: bytes) -> tuple[object, list[list[object]]]:
    workbook = load_workbook(io.BytesIO(content))
    return workbook, [list(row) for row in workbook.active.iter_rows(values_only=True)]  # type: ignore[union-attr]


def test_the_template_is_the_apis_workbook_of_the_users_rows(site: Site) -> None:
    site.sign_in("dept.130425")
    page = rows(site.client.get(f"/counties/{CODE}/entry?period=2023-12").text)
    download = site.client.get(f"/counties/{CODE}/entry/template.xlsx?period=2023-12")
    assert download.status_code == 200 and download.headers["content-type"] == XLSX
    assert "attachment" in download.headers["content-disposition"]
    _, table = template_rows(download.content)
    header, body = table[0], table[1:]
    assert [Cell(str(row[header.index("指标编号")]), str(row[header.index("期间")])) for row in body] == page


def test_an_upload_with_one_bad_row_names_the_row_and_column_and_stores_nothing(site: Site) -> None:
    cells = emptied_month(site, "2023-04")
    site.sign_in("dept.130425")
    download = site.client.get(f"/counties/{CODE}/entry/template.xlsx?period=2023-04")
    workbook, table = template_rows(download.content)
    sheet = workbook.active  # type: ignore[attr-defined]
    header = table[0]
    value_column = header.index("数值") + 1
    bad_row = None
    for number, row in enumerate(table[1:], start=2):
        cell = Cell(str(row[header.index("指标编号")]), str(row[header.index("期间")]))
        if cell not in cells:
            continue
        if bad_row is None:
            high = book(site).indicators[cell.indicator].range[1]  # type: ignore[index]
            sheet.cell(row=number, column=value_column, value=float(high + 1))
            bad_row = number
        else:
            sheet.cell(row=number, column=value_column, value=float(steady_for(site, cell)))
    assert bad_row is not None
    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    version = site.platform.ledger.county(CODE).version
    files = {"file": ("大名县.xlsx", buffer.getvalue(), XLSX)}
    data = {"csrf_token": site.csrf(), "period": "2023-04"}
    refused = site.client.post(f"/counties/{CODE}/entry/imports", data=data, files=files)
    assert refused.status_code == 422
    assert f"第 {bad_row} 行</th><td>数值</td>" in refused.text and "超出有效范围" in refused.text
    assert f'href="data:{XLSX};base64,' in refused.text and "下载标出错误的工作簿" in refused.text
    assert site.platform.ledger.county(CODE).version == version  # all or nothing: nothing
    assert all(standing(site, cell) is None for cell in cells)

    sheet.cell(row=bad_row, column=value_column).value = None  # left empty: not reported
    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    files = {"file": ("大名县.xlsx", buffer.getvalue(), XLSX)}
    stored = site.client.post(f"/counties/{CODE}/entry/imports", data=data, files=files,
                              headers={"HX-Request": "true"})  # fmt: skip
    assert stored.status_code == 200, stored.text
    assert f"已入库 {len(cells) - 1} 个数值" in stored.text and "数值为空未报送 1 行" in stored.text
    assert sum(standing(site, cell) is not None for cell in cells) == len(cells) - 1


def test_an_upload_without_a_file_or_of_another_county_is_refused_in_words(site: Site) -> None:
    site.sign_in("dept.130425")
    data = {"csrf_token": site.csrf()}
    empty = site.client.post(f"/counties/{CODE}/entry/imports", data=data, files={"file": ("", b"", XLSX)})
    assert empty.status_code == 422 and "请选择要上传的" in empty.text
    site.sign_in("admin")
    other = site.client.get(f"/counties/{OUT_OF_SCOPE}/entry/template.xlsx?period=2023-05").content
    site.sign_in("dept.130425")
    data = {"csrf_token": site.csrf()}
    refused = site.client.post(f"/counties/{CODE}/entry/imports", data=data, files={"file": ("b.xlsx", other, XLSX)})
    assert refused.status_code == 422 and f"该模板属于县 {OUT_OF_SCOPE}" in refused.text

    cell = emptied_month(site, "2023-03")[0]  # a file that would store a value, sent with a bad period
    workbook, table = template_rows(site.client.get(f"/counties/{CODE}/entry/template.xlsx?period=2023-03").content)
    header = table[0]
    number = 2 + [(str(r[header.index("指标编号")]), r[header.index("期间")]) for r in table[1:]].index(
        (cell.indicator, cell.period)
    )
    workbook.active.cell(row=number, column=header.index("数值") + 1).value = float(steady_for(site, cell))  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    data = {"csrf_token": site.csrf(), "period": "2023-13"}
    files = {"file": ("m.xlsx", buffer.getvalue(), XLSX)}
    bad_period = site.client.post(f"/counties/{CODE}/entry/imports", data=data, files=files)
    assert bad_period.status_code == 422 and standing(site, cell) is None
    data["period"] = "2023-03"
    files = {"file": ("m.xlsx", buffer.getvalue(), XLSX)}
    assert site.client.post(f"/counties/{CODE}/entry/imports", data=data, files=files).status_code == 200
    assert standing(site, cell) is not None  # the same file, with the form's period, is stored


def test_the_home_links_what_is_owed_to_its_entry_form(site: Site) -> None:
    cells = emptied_month(site, "2023-10")
    site.platform.projections.catch_up()  # the home reads the schedule's read model
    site.sign_in("dept.130425")
    home = site.client.get(f"/counties/{CODE}/tasks").text
    assert f'href="/counties/{CODE}/entry?period={cells[0].period}"' in home
    assert f'href="/counties/{CODE}/entry"' in home  # the navigation's 在线填报


def test_a_returned_value_shows_the_evaluators_comment_and_where_to_answer(site: Site) -> None:
    site.sign_in("dept.130425")
    cell = rows(site.client.get(f"/counties/{CODE}/entry?period=2023-06").text)[-1]
    comment = "与统计年报口径不一致，请核实"
    review = c.ReviewSubmission(cell.indicator, cell.period, "return", comment)
    site.platform.ledger.execute(CODE, review, c.Context("evaluator.east", "test-return"))
    page = site.client.get(f"/counties/{CODE}/entry?period=2023-06").text
    assert "已退回，待答复" in page and f"评估组意见：{comment}" in page
    assert f'href="/counties/{CODE}/feedback"' in page


def test_a_period_that_is_not_one_is_refused_in_words(site: Site) -> None:
    site.sign_in("dept.130425")
    refused = site.client.get(f"/counties/{CODE}/entry?period=2023-13")
    assert refused.status_code == 422 and "2023-13" in refused.text and "<table" not in refused.text


def test_a_number_with_an_exponent_is_refused_in_the_form_and_in_a_workbook(site: Site) -> None:
    """The hint says digits, sign and decimal point: ``1e1`` is a typo, not 10, on the form and in a file."""
    cell = emptied_month(site, "2023-02")[0]
    version = site.platform.ledger.county(CODE).version
    for typed in ("1e1", "1E0", "٣"):
        refused = post_value(site, cell, typed)
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text, typed
    assert "科学计数法" in post_value(site, cell, "1e1").text
    workbook, table = template_rows(site.client.get(f"/counties/{CODE}/entry/template.xlsx?period=2023-02").content)
    header = table[0]
    number = 2 + [(str(r[header.index("指标编号")]), r[header.index("期间")]) for r in table[1:]].index(
        (cell.indicator, cell.period)
    )
    workbook.active.cell(row=number, column=header.index("数值") + 1).value = "1e1"  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    files = {"file": ("e.xlsx", buffer.getvalue(), XLSX)}
    upload = site.client.post(f"/counties/{CODE}/entry/imports", data={"csrf_token": site.csrf(), "period": "2023-02"},
                              files=files)  # fmt: skip
    assert upload.status_code == 422 and f"第 {number} 行</th><td>数值</td>" in upload.text, upload.text[-3000:]
    assert standing(site, cell) is None and site.platform.ledger.county(CODE).version == version


def test_the_tasks_warnings_speak_in_chinese_dates_and_two_place_figures(site: Site) -> None:
    """Periods as 2023年5月, days as 2023年10月20日, figures to two places: never 2023-Q3 or 2023-10-20;
    a level held to its target (no baseline) is not said to go 'from the target to the target'."""
    site.platform.projections.catch_up()
    site.sign_in("coordinator.130425")
    home = site.client.get(f"/counties/{CODE}/tasks").text
    section = home[home.index('id="warnings-title"') :]
    section = section[: section.index("</table>")]
    reasons = re.findall(r"<td>([^<]*(?:截至|应于|被退回|报送值)[^<]*)</td>", section)
    assert reasons, section[:2000]
    for reason in reasons:
        assert not re.search(r"\d{4}-(?:\d{2}|Q\d)", reason), reason
        assert not re.search(r"预警线 \d+%", reason), reason  # the margin to two places: 20.00%
        start_target = re.search(r"从\S* ([\d,.]+) \S+ 到目标 ([\d,.]+) ", reason)
        assert start_target is None or start_target.group(1) != start_target.group(2), reason
    assert any(re.search(r"年度\S+为 [\d,]+\.\d\d \S", reason) for reason in reasons)


def test_refusals_name_only_the_broken_rule_and_echo_the_value_as_read(site: Site) -> None:
    """Seven decimals are not 'too large'; a full-width ４.５ is echoed as 4.5; a NUL never comes back."""
    site.sign_in("dept.130425")
    cell = rows(site.client.get(f"/counties/{CODE}/entry?period=2023-06").text)[-1]
    before = standing(site, cell)
    assert before is not None
    low = book(site).indicators[cell.indicator].range[0]  # type: ignore[index]
    places = post_value(site, cell, plain(low) + ".0000001" if "." not in plain(low) else plain(low) + "0000001")
    assert places.status_code == 422 and "小数不超过 6 位" in places.text and "10¹⁵" not in places.text
    other = before + Decimal("0.01")
    wide = plain(other).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    asked = post_value(site, cell, wide)
    assert asked.status_code == 409 and f"改为 {plain(other)} 属于更正" in asked.text and wide not in asked.text
    nul = post_value(site, cell, "4\x00.5")
    assert nul.status_code == 422 and "\x00" not in nul.text and "空字符" in nul.text
    assert "\x00" not in post_value(site, cell, "x\x00y").text
    assert standing(site, cell) == before


def test_an_upload_changing_a_standing_value_asks_for_the_reason_column_in_page_words(site: Site) -> None:
    site.sign_in("dept.130425")
    month = "2023-05"
    cell = rows(site.client.get(f"/counties/{CODE}/entry?period={month}").text)[-1]
    before = standing(site, cell)
    assert before is not None
    workbook, table = template_rows(site.client.get(f"/counties/{CODE}/entry/template.xlsx?period={month}").content)
    header = table[0]
    number = 2 + [(str(r[header.index("指标编号")]), r[header.index("期间")]) for r in table[1:]].index(
        (cell.indicator, cell.period)
    )
    workbook.active.cell(row=number, column=header.index("数值") + 1).value = float(before + Decimal("0.01"))  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    files = {"file": ("c.xlsx", buffer.getvalue(), XLSX)}
    refused = site.client.post(f"/counties/{CODE}/entry/imports", data={"csrf_token": site.csrf(), "period": month},
                               files=files)  # fmt: skip
    assert refused.status_code == 409, refused.text[-2000:]
    assert f"第 {number} 行</th><td>更正理由</td>" in refused.text and "请在“更正理由”列填写理由" in refused.text
    assert "/api/v1" not in refused.text and "理由 reason" not in refused.text
    assert standing(site, cell) == before
