"""The error report of an upload: the uploaded rows with an added 错误说明 column and the bad cells
marked, and a sheet listing every problem.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ruraleval.workbooks.cells import BOLD, HEADER_FILL, header_row, workbook_bytes, write_cell
from ruraleval.workbooks.layout import HEADERS, REPORT_DATA_SHEET, REPORT_SHEET
from ruraleval.workbooks.upload import RowProblem, Upload

_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
_BAD_FONT = Font(color="9C0006")


def error_report(upload: Upload, problems: Sequence[RowProblem]) -> bytes:
    """The uploaded rows with an added 错误说明 column and the bad cells marked; a sheet listing every problem."""
    book = Workbook()
    listing = book.active
    assert listing is not None
    listing.title = REPORT_SHEET
    header_row(listing, ["行号", "列", "问题"], [8, 14, 90])
    for item in sorted(problems, key=lambda p: (p.row or 0, p.column)):
        listing.append([item.row, item.column or "（整个文件）", item.message])
    sheet = book.create_sheet(REPORT_DATA_SHEET)
    by_row: dict[int, list[RowProblem]] = {}
    for item in problems:
        if item.row is not None:
            by_row.setdefault(item.row, []).append(item)
    header_cells = upload.table[0][1] if upload.table else []
    width = max([len(header_cells), *(len(cells) for _, cells in upload.table)], default=0)
    note_column = width + 1
    for number, cells in upload.table:
        for column, cell_value in enumerate(cells, start=1):
            write_cell(sheet, number, column, cell_value)
    sheet.cell(row=upload.header_row, column=note_column, value="错误说明")
    for column in range(1, note_column + 1):
        header = sheet.cell(row=upload.header_row, column=column)
        header.font, header.fill = BOLD, HEADER_FILL
        sheet.column_dimensions[get_column_letter(column)].width = 16
    sheet.column_dimensions[get_column_letter(note_column)].width = 70
    sheet.freeze_panes = sheet.cell(row=upload.header_row + 1, column=1)
    positions = {name: index for index, name in enumerate(_header_names(upload), start=1)}
    for number, items in by_row.items():
        for item in items:
            at = positions.get(item.column)
            if at is not None:
                cell = sheet.cell(row=number, column=at)
                cell.fill, cell.font = _BAD_FILL, _BAD_FONT
        note = sheet.cell(row=number, column=note_column, value="；".join(item.message for item in items))
        note.font = _BAD_FONT
    return workbook_bytes(book)


def _header_names(upload: Upload) -> list[str]:
    """The column headers as the platform names them, at the positions of the uploaded file."""
    names = [""] * (max(upload.columns.values(), default=-1) + 1)
    for name, index in upload.columns.items():
        names[index] = HEADERS[name]
    return names
