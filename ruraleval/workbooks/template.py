"""The county's template for one period (ADR 12): an ordinary .xlsx with the county's indicators
pre-filled, a value column checked by Excel's own data validation, an instructions sheet, and a
hidden ``_meta`` sheet naming the county and period, so that an upload meant for another county
can be refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from domain.collection import TemplateLine
from ruraleval.workbooks.cells import header_row, workbook_bytes, write_cell
from ruraleval.workbooks.layout import COLUMNS, DATA_SHEET, HELP_SHEET, MAX_ROWS, META_SHEET, TEMPLATE_FORMAT

_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")


def template_workbook(county: str, county_name: str, period: str, lines: Sequence[TemplateLine]) -> bytes:
    """The template for one county and period, as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    header_row(sheet, [header for _, header, _ in COLUMNS], [width for *_, width in COLUMNS])
    ranges: dict[tuple[Decimal | None, Decimal | None], list[int]] = {}
    value_column = _letter("value")
    for number, line in enumerate(lines, start=2):
        cells = [line.indicator, line.name, line.unit, line.period, line.low, line.high, line.department, line.value]
        for column, cell_value in enumerate(cells, start=1):
            write_cell(sheet, number, column, cell_value)
        for name in ("indicator", "period"):  # text, so Excel never turns 1.10 or 2023-05 into a number or date
            sheet[f"{_letter(name)}{number}"].number_format = "@"
        for name in ("value", "comment", "reason"):
            sheet[f"{_letter(name)}{number}"].fill = _INPUT_FILL
        if line.low is not None or line.high is not None:
            ranges.setdefault((line.low, line.high), []).append(number)
    for (low, high), numbers in ranges.items():
        validation = _range_validation(low, high)
        # One range per run of rows: adding cells one by one costs quadratic time in openpyxl.
        validation.sqref = MultiCellRange(" ".join(f"{value_column}{a}:{value_column}{b}" for a, b in _runs(numbers)))
        sheet.add_data_validation(validation)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(len(lines) + 1, 2)}"
    _help_sheet(book.create_sheet(HELP_SHEET), county, county_name, period)
    meta = book.create_sheet(META_SHEET)
    for row in (("county", county), ("county_name", county_name), ("period", period), ("format", TEMPLATE_FORMAT)):
        meta.append(row)
    meta.sheet_state = "hidden"
    book.active = 0
    return workbook_bytes(book)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Ascending row numbers as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _range_validation(low: Decimal | None, high: Decimal | None) -> DataValidation:
    if low is not None and high is not None:
        operator, first, second = "between", _plain(low), _plain(high)
        words = f"应在 {first} 至 {second} 之间"
    elif low is not None:
        operator, first, second = "greaterThanOrEqual", _plain(low), None
        words = f"不应小于 {first}"
    else:
        assert high is not None
        operator, first, second = "lessThanOrEqual", _plain(high), None
        words = f"不应大于 {first}"
    return DataValidation(
        type="decimal",
        operator=operator,  # type: ignore[arg-type]
        formula1=first,
        formula2=second,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="数值超出有效范围",
        error=f"该指标的数值{words}",
        showInputMessage=True,
        promptTitle="有效范围",
        prompt=f"数值{words}",
    )


def _help_sheet(sheet: Worksheet, county: str, county_name: str, period: str) -> None:
    lines = [
        f"{county_name}（{county}）{period} 数据报送模板 · 填写说明",
        "",
        "1. 在“数据报送”表的“数值”列填写各指标的数值（只填数字，不带单位或百分号）；数值须在下限与上限之间。",
        "2. “数值”为空的行不报送；已报送的数值已预先填入，未改动的行再次上传不会重复记录。",
        "3. 修改已报送的数值即为更正，须在“更正理由”列说明理由，并具有更正数据的权限。",
        "4. “说明”列可对数值作补充说明；数值波动较大被提示时，说明即视为确认。",
        "5. 请勿修改“指标编号”“期间”列，也不要增删列或修改表头；可以删除不报送的行。",
        "6. 整个文件一并校验：任何一行有误，整份文件都不会入库，平台会列出每个有误的行和列。",
        "7. 本模板只能上传到本县；也可另存为 CSV（UTF-8 或 GB18030 编码）后上传，表头保持不变。",
        f"8. 每个文件最多 {MAX_ROWS:,} 行、5 MB。",
    ]
    for line in lines:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 110
    for row in sheet.iter_rows(min_row=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _letter(name: str) -> str:
    return get_column_letter(next(index for index, (column, *_) in enumerate(COLUMNS, start=1) if column == name))


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
