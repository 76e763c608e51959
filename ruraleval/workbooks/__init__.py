"""Workbooks for bulk data (批量报送) and the pages' downloads, with openpyxl (ADR 12).

- ``template``: the county's template for one period;
- ``upload``: reading an uploaded .xlsx or CSV into rows, a ``RowProblem`` per bad cell
  (``cell_values``: what one cell means);
- ``error_report``: the upload sent back with its bad cells marked;
- ``table``: a page's table as a workbook;
- ``cells``: writing cells (text always as text), sheet titles, the header row, the bytes;
- ``layout``: the sheet names, the template's columns and the limits on an upload.
"""

from ruraleval.workbooks.error_report import error_report
from ruraleval.workbooks.layout import (
    COLUMNS,
    DATA_SHEET,
    HEADER_SEARCH_ROWS,
    HEADERS,
    HELP_SHEET,
    INPUTS,
    MAX_COLUMNS,
    MAX_OTHER_ELEMENTS,
    MAX_ROW_ELEMENTS,
    MAX_ROWS,
    MAX_TEXT,
    MAX_UNPACKED_BYTES,
    META_SHEET,
    REPORT_DATA_SHEET,
    REPORT_SHEET,
    REQUIRED,
    TEMPLATE_FORMAT,
    XLSX_MEDIA_TYPE,
)
from ruraleval.workbooks.table import table_workbook
from ruraleval.workbooks.template import template_workbook
from ruraleval.workbooks.upload import RowProblem, Upload, UploadRow, check_unpacked_size, read_upload

__all__ = [
    "COLUMNS",
    "DATA_SHEET",
    "HEADERS",
    "HEADER_SEARCH_ROWS",
    "HELP_SHEET",
    "INPUTS",
    "MAX_COLUMNS",
    "MAX_OTHER_ELEMENTS",
    "MAX_ROWS",
    "MAX_ROW_ELEMENTS",
    "MAX_TEXT",
    "MAX_UNPACKED_BYTES",
    "META_SHEET",
    "REPORT_DATA_SHEET",
    "REPORT_SHEET",
    "REQUIRED",
    "TEMPLATE_FORMAT",
    "XLSX_MEDIA_TYPE",
    "RowProblem",
    "Upload",
    "UploadRow",
    "check_unpacked_size",
    "error_report",
    "read_upload",
    "table_workbook",
    "template_workbook",
]
