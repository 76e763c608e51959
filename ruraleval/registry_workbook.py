"""The registry workbook of a county's verification year (镇、村、户登记表): its template, reading
it into one ``RegisterObjects`` (all entries or none), and the refused rows by sheet, row and
column, as the monthly upload reports them (``ruraleval.workbooks``).

Sheets: 镇 (镇编码, 镇名称), 村 (村编码, 村名称, 所属镇编码, 脱贫村 是/否), 户 (户编码, 户主,
所属村编码, 标识: the scheme's flags separated by 、 or commas).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook

from domain.errors import DomainError, InvalidCommand
from domain.inputs import normalise
from domain.towns import Household, Town, Village, registration_problems
from domain.verification import TownVerification
from domain.verification_commands import RegisterObjects
from ruraleval import workbooks

MAX_ROWS = 20_000
SHEETS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "towns": ("镇", [("code", "镇编码"), ("name", "镇名称")]),
    "villages": ("村", [("code", "村编码"), ("name", "村名称"), ("town", "所属镇编码"), ("poverty_relief", "脱贫村")]),
    "households": ("户", [("code", "户编码"), ("head", "户主"), ("village", "所属村编码"), ("flags", "标识")]),
}
YES, NO = ("是", "yes", "true", "1", "y"), ("否", "no", "false", "0", "n", "")
_FIELD = re.compile(r"^(towns|villages|households)\[(\d+)\]\.?(\w*)$")


@dataclass
class RegistryUpload:
    command: RegisterObjects | None
    problems: list[workbooks.RowProblem] = field(default_factory=list)
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)  # "villages[3]" -> ("村", 5)


def template(flags: list[str]) -> bytes:
    book = Workbook()
    first = True
    for _, (title, columns) in SHEETS.items():
        sheet = book.active if first else book.create_sheet(title)
        assert sheet is not None
        sheet.title = title
        sheet.append([header for _, header in columns])
        first = False
    households = book["户"]
    households.cell(row=1, column=6, value=f"标识可填：{'、'.join(flags)}（多个用顿号分隔）")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_registry(data: bytes, filename: str = "") -> RegistryUpload:
    """The entries of a registry workbook; every bad cell a ``RowProblem``, nothing half read."""
    workbooks.check_unpacked_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True)  # a formula is seen as one, and refused
    except Exception as error:
        raise InvalidCommand.of("file", "file_format", "文件不是有效的 Excel 工作簿（.xlsx），无法读取") from error
    upload = RegistryUpload(None)
    entries: dict[str, list[Any]] = {"towns": [], "villages": [], "households": []}
    try:
        for kind, (title, columns) in SHEETS.items():
            if title not in book.sheetnames:
                continue
            for number, row in enumerate(book[title].iter_rows(max_row=MAX_ROWS + 1, max_col=8)):
                cells = [getattr(cell, "value", None) for cell in row]
                if number == 0 or all(cell is None or str(cell).strip() == "" for cell in cells):
                    continue
                if number > MAX_ROWS:
                    raise InvalidCommand.of("file", "max_rows", f"工作表“{title}”超过 {MAX_ROWS} 行")
                values = {name: _text(cells[i] if i < len(cells) else None) for i, (name, _) in enumerate(columns)}
                entry = f"{kind}[{len(entries[kind])}]"
                upload.rows[entry] = (title, number + 1)
                for i, (name, header) in enumerate(columns):
                    if i < len(row) and getattr(row[i], "data_type", "") == "f":
                        _add(upload, entry, name, "no_formula",
                             f"“{header}”是公式（{str(cells[i])[:40]}），不接受公式：请直接填写内容")  # fmt: skip
                entries[kind].append(_entry(kind, values, upload, entry))
    finally:
        book.close()
    if not any(entries.values()):
        upload.problems.append(
            workbooks.RowProblem(None, "", "file", "not_empty", "工作簿中没有要登记的镇、村或户（工作表：镇、村、户）")
        )
    places = {entry: f"{title} 第 {row} 行" for entry, (title, row) in upload.rows.items()}
    upload.command = RegisterObjects(
        towns=entries["towns"],
        villages=entries["villages"],
        households=entries["households"],
        source="workbook",
        filename=filename[:200],
        places=places,
    )
    return upload


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return normalise(str(cell))


def _entry(kind: str, values: dict[str, str], upload: RegistryUpload, entry: str) -> Any:
    if kind == "towns":
        return Town(values["code"], values["name"])
    if kind == "villages":
        flag = values["poverty_relief"].lower()
        if flag not in YES + NO:
            _add(
                upload,
                entry,
                "poverty_relief",
                "yes_no",
                f"脱贫村只能填“是”或“否”，收到“{values['poverty_relief'][:20]}”",
            )
        return Village(values["code"], values["name"], values["town"], flag in YES)
    flags = [part.strip() for part in re.split(r"[、,，;；]", values["flags"]) if part.strip()]
    return Household(values["code"], values["head"], values["village"], flags)


def _add(upload: RegistryUpload, entry: str, name: str, rule: str, message: str) -> None:
    title, row = upload.rows[entry]
    kind = entry.split("[")[0]
    header = dict(SHEETS[kind][1])[name]
    words = f"{title} 第 {row} 行：{message}"
    upload.problems.append(workbooks.RowProblem(row, header, f"{entry}.{name}", rule, words))


def refused_rows(upload: RegistryUpload, error: DomainError) -> list[workbooks.RowProblem]:
    """A refused registration's problems, each placed by sheet, row and column."""
    placed = []
    for problem in error.problems:
        match = _FIELD.match(problem.field)
        if match is None or f"{match.group(1)}[{match.group(2)}]" not in upload.rows:
            placed.append(workbooks.RowProblem(None, "", problem.field, problem.rule, problem.message))
            continue
        kind, entry = match.group(1), f"{match.group(1)}[{match.group(2)}]"
        _, row = upload.rows[entry]
        header = dict(SHEETS[kind][1]).get(match.group(3), "")
        placed.append(workbooks.RowProblem(row, header, problem.field, problem.rule, problem.message))
    return placed


def every_problem(upload: RegistryUpload, year: TownVerification) -> list[workbooks.RowProblem]:
    """The cells' problems and, judged as a dry run against the year's registry, the entries'
    (unknown towns, repeated codes, flags the scheme does not know): all of them at once."""
    command = upload.command
    if command is None:
        return list(upload.problems)
    flags = year.scheme.verification.household_flags
    found = registration_problems(
        year.registry, command.towns, command.villages, command.households, flags, command.places
    )
    placed = refused_rows(upload, InvalidCommand(found)) if found else []
    cells = {problem.field for problem in upload.problems}  # a formula refused once, not again as empty
    return [*upload.problems, *(problem for problem in placed if problem.field not in cells)]


def error_report(problems: list[workbooks.RowProblem]) -> bytes:
    """The refused workbook's problems, one line each: sheet and row, column, problem."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = workbooks.REPORT_SHEET
    sheet.append(["行号", "列", "问题"])
    for item in sorted(problems, key=lambda p: (p.message.split("：")[0], p.row or 0)):
        sheet.append([item.row, item.column or "（整个文件）", item.message])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
