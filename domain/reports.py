"""Issued annual reports (评估报告) in a county's year: what ``ReportIssued`` records.

The report itself is built outside the domain (``reports``: from the read models as of an
instant, rendered per format); the county stream records that it was issued, as of when,
by whom and with which hashes, and the problems it found, which rectification items and
consequences then name as their cause (ADR 25).
"""

from __future__ import annotations

from typing import Any

from domain.state import CountyYear, IssuedReport


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
