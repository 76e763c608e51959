"""Workbooks for bulk data (批量报送): the template, reading an upload, the error report.

openpyxl (ADR 12). The template is an ordinary .xlsx with the county's indicators for one
period pre-filled, a value column checked by Excel's own data validation, an instructions
sheet, and a hidden ``_meta`` sheet naming the county and period, so that an upload meant
for another county can be refused. Uploads are .xlsx or CSV (UTF-8 with or without BOM, or
GB18030 as Excel saves CSV on a Chinese system). Reading never raises for a bad cell: each
one becomes a ``RowProblem`` naming the spreadsheet row and the column header, so the whole
file can be reported at once. A file that cannot be read at all is refused with
``InvalidCommand`` on field ``file``. Reading is bounded whatever the file claims: rows are
streamed, at most MAX_COLUMNS cells each, and counted blank ones included; an .xlsx is
checked for what it unpacks to before openpyxl opens it.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
import xml.parsers.expat
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from domain.collection import TemplateLine
from domain.decimals import NotANumber, read_number
from domain.errors import InvalidCommand
from domain.inputs import ascii_digits_words
from domain.recorded_time import CHINA

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
# Headers people (and other systems) write for the same columns; compared after normalising.
ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("指标编号", "指标代码", "指标编码", "编号", "indicator", "code"),
    "period": ("期间", "报送期间", "统计期间", "时期", "period"),
    "value": ("数值", "填报数值", "数据", "值", "value"),
    "comment": ("说明", "备注", "comment"),
    "reason": ("更正理由", "理由", "reason"),
}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
_BAD_FONT = Font(color="9C0006")
_BOLD = Font(bold=True)
log = structlog.get_logger("ruraleval.spreadsheets")


@dataclass(frozen=True)
class RowProblem:
    """One bad cell (or the file as a whole when ``row`` is None)."""

    row: int | None
    column: str  # the Chinese header, "" for the file
    field: str  # "rows[7].value" or "file"
    rule: str
    message: str


@dataclass(frozen=True)
class UploadRow:
    row: int  # the row's number in the spreadsheet
    indicator: str
    period: str
    value: Decimal
    comment: str = ""
    reason: str = ""


@dataclass
class Upload:
    """An uploaded file as read: its rows, its cell problems, and the table for a report."""

    kind: str  # "xlsx" or "csv"
    county: str | None = None  # from the template's _meta sheet
    period: str | None = None
    header_row: int = 1
    table: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, cells), header included
    columns: dict[str, int] = field(default_factory=dict)  # field -> 0-based column index
    rows: list[UploadRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: int = 0  # rows without a value


# ------------------------------------------------------------------------------------- template


def template_workbook(county: str, county_name: str, period: str, lines: Sequence[TemplateLine]) -> bytes:
    """The template for one county and period, as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    _header(sheet, [header for _, header, _ in COLUMNS], [width for *_, width in COLUMNS])
    ranges: dict[tuple[Decimal | None, Decimal | None], list[int]] = {}
    value_column = _letter("value")
    for number, line in enumerate(lines, start=2):
        cells = [line.indicator, line.name, line.unit, line.period, line.low, line.high, line.department, line.value]
        for column, cell_value in enumerate(cells, start=1):
            _put(sheet, number, column, cell_value)
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
    return _bytes(book)


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


# ------------------------------------------------------------------------------------- reading


def read_upload(data: bytes, filename: str = "", *, max_rows: int = MAX_ROWS) -> Upload:
    """Reads an .xlsx or CSV upload; refuses (InvalidCommand on ``file``) one that cannot be read.

    Rows are read one at a time and at most ``HEADER_SEARCH_ROWS + max_rows`` of them, blank
    rows included: a small file can declare (xlsx) or hold (CSV) millions of empty rows.
    """
    if not data:
        raise InvalidCommand.of("file", "readable_file", "上传的文件是空的")
    if data.startswith(b"PK\x03\x04"):
        upload = Upload("xlsx")
        _read_xlsx(upload, data, max_rows)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidCommand.of("file", "file_format", "不支持旧版 Excel 97-2003（.xls）文件，请另存为 .xlsx 后上传")
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise InvalidCommand.of("file", "file_format", f"文件“{filename}”不是有效的 Excel 工作簿（.xlsx）")
    else:
        upload = Upload("csv")
        _read_rows(upload, _csv_rows(data, filename, max_rows), max_rows)
    return upload


def _row_limit(max_rows: int) -> int:
    """The physical rows (blank ones included) a file may have: a title block above the header, the data."""
    return HEADER_SEARCH_ROWS + max_rows


def _too_many_rows(max_rows: int) -> InvalidCommand:
    return InvalidCommand.of(
        "file",
        "max_rows",
        f"文件超过 {_row_limit(max_rows):,} 行（空行也计在内；数据最多 {max_rows:,} 行），"
        "请删除多余的空行，或分成几个文件上传",
    )


def _numbered(rows: Iterable[Sequence[Any]], limit: int, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """(row number, at most MAX_COLUMNS cells) for each physical row; refuses the file past ``limit`` rows."""
    for number, cells in enumerate(rows, 1):
        if number > limit:
            raise _too_many_rows(max_rows)
        kept = list(cells[:MAX_COLUMNS])
        while kept and kept[-1] is None:  # padding, so that the error report's note column follows the data
            kept.pop()
        yield number, kept


def _read_xlsx(upload: Upload, data: bytes, max_rows: int) -> None:
    _check_unpacked_size(data)
    try:
        # read_only streams the sheet; data_only takes the cached result of any formula.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # zipfile, XML and openpyxl's own errors, depending on the damage
        raise InvalidCommand.of("file", "file_format", "文件不是有效的 Excel 工作簿（.xlsx），无法读取") from error
    try:
        if META_SHEET in book.sheetnames:
            _scan_sheet(book[META_SHEET], _row_limit(max_rows), max_rows)
            meta = _meta(book[META_SHEET])
            upload.county, upload.period = meta.get("county"), meta.get("period")
        _read_rows(upload, _xlsx_rows(book, max_rows), max_rows)
    except InvalidCommand:
        raise
    except Exception as error:
        raise InvalidCommand.of("file", "file_format", "文件中的工作表无法读取，请在 Excel 中重新保存后上传") from error
    finally:
        book.close()


def check_unpacked_size(data: bytes) -> None:
    """Refuses a zip that unpacks to more than MAX_UNPACKED_BYTES (for other workbooks read here)."""
    _check_unpacked_size(data)


def _check_unpacked_size(data: bytes) -> None:
    """Refuses a zip that unpacks to more than MAX_UNPACKED_BYTES (zipfile reads no more than a member declares)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise InvalidCommand.of("file", "file_format", "文件不是有效的 Excel 工作簿（.xlsx），无法读取") from error
    if unpacked > MAX_UNPACKED_BYTES:
        limit = MAX_UNPACKED_BYTES // (1024 * 1024)
        raise InvalidCommand.of("file", "max_size", f"工作簿解压后超过 {limit} MB，请删除多余的内容或分成几个文件上传")


def _meta(sheet: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    # The hidden sheet has four rows; max_row keeps a crafted one from being read at length.
    for key, value in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=2, values_only=True):
        if key is not None and value is not None:
            meta[str(key)] = str(value)
    return meta


def _xlsx_rows(book: Any, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the first sheet with a header row in its first rows; nothing when none has."""
    limit = _row_limit(max_rows)
    for name in _data_sheets(book.sheetnames):
        sheet = book[name]
        _scan_sheet(sheet, limit, max_rows)
        head = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True)
        if _find_header(list(_numbered(head, limit, max_rows))) is None:
            continue
        # The dimension the sheet declares (A1:XFD1048576 in a crafted file) is refused before reading on.
        if sheet.max_row is not None and sheet.max_row > limit:
            raise _too_many_rows(max_rows)
        # Explicit bounds: openpyxl would otherwise pad rows, and fill gaps, up to the declared dimension.
        rows = sheet.iter_rows(max_row=limit + 1, max_col=MAX_COLUMNS, values_only=True)
        return _numbered(rows, limit, max_rows)
    return iter(())


def _scan_sheet(sheet: Any, limit: int, max_rows: int) -> None:
    """Refuses a sheet whose XML would make openpyxl hold too many elements at once, before it parses any."""
    rows, in_row, other = 0, 0, 0  # in_row: elements in the current row; 0 outside a row

    def start(tag: str, _attributes: Any) -> None:
        nonlocal rows, in_row, other
        if tag.rsplit(":", 1)[-1] == "row":  # "row", or "x:row" with a prefix
            rows, in_row = rows + 1, 1
            if rows > limit + 1:
                raise _too_many_rows(max_rows)
        elif in_row:
            in_row += 1
            if in_row > MAX_ROW_ELEMENTS:
                raise InvalidCommand.of("file", "max_columns", f"工作表“{sheet.title}”中有一行的单元格过多，无法读取")
        else:
            other += 1
            if other > MAX_OTHER_ELEMENTS:
                raise InvalidCommand.of("file", "file_format", f"工作表“{sheet.title}”的内容过于庞杂，无法读取")

    def end(tag: str) -> None:
        nonlocal in_row
        if tag.rsplit(":", 1)[-1] == "row":
            in_row = 0

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    with sheet._get_source() as source:  # openpyxl's own handle on the sheet's part of the zip
        parser.ParseFile(source)


def _data_sheets(names: Sequence[str]) -> list[str]:
    """The template's data sheet first, then the others that might hold the table."""
    others = [name for name in names if name not in (DATA_SHEET, HELP_SHEET, META_SHEET, REPORT_SHEET)]
    return [name for name in (DATA_SHEET, REPORT_DATA_SHEET) if name in names] + others


def _csv_rows(data: bytes, filename: str, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data, filename)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in _numbered(reader, _row_limit(max_rows), max_rows):
            yield number, [cell or None for cell in cells]
    except csv.Error as error:
        # Python's message is English ("unexpected end of data"): the log keeps it, the user reads Chinese.
        log.info("csv_unreadable", filename=filename, line=reader.line_num, error=str(error))
        words = f"第 {reader.line_num} 行附近：引号不成对、单元格内容过长或含有非法字符"
        raise InvalidCommand.of("file", "file_format", f"CSV 格式有误（{words}）") from error


def _decode(data: bytes, filename: str) -> str:
    if b"\x00" in data[:4096]:
        shown = filename or "上传文件"
        raise InvalidCommand.of("file", "file_format", f"文件“{shown}”既不是 .xlsx 工作簿也不是 CSV 文本")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # past the first 4 KB: text no one typed, and PostgreSQL cannot store
            raise InvalidCommand.of("file", "file_format", "CSV 文件中含有空字符（U+0000），请删除后重新上传")
        return text
    raise InvalidCommand.of("file", "file_encoding", "CSV 文件的编码无法识别，请保存为 UTF-8 或 GB18030 编码")


def _find_header(rows: Sequence[tuple[int, list[Any]]]) -> tuple[int, dict[str, int]] | None:
    """(index in rows, field -> column) of the first row naming the required columns."""
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = _columns(cells)
        if all(name in columns for name in REQUIRED):
            return index, columns
    return None


def _columns(cells: Sequence[Any]) -> dict[str, int]:
    lookup = {_header_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = lookup.get(_header_key(cell)) if cell is not None else None
        if name is not None and name not in found:
            found[name] = index
    return found


def _header_key(cell: Any) -> str:
    return re.sub(r"[\s*＊:：()（）]", "", unicodedata.normalize("NFKC", str(cell))).lower()


def _read_rows(upload: Upload, table: Iterator[tuple[int, list[Any]]], max_rows: int) -> None:
    head = list(itertools.islice(table, HEADER_SEARCH_ROWS))  # the rest is read one row at a time
    header = _find_header(head)
    if header is None:
        wanted = "、".join(HEADERS[name] for name in REQUIRED)
        raise InvalidCommand.of(
            "file", "column_layout", f"文件中找不到表头行：表头须包含“{wanted}”列（请使用平台下载的模板）"
        )
    index, upload.columns = header
    upload.header_row = head[index][0]
    upload.table.append(head[index])
    taken = 0
    for number, cells in itertools.chain(head[index + 1 :], table):
        if all(_blank(cell) for cell in cells):
            continue
        upload.table.append((number, cells))
        taken += 1
        if taken > max_rows:
            raise InvalidCommand.of("file", "max_rows", f"文件超过 {max_rows:,} 行，请分成几个文件上传")
        _read_row(upload, number, cells)


def _read_row(upload: Upload, number: int, cells: list[Any]) -> None:
    raw = {name: _cell(cells, upload.columns.get(name)) for name in INPUTS}
    if _blank(raw["value"]):
        upload.skipped += 1  # an empty value is not reported, not an error
        return
    problems: list[RowProblem] = []

    def problem(name: str, rule: str, words: str) -> None:
        header = HEADERS[name]
        message = f"第 {number} 行“{header}”列：{words}"
        problems.append(RowProblem(number, header, f"rows[{number}].{name}", rule, message))

    indicator = _indicator(raw["indicator"])
    if not indicator:
        problem("indicator", "required", "必须填写指标编号")
    period = _period(raw["period"])
    if not period:
        rule = "required" if _blank(raw["period"]) else "period_format"
        problem("period", rule, "必须填写期间，如 2023-05、2023-Q2 或 2023")
    value = _number(raw["value"])
    if value is None:
        foreign = ascii_digits_words(_normalised(raw["value"]), "数值")
        if foreign is not None:  # ٣ is not 3 (ADR 17)
            problem("value", "ascii_digits", foreign)
        else:
            problem("value", "number", f"“{_shown(raw['value'])}”不是数字（只填数字，不带单位）")
    texts = {}
    for name in ("comment", "reason"):
        texts[name] = "" if _blank(raw[name]) else str(raw[name]).strip()
        if len(texts[name]) > MAX_TEXT:
            problem(name, "max_length", f"不能超过 {MAX_TEXT} 字")
    if problems:
        upload.problems.extend(problems)
        return
    assert value is not None
    upload.rows.append(UploadRow(number, indicator, period, value, texts["comment"], texts["reason"]))


def _cell(cells: Sequence[Any], index: int | None) -> Any:
    return cells[index] if index is not None and index < len(cells) else None


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _shown(cell: Any) -> str:
    text = str(cell)
    return text if len(text) <= 40 else text[:40] + "…"


def _indicator(cell: Any) -> str:
    if _blank(cell) or isinstance(cell, bool | datetime | date):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return unicodedata.normalize("NFKC", str(cell)).strip()


# Read after NFKC, with ASCII digits only ([0-9], never \d: ٢٠٢٣ is passed on for the domain to refuse).
_MONTH = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?")
_QUARTER = re.compile(r"([0-9]{4})\s*[-/.年]?\s*(?:Q|第)\s*([1-4])\s*(?:季度?)?", re.IGNORECASE)
_YEAR = re.compile(r"([0-9]{4})\s*年?(?:度)?")


def _period(cell: Any) -> str:
    """The period in the platform's form; what is not recognised is passed on for the domain to judge."""
    if _blank(cell) or isinstance(cell, bool):
        return ""
    if isinstance(cell, datetime | date):  # Excel turns 2023-05 typed into a cell into 2023-05-01
        return f"{cell.year}-{cell.month:02d}" if cell.day == 1 else ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    if match := _MONTH.fullmatch(text):
        return f"{match.group(1)}-{int(match.group(2)):02d}" if 1 <= int(match.group(2)) <= 12 else text
    if match := _QUARTER.fullmatch(text):
        return f"{match.group(1)}-Q{match.group(2)}"
    if match := _YEAR.fullmatch(text):
        return match.group(1)
    return text


def _number(cell: Any) -> Decimal | None:
    if isinstance(cell, bool | datetime | date):
        return None
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        # str() gives the shortest form that reads back as the same double: 0.1, not 0.1000000000000000055…
        number = Decimal(str(cell))
    else:
        try:  # thousands separators and spaces dropped, then the rule of every channel (ADR 17)
            number = read_number(re.sub(r"[\s,]", "", _normalised(cell)))
        except NotANumber:
            return None
    return number if number.is_finite() else None


def _normalised(cell: Any) -> str:
    return unicodedata.normalize("NFKC", str(cell)).strip()


# ----------------------------------------------------------------------------------- the report


def error_report(upload: Upload, problems: Sequence[RowProblem]) -> bytes:
    """The uploaded rows with an added 错误说明 column and the bad cells marked; a sheet listing every problem."""
    book = Workbook()
    listing = book.active
    assert listing is not None
    listing.title = REPORT_SHEET
    _header(listing, ["行号", "列", "问题"], [8, 14, 90])
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
            _put(sheet, number, column, cell_value)
    sheet.cell(row=upload.header_row, column=note_column, value="错误说明")
    for column in range(1, note_column + 1):
        header = sheet.cell(row=upload.header_row, column=column)
        header.font, header.fill = _BOLD, _HEADER_FILL
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
    return _bytes(book)


def _header_names(upload: Upload) -> list[str]:
    """The column headers as the platform names them, at the positions of the uploaded file."""
    names = [""] * (max(upload.columns.values(), default=-1) + 1)
    for name, index in upload.columns.items():
        names[index] = HEADERS[name]
    return names


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    """A cell as given, except that text is never taken for a formula and loses characters XML cannot hold."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


# ------------------------------------------------------------------------------ a page's table


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A table of a page as a workbook: the title in the first row, the (Chinese) column headers
    in the second, then the rows. Numbers stay numbers (decimals shown to two places); text is
    always text, so a cell reading ``=1+2``, ``+86``, ``-3`` or ``@x`` is never taken for a formula."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(title)
    sheet.cell(row=1, column=1, value=ILLEGAL_CHARACTERS_RE.sub("", title)).font = Font(bold=True, size=13)
    widths = [max(8, len(str(header)) * 2 + 2) for header in headers]
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", str(header)))
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.data_type = "s"
    for number, cells in enumerate(rows, start=3):
        for column, value in enumerate(cells, start=1):
            _text_or_number(sheet, number, column, value)
            if column <= len(widths) and value is not None:
                widths[column - 1] = min(60, max(widths[column - 1], len(str(value)) * 2 + 2))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A3"
    return _bytes(book)


def _text_or_number(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    if isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(CHINA).replace(tzinfo=None)  # Excel has no time zones: Beijing time
    elif value is not None and not isinstance(value, (int, float, Decimal, date)):
        value = str(value)
    _put(sheet, row, column, value)
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.data_type = "s"  # whatever it starts with (= + - @): text, never a formula
    elif isinstance(value, Decimal):
        cell.number_format = "0.00"


def _sheet_title(title: str) -> str:
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


# ---------------------------------------------------------------------------------------- shared


def _header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    sheet.append(list(headers))
    for column, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


def _letter(name: str) -> str:
    return get_column_letter(next(index for index, (column, *_) in enumerate(COLUMNS, start=1) if column == name))


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
