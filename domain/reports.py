"""Issued annual reports (评估报告) in a county's year: what ``ReportIssued`` records.

The report itself is built outside the domain (``reports``: from the read models as of an
instant, rendered per format); the county stream records that it was issued, as of when,
by whom and with which hashes, and the problems it found, which rectification items and
consequences then name as their cause (ADR 25).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import report_commands as rc
from domain.errors import Collector, ConflictError, InvalidCommand
from domain.recorded_time import CHINA
from domain.state import CountyYear, IssuedReport

if TYPE_CHECKING:
    from domain.county import County


def next_report_id(book: CountyYear) -> str:
    """``<year>-R<n>``: numbered in the order issued within the year."""
    return f"{book.scheme.year}-R{len(book.reports) + 1}"


def apply_issued(book: CountyYear, event: Any) -> None:
    book.reports[event.report_id] = IssuedReport(
        id=event.report_id,
        as_of=event.as_of,
        content_sha256=event.content_sha256,
        files=dict(event.files),
        total=event.total,
        grade=event.grade,
        rank=event.rank,
        region_rank=event.region_rank,
        highlights=[dict(item) for item in event.highlights],
        problems=[dict(item) for item in event.problems],
        actor=event.actor,
        recorded_at=event.timestamp,
    )


def latest_report(book: CountyYear) -> IssuedReport | None:
    """The report issued last in the year: the one consequences follow."""
    return list(book.reports.values())[-1] if book.reports else None


# ----------------------------------------------------------------------- issuing

FILE_NAMES = ("report.pdf", "notice.pdf", "table.xlsx", "ledger.xlsx")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PROBLEM_ID = re.compile(r"^P[1-9][0-9]{0,2}$")
MAX_FINDINGS = 20  # of a side: the rules choose 3 to 5


def issue_report(county: County, command: rc.IssueReport, context: c.Context) -> dict[str, Any]:
    """Records a report built and stored outside the domain as issued (``ReportIssued``).

    Checks what the event will carry: the year exists, ``as_of`` is an instant with an offset
    and not after the recording, the hashes are SHA-256 of the four files, the grade is one
    of the scheme's, and each problem has its id (P1, P2… in order) and a title."""
    book = county.book(command.year)
    check = Collector()
    now = context.recorded_at or county.ReportIssued.create_timestamp()
    as_of = command.as_of
    if as_of.tzinfo is None:
        check.add("as_of", "offset_required", "as_of 必须带时区，例如 2024-01-15T08:00:00+08:00")
    elif as_of > now:
        check.add("as_of", "not_future", "as_of 不能晚于出具时刻：报告只能反映平台已记录的数据")
    if not _SHA256.match(command.content_sha256):
        check.add("content_sha256", "sha256", "content_sha256 必须是 64 位小写十六进制的 SHA-256")
    if sorted(command.files) != sorted(FILE_NAMES):
        check.add("files", "report_files", f"files 必须恰好是 {'、'.join(FILE_NAMES)} 四个文件")
    for name, sha256 in command.files.items():
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            check.add(f"files.{name}", "sha256", f"文件 {name} 的哈希必须是 64 位小写十六进制的 SHA-256")
    grades = [grade.label for grade in book.scheme.grades]
    if command.grade not in grades:
        check.add("grade", "scheme_grade", f"等次只能是 {'、'.join(grades)} 之一，收到“{command.grade}”")
    if not Decimal(0) <= command.total <= Decimal(100):
        check.add("total", "range", f"总分必须在 0 到 100 之间，收到 {command.total}")
    _check_findings(check, "highlights", command.highlights, None)
    _check_findings(check, "problems", command.problems, "P")
    if check.problems:
        raise InvalidCommand(check.problems)
    refuse_the_same_report(county.name, book, command.content_sha256)
    report_id = next_report_id(book)
    county.record(
        county.ReportIssued,
        context,
        year=command.year,
        report_id=report_id,
        as_of=command.as_of,
        content_sha256=command.content_sha256,
        files=dict(command.files),
        total=command.total,
        grade=command.grade,
        rank=command.rank,
        region_rank=command.region_rank,
        highlights=[dict(item) for item in command.highlights],
        problems=[dict(item) for item in command.problems],
    )
    return {"report_id": report_id}


def refuse_the_same_report(name: str, book: CountyYear, content_sha256: str) -> None:
    """A report whose content is the year's latest issued one is not issued again (issued
    twice, or by two people at once: the county stream runs one command at a time, so the
    second finds the first here)."""
    latest = latest_report(book)
    if latest is not None and latest.content_sha256 == content_sha256:
        as_of = latest.as_of.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        raise ConflictError.of(
            "content_sha256",
            "same_report",
            f"{name} {book.scheme.year} 年度的 {latest.id} 号评估报告（截至 {as_of}）内容与此相同，"
            f"不重复出具：请使用已出具的报告",
        )


def _check_findings(check: Collector, field: str, items: list[Any], prefix: str | None) -> None:
    label = "问题" if prefix else "亮点"
    if len(items) > MAX_FINDINGS:
        check.add(field, "max_items", f"{label}不能超过 {MAX_FINDINGS} 个，收到 {len(items)} 个")
        return
    for number, item in enumerate(items, start=1):
        where = f"{field}[{number - 1}]"
        if not isinstance(item, dict):
            check.add(where, "object", f"第 {number} 个{label}必须是对象")
            continue
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            check.add(f"{where}.title", "required", f"第 {number} 个{label}必须有标题（title）")
        if prefix is not None and item.get("id") != f"{prefix}{number}":
            wanted = f"{prefix}{number}"
            check.add(f"{where}.id", "problem_id", f"第 {number} 个问题的编号必须是 {wanted}，收到“{item.get('id')}”")
        elif prefix is not None and not _PROBLEM_ID.match(str(item.get("id"))):
            check.add(f"{where}.id", "problem_id", f"问题编号必须形如 P1，收到“{item.get('id')}”")
