"""Bulk data by file (批量报送), for the API's ``/imports`` and the clerk's page alike.

One rule for both doors: the workbook or CSV is read (every bad cell a ``RowProblem``),
refused when it is another county's template, and turned into one ``SubmitBatch``: all
rows or none. With bad cells the rest is only checked (a dry run), so that one report
names every problem at once. What runs the command (the API's route, the page's write
path) is the caller's; what a refusal means for the report is said here once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from domain import commands as c
from domain.access import Action, Principal
from domain.collection import template_lines
from domain.county import County
from domain.errors import ConflictError, DomainError, InvalidCommand, Problem
from domain.intake import batch_fingerprint
from domain.periods import parse_period, period_text
from ruraleval import workbooks

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = workbooks.MAX_ROWS
XLSX = workbooks.XLSX_MEDIA_TYPE
_ROW_FIELD = re.compile(r"^rows\[(\d+)\]\.(\w+)$")


@dataclass(frozen=True)
class Template:
    """The data template of a county for one period, with its download names."""

    content: bytes
    filename: str  # ASCII, for old clients
    chinese: str


def template(county: County, period: str, principal: Principal | None) -> Template:
    """The workbook of ``period``'s rows the principal answers for (a department: its own)."""
    wanted = parse_period(period_text(period), "period")
    book = county.book(wanted.year, "period")
    scope = principal.data_scope(Action.SUBMIT_DATA, county.code) if principal else None
    lines = template_lines(book, wanted, scope)
    content = workbooks.template_workbook(county.code, county.name, str(wanted), lines)
    return Template(
        content, f"{county.code}-{wanted}-template.xlsx", f"{county.name}（{county.code}）{wanted}数据报送模板.xlsx"
    )


def too_large(data: bytes) -> workbooks.RowProblem | None:
    """The refusal of a file over the limit (read one byte beyond it to know)."""
    if len(data) <= MAX_FILE_BYTES:
        return None
    return workbooks.RowProblem(None, "", "file", "max_size", "文件超过 5 MB，请分成几个文件上传")


@dataclass
class Prepared:
    """An upload as read, the batch it asks for, and the problems found so far."""

    upload: workbooks.Upload
    command: c.SubmitBatch
    problems: list[workbooks.RowProblem] = field(default_factory=list)
    status: int = 422  # of a refusal: 422 bad rows, 409 only changes of standing values

    @property
    def runnable(self) -> bool:
        """Whether the county should judge the rows (good rows to check, or nothing wrong yet)."""
        return bool(self.command.rows) or not self.problems

    def refused(self, error: InvalidCommand | ConflictError) -> None:
        """Adds the county's refusal of the batch to the problems of the cells."""
        # Refused only for changing standing values without the right or a reason: a conflict (409).
        self.status = 409 if isinstance(error, ConflictError) and not self.problems else 422
        self.problems += [row_problem(problem) for problem in error.problems]


def prepare(data: bytes, filename: str, code: str, *, dry_run: bool, may_correct: bool) -> Prepared:
    """Reads the file (blocking: call it off the event loop) into the batch of county ``code``."""
    upload = workbooks.read_upload(data, filename, max_rows=MAX_ROWS)
    if upload.county is not None and upload.county != code:
        message = f"该模板属于县 {upload.county}，不能上传到县 {code}；请下载本县的模板"
        raise InvalidCommand.of("file", "same_county", message)
    rows = tuple(
        c.BatchRow(row.row, row.indicator, row.period, row.value, row.comment, row.reason) for row in upload.rows
    )
    problems = list(upload.problems)
    command = c.SubmitBatch(
        rows=rows,
        channel="import",
        key=hashlib.sha256(data).hexdigest(),
        fingerprint=batch_fingerprint(rows),
        filename=filename[:255],
        dry_run=dry_run or bool(problems),  # with bad cells, the rest is only checked, for one full report
        may_correct=may_correct,
    )
    return Prepared(upload, command, problems)


def row_problem(problem: Problem) -> workbooks.RowProblem:
    """A problem of the batch (``rows[7].value``) as a cell of the file: row 7, column 数值."""
    match = _ROW_FIELD.match(problem.field)
    if match is None:
        name = "file" if problem.field == "rows" else problem.field
        return workbooks.RowProblem(None, "", name, problem.rule, problem.message)
    row, name = int(match.group(1)), match.group(2)
    return workbooks.RowProblem(row, workbooks.HEADERS.get(name, name), problem.field, problem.rule, problem.message)


def file_problems(error: DomainError) -> list[workbooks.RowProblem]:
    """A file refused as a whole (unreadable, another county's) as problems of the file."""
    return [workbooks.RowProblem(None, "", problem.field, problem.rule, problem.message) for problem in error.problems]
