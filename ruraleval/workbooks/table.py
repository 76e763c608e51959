"""A table of a page as a workbook (the pages' downloads)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.recorded_time import CHINA
from ruraleval.workbooks.cells import BOLD, HEADER_FILL, sheet_title, workbook_bytes, write_cell


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A table of a page as a workbook: the title in the first row, the (Chinese) column headers
    in the second, then the rows. Numbers stay numbers (decimals shown to two places); text is
    always text, so a cell reading ``=1+2``, ``+86``, ``-3`` or ``@x`` is never taken for a formula."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title(title)
    sheet.cell(row=1, column=1, value=ILLEGAL_CHARACTERS_RE.sub("", title)).font = Font(bold=True, size=13)
    widths = [max(8, len(str(header)) * 2 + 2) for header in headers]
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", str(header)))
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.data_type = "s"
    for number, cells in enumerate(rows, start=3):
        for column, value in enumerate(cells, start=1):
            _text_or_number(sheet, number, column, value)
            if column <= len(widths) and value is not None:
                widths[column - 1] = min(60, max(widths[column - 1], len(str(value)) * 2 + 2))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A3"
    return workbook_bytes(book)


def _text_or_number(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    if isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(CHINA).replace(tzinfo=None)  # Excel has no time zones: Beijing time
    elif value is not None and not isinstance(value, (int, float, Decimal, date)):
        value = str(value)
    write_cell(sheet, row, column, value)
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.data_type = "s"  # whatever it starts with (= + - @): text, never a formula
    elif isinstance(value, Decimal):
        cell.number_format = "0.00"
