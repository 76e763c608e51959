"""What the consequence pages (一挂钩) read: the county's consequences as ``reports.consequences``
gives them to the API, with the links a page follows from each cause to where it is shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.consequence_rules import OUTCOME_LABELS
from domain.consequences import KIND_LABELS
from pages.people import display_names, who
from reports import consequences as read
from ruraleval.platform import Platform

# Where a cause is shown: the county's reports page, and the item on its rectification ledger.
REPORT_PAGE = "/counties/{code}/reports?year={year}"
ITEM_PAGE = "/counties/{code}/rectification?year={year}#item-{id}"


def county_page(service: Platform, code: str, year: int, at: datetime | None, audit: bool) -> dict[str, Any]:
    """A county's year: its reports, items and consequences, each cause with its link;
    ``audit``: whether the viewer may open the audit history of the points."""
    found = read.county_consequences(service, code, year, at)
    names = display_names(service.organisation.current())
    for consequence in found["consequences"]:
        consequence["links"] = cause_links(code, year, consequence, audit)
        consequence["actor"] = who(names, consequence["actor"])  # 显示名（用户名）, as the history pages
    for report in found["reports"]:
        report["link"] = REPORT_PAGE.format(code=code, year=year)
    for item in found["items"]:
        item["link"] = ITEM_PAGE.format(code=code, year=year, id=item["id"])
    return found


def cause_links(code: str, year: int, consequence: dict[str, Any], audit: bool) -> list[tuple[str, str]]:
    """(words, address) of each fact a consequence names, and of the points it recorded."""
    causes = consequence["causes"]
    links = []
    if "report_id" in causes:
        words = f"评估报告 {causes['report_id']}（等级{causes['grade']}，总分 {causes['total']}）"
        links.append((words, REPORT_PAGE.format(code=code, year=year)))
    for item in causes.get("items", []):
        words = f"整改事项 {item['id']}（期限 {item['deadline']}）"
        links.append((words, ITEM_PAGE.format(code=code, year=year, id=item["id"])))
    adjustment = consequence.get("adjustment")
    if adjustment is not None:
        # The total's timeline lists the points with their reason, for anyone who may read the
        # county (the audit views beside it stay the auditor's).
        where = f"/audit/counties/{code}/history?year={adjustment['year']}&node=total"
        links.append((f"{adjustment['year']} 年度总分的变化记录（{points_words(adjustment.get('points'))}）", where))
    return links


def points_words(points: str | None) -> str:
    """``-2`` → 扣 2 分, ``1.5`` → 加 1.5 分: the points a consequence recorded, in words."""
    if points is None:
        return "加减分"
    return f"扣 {points.lstrip('-')} 分" if points.startswith("-") else f"加 {points} 分"


def every_county(
    service: Platform, year: int, visible: frozenset[str] | None, kind: str | None
) -> list[dict[str, Any]]:
    return read.all_consequences(service, year, visible, kind)


KIND_CHOICES = KIND_LABELS
OUTCOMES = OUTCOME_LABELS
