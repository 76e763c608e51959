"""What the report pages show: each readable county with its issued reports (no SQL here:
the county streams through ``reports.issue``, the county list through the read models)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.access import Action, Principal
from domain.recorded_time import CHINA
from domain.state import IssuedReport
from pages import reads
from pages.people import display_names, who
from reports import issue
from ruraleval.platform import Platform


@dataclass(frozen=True)
class ReportRow:
    id: str
    as_of: str  # Beijing time, to the second
    total: str
    grade: str
    rank: str
    content_sha256: str
    files: list[tuple[str, str, str]]  # (title, href, sha256)
    issued_by: str
    issued_at: str


@dataclass(frozen=True)
class CountyReports:
    code: str
    name: str
    region_label: str
    may_issue: bool
    reports: list[ReportRow] = field(default_factory=list)


def report_row(code: str, report: IssuedReport, names: dict[str, str]) -> ReportRow:
    base = f"/counties/{code}/reports/{report.id}/files"
    return ReportRow(
        id=report.id,
        as_of=report.as_of.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
        total=f"{report.total:.2f}",
        grade=report.grade,
        rank=str(report.rank or "—"),
        content_sha256=report.content_sha256,
        files=[(issue.TITLES[name], f"{base}/{name}", sha) for name, sha in report.files.items()],
        issued_by=who(names, report.actor),  # 显示名（用户名）, as the history pages
        issued_at=report.recorded_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
    )


def counties_with_reports(
    service: Platform, principal: Principal, year: int, only: str | None = None
) -> list[CountyReports]:
    """The counties the principal may read (or just ``only``), each with its reports of the year."""
    visible = principal.readable_counties()
    issued: dict[str, list[ReportRow]] = {}
    names = display_names(service.organisation.current())
    for code, report in issue.issued_reports(service, visible if only is None else frozenset({only}), year):
        issued.setdefault(code, []).append(report_row(code, report, names))
    found = []
    for county in reads.counties(service, principal):
        code = county["code"]
        if only is not None and code != only:
            continue
        if str(year) not in county["schemes"]:
            continue
        found.append(CountyReports(code, county["name"], county["region_label"],
                                   principal.may(Action.ISSUE_REPORT, code), issued.get(code, [])))  # fmt: skip
    return found
