"""Reading an upload of bulk data: .xlsx or CSV (UTF-8 with or without BOM, or GB18030 as Excel
saves CSV on a Chinese system).

Reading never raises for a bad cell: each one becomes a ``RowProblem`` naming the spreadsheet
row and the column header, so the whole file can be reported at once. A file that cannot be
read at all is refused with ``InvalidCommand`` on field ``file``. Reading is bounded whatever
the file claims: rows are streamed, at most MAX_COLUMNS cells each, and counted blank ones
included; an .xlsx is checked for what it unpacks to before openpyxl opens it.
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
from decimal import Decimal
from typing import Any

import structlog
from openpyxl import load_workbook

from domain.errors import InvalidCommand
from domain.inputs import ascii_digits_words
from ruraleval.workbooks.cell_values import indicator_of, is_blank, normalised, number_of, period_of, shown
from ruraleval.workbooks.layout import (
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
)

# Headers people (and other systems) write for the same columns; compared after normalising.
ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("指标编号", "指标代码", "指标编码", "编号", "indicator", "code"),
    "period": ("期间", "报送期间", "统计期间", "时期", "period"),
    "value": ("数值", "填报数值", "数据", "值", "value"),
    "comment": ("说明", "备注", "comment"),
    "reason": ("更正理由", "理由", "reason"),
}
log = structlog.get_logger("ruraleval.workbooks")


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
    check_unpacked_size(data)
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
    """Refuses a zip that unpacks to more than MAX_UNPACKED_BYTES (zipfile reads no more than a member declares);
    also for the other workbooks read here."""
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
        if all(is_blank(cell) for cell in cells):
            continue
        upload.table.append((number, cells))
        taken += 1
        if taken > max_rows:
            raise InvalidCommand.of("file", "max_rows", f"文件超过 {max_rows:,} 行，请分成几个文件上传")
        _read_row(upload, number, cells)


def _read_row(upload: Upload, number: int, cells: list[Any]) -> None:
    raw = {name: _cell(cells, upload.columns.get(name)) for name in INPUTS}
    if is_blank(raw["value"]):
        upload.skipped += 1  # an empty value is not reported, not an error
        return
    problems: list[RowProblem] = []

    def problem(name: str, rule: str, words: str) -> None:
        header = HEADERS[name]
        message = f"第 {number} 行“{header}”列：{words}"
        problems.append(RowProblem(number, header, f"rows[{number}].{name}", rule, message))

    indicator = indicator_of(raw["indicator"])
    if not indicator:
        problem("indicator", "required", "必须填写指标编号")
    period = period_of(raw["period"])
    if not period:
        rule = "required" if is_blank(raw["period"]) else "period_format"
        problem("period", rule, "必须填写期间，如 2023-05、2023-Q2 或 2023")
    value = number_of(raw["value"])
    if value is None:
        foreign = ascii_digits_words(normalised(raw["value"]), "数值")
        if foreign is not None:  # ٣ is not 3 (ADR 17)
            problem("value", "ascii_digits", foreign)
        else:
            problem("value", "number", f"“{shown(raw['value'])}”不是数字（只填数字，不带单位）")
    texts = {}
    for name in ("comment", "reason"):
        texts[name] = "" if is_blank(raw[name]) else str(raw[name]).strip()
        if len(texts[name]) > MAX_TEXT:
            problem(name, "max_length", f"不能超过 {MAX_TEXT} 字")
    if problems:
        upload.problems.extend(problems)
        return
    assert value is not None
    upload.rows.append(UploadRow(number, indicator, period, value, texts["comment"], texts["reason"]))


def _cell(cells: Sequence[Any], index: int | None) -> Any:
    return cells[index] if index is not None and index < len(cells) else None
