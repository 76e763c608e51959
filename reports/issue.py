"""Issuing a report: build it as of an instant, render its four files, store them by hash,
then record ``IssueReport`` (ADR 25). Regenerating later, as of the recorded ``as_of``,
gives the same bytes: ``check`` says whether it does.

The caller makes the read models hold everything recorded up to the instant first
(``service.settle`` in the CLI and tests; the API and pages wait for ``ledger.settle``'s
position), as for every read as of an instant.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from domain import commands as c
from domain import report_commands as rc
from domain.errors import NotFound
from domain.reports import FILE_NAMES
from domain.state import IssuedReport
from projections.queries import list_counties
from reports import pdf, workbooks
from reports.analysis import Shared
from reports.content import Report, build_report, content_sha256, file_stem, highlight_records, problem_records
from ruraleval.files import StoredFile
from ruraleval.platform import Platform

MEDIA_TYPES = {
    "report.pdf": "application/pdf",
    "notice.pdf": "application/pdf",
    "table.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ledger.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TITLES = {"report.pdf": "评估报告", "notice.pdf": "整改通知书", "table.xlsx": "指标表", "ledger.xlsx": "整改台账"}


@dataclass(frozen=True)
class Rendered:
    report: Report
    content_sha256: str
    files: dict[str, bytes]  # report.pdf, notice.pdf, table.xlsx, ledger.xlsx

    def hashes(self) -> dict[str, str]:
        return {name: hashlib.sha256(content).hexdigest() for name, content in self.files.items()}


def render(report: Report) -> Rendered:
    files = {
        "report.pdf": pdf.report_pdf(report),
        "notice.pdf": pdf.notice_pdf(report),
        "table.xlsx": workbooks.indicator_table(report),
        "ledger.xlsx": workbooks.ledger(report),
    }
    return Rendered(report, content_sha256(report), files)


def rendered_at(service: Platform, code: str, year: int, at: datetime, shared: Shared | None = None) -> Rendered:
    """The report as of ``at``, rendered; ``shared`` for a batch of one instant (ADR 25)."""
    return render(build_report(service, code, year, at, shared))


def file_name(report: Report, name: str) -> str:
    """``130425-2023-report.pdf``: the county code and year, then the file."""
    return f"{file_stem(report)}-{name}"


def download_name(county_name: str, code: str, year: int, report_id: str, name: str) -> str:
    """The Chinese file name a download carries: 大名县-2023年度评估报告-2023-R1.pdf."""
    extension = name.rsplit(".", 1)[1]
    return f"{county_name}-{year}年度{TITLES[name]}-{report_id}.{extension}"


def prepare(service: Platform, code: str, year: int, at: datetime) -> tuple[Rendered, rc.IssueReport]:
    """Builds and renders the report as of ``at`` and stores its files; the command that issues it."""
    rendered = rendered_at(service, code, year, at)
    for name in FILE_NAMES:
        service.files.put(file_name(rendered.report, name), MEDIA_TYPES[name], rendered.files[name])
    summary = rendered.report.summary
    command = rc.IssueReport(
        year=year,
        as_of=at,
        content_sha256=rendered.content_sha256,
        files=rendered.hashes(),
        total=summary.total,
        grade=summary.grade,
        rank=summary.rank,
        region_rank=summary.region_rank,
        highlights=highlight_records(rendered.report),
        problems=problem_records(rendered.report),
    )
    return rendered, command


def issue_report(service: Platform, context: c.Context, code: str, year: int, at: datetime) -> IssuedReport:
    """Issues the report of county ``code``'s year as of ``at``, blocking (tests, scripts): the
    read models must hold everything up to ``at`` (``service.settle(at)``). The API and pages
    run ``prepare`` in a worker thread and submit its command through the writer."""
    _, command = prepare(service, code, year, at)
    outcome = service.ledger.execute(code, command, context)
    return issued(service, code, year, str(outcome.result["report_id"]))


def find(service: Platform, code: str, report_id: str) -> tuple[int, IssuedReport]:
    """A county's issued report by id, and its year."""
    county = service.ledger.county(code)
    for year, book in county.years.items():
        if report_id in book.reports:
            return int(year), book.reports[report_id]
    raise NotFound.of("report_id", "known_report", f"{county.name}没有编号为 {report_id} 的评估报告")


@dataclass(frozen=True)
class Download:
    name: str  # the Chinese file name
    ascii_name: str
    stored: StoredFile


def stored_file(service: Platform, code: str, report_id: str, name: str) -> Download:
    """A file of an issued report: the bytes stored when it was issued."""
    year, report = find(service, code, report_id)
    if name not in report.files:
        raise NotFound.of("name", "report_file", f"报告文件只有 {'、'.join(FILE_NAMES)}，收到“{name}”")
    county = service.ledger.county(code)
    ascii_name = f"{code}-{report_id}-{name}"  # the report's id holds its year: 130425-2023-R1-report.pdf
    return Download(download_name(county.name, code, year, report_id, name), ascii_name,
                    service.files.get(report.files[name]))  # fmt: skip


def issued_reports(service: Platform, visible: frozenset[str] | None, year: int) -> list[tuple[str, IssuedReport]]:
    """Every report of the year in the counties ``visible`` (None: all), by county code then order issued."""
    found = []
    for code in sorted(service.ledger.enrolled_regions(visible) if visible is not None else enrolled(service)):
        book = service.ledger.county(code).years.get(str(year))
        if book is not None:
            found += [(code, report) for report in book.reports.values()]
    return found


def enrolled(service: Platform) -> list[str]:
    with service.reads.snapshot() as view:
        return [row["code"] for row in list_counties(view)]


def issued(service: Platform, code: str, year: int, report_id: str) -> IssuedReport:
    book = service.ledger.county(code).book(year)
    found = book.reports.get(report_id)
    if found is None:
        raise NotFound.of("report_id", "known_report", f"{year} 年度没有编号为 {report_id} 的评估报告")
    return found


@dataclass(frozen=True)
class Check:
    """A regenerated report against the one issued."""

    report_id: str
    as_of: datetime
    content_matches: bool
    issued_content_sha256: str
    regenerated_content_sha256: str
    files: dict[str, tuple[str, str]]  # name -> (issued SHA-256, regenerated SHA-256)

    @property
    def matches(self) -> bool:
        return self.content_matches and all(a == b for a, b in self.files.values())

    def message(self) -> str:
        if self.matches:
            return "重新生成的报告与出具时逐字节一致"
        differ = [TITLES[name] for name, (a, b) in self.files.items() if a != b]
        return "重新生成的报告与出具时不一致：" + ("、".join(differ) or "报告内容")


def check(service: Platform, code: str, year: int, report: IssuedReport) -> Check:
    """Rebuilds the report as of its recorded ``as_of`` and compares every hash."""
    rendered = rendered_at(service, code, year, report.as_of)
    again = rendered.hashes()
    return Check(
        report_id=report.id,
        as_of=report.as_of,
        content_matches=rendered.content_sha256 == report.content_sha256,
        issued_content_sha256=report.content_sha256,
        regenerated_content_sha256=rendered.content_sha256,
        files={name: (report.files.get(name, ""), again[name]) for name in FILE_NAMES},
    )
