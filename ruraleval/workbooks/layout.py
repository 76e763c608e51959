"""The layout shared by the workbooks for bulk data (批量报送): sheet names, the template's columns,
and the limits on what an upload may hold.
"""

from __future__ import annotations

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "数据报送"
HELP_SHEET = "填写说明"
META_SHEET = "_meta"
REPORT_SHEET = "错误报告"
REPORT_DATA_SHEET = "上传数据"
TEMPLATE_FORMAT = "ruraleval-template-1"
MAX_ROWS = 10_000
MAX_TEXT = 2000
HEADER_SEARCH_ROWS = 10  # the header row may sit below a title line or two
# Cells read of each row. The template has 10 columns; room for a few a user adds. Without this bound
# openpyxl pads every row to the width the sheet declares (up to 16,384 cells).
MAX_COLUMNS = 32
# An .xlsx is a zip: what it unpacks to is bounded before openpyxl reads any of it (a 10,000-row
# template unpacks to 5.4 MB; a crafted 5 MB zip can unpack to gigabytes).
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
# openpyxl builds a whole <row> element before it trims it to max_col, and keeps the elements it does
# not read: a sheet is scanned (expat, constant memory) before it is read. About 500 bytes each.
MAX_ROW_ELEMENTS = 4 * 16_384  # Excel's widest row, every cell an inline string (<c><is><t>)
MAX_OTHER_ELEMENTS = 100_000  # merged cells, validations, formatting outside the rows

# The template's columns: (field, Chinese header, width). Only indicator, period, value,
# comment and reason are read back; the others help the person filling in.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("indicator", "指标编号", 11),
    ("name", "指标名称", 36),
    ("unit", "单位", 10),
    ("period", "期间", 10),
    ("low", "下限", 10),
    ("high", "上限", 10),
    ("department", "责任部门", 18),
    ("value", "数值", 14),
    ("comment", "说明", 32),
    ("reason", "更正理由", 32),
)
HEADERS = {name: header for name, header, _ in COLUMNS}
INPUTS = ("indicator", "period", "value", "comment", "reason")
REQUIRED = ("indicator", "period", "value")
