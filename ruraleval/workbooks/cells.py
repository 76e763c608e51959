"""Writing cells, shared by every workbook written here: text is written as text (never taken for a
formula), sheet titles follow Excel's rules, the header row, the workbook as bytes. A new XLSX
output reuses these.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)


def write_cell(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    """A cell as given, except that text is never taken for a formula and loses characters XML cannot hold."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def sheet_title(title: str) -> str:
    """Excel's rules for a sheet's name: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "", title).strip() or "数据"
    if len(cleaned) <= 31:
        return cleaned
    cut, opened = cleaned[:31], []
    for index, char in enumerate(cleaned[:31]):  # brackets the cut would leave open
        if char in "（(":
            opened.append(index)
        elif char in "）)" and opened:
            opened.pop()
    if not opened:
        return cut
    # The whole title stays in the first row: the sheet keeps what precedes the first bracket
    # left open ("2023年度得分排名"), or, if that is nothing, closes the brackets it cut.
    before = cut[: opened[0]].rstrip()
    if before:
        return before
    closing = "".join("）" if cut[index] == "（" else ")" for index in reversed(opened))
    return cut[: 31 - len(closing)] + closing


def header_row(sheet: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    sheet.append(list(headers))
    for column, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
