"""The decided consequences (一挂钩) as plain data, for the API and the pages: each with its
kind, the rule that gave it, the facts that caused it, and the points it put in the next
year's book with where to see them in that year's score history (ADR 26).

Read from the county stream (as stored now, or replayed to an instant), not a read model:
consequences are few, and the answer must be what the stream says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.consequence_rules import OUTCOME_LABELS, describe_report_rule
from domain.consequences import KIND_LABELS, cause_words, two_places
from domain.county import County
from domain.decimals import plain
from domain.errors import NotFound
from domain.findings import Selection, select
from domain.recorded_time import CHINA
from domain.rectification import STATUS_LABELS
from domain.state import Consequence, CountyYear
from projections import queries
from reports.analysis import indicator_facts
from ruraleval.platform import Platform
from ruraleval.replay import county_as_of

KINDS = tuple(KIND_LABELS)


def county_at(service: Platform, code: str, at: datetime | None) -> County:
    """The county as stored now, or as recorded up to ``at`` (already settled by the caller)."""
    if at is None:
        return service.ledger.county(code)
    county = county_as_of(service.ledger, code, at)
    if county is None:
        raise NotFound.of("as_of", "county_existed", f"所查时刻之前平台尚无行政区划代码为 {code} 的县的记录")
    return county


def county_book(service: Platform, code: str, year: int, at: datetime | None) -> tuple[County, CountyYear]:
    county = county_at(service, code, at)
    book = county.years.get(str(year))
    if book is None:
        raise NotFound.of("year", "scheme_year", f"{county.name}（在所查时刻）没有 {year} 年度的评估方案")
    return county, book


def county_findings(service: Platform, code: str, year: int, at: datetime | None) -> Selection:
    """The highlights and problems the year's scheme rules choose from the analysis' facts."""
    _, book = county_book(service, code, year, at)
    return select(indicator_facts(service, code, year, at), book.scheme.report)


def county_consequences(service: Platform, code: str, year: int, at: datetime | None) -> dict[str, Any]:
    """A county's consequences of ``year``: its latest report, its items and each consequence."""
    county, book = county_book(service, code, year, at)
    return {
        "county": code,
        "name": county.name,
        "year": year,
        "as_of": at.astimezone(CHINA).isoformat() if at is not None else None,
        "reports": [
            {"id": r.id, "as_of": r.as_of.astimezone(CHINA).isoformat(), "grade": r.grade, "total": two_places(r.total)}
            for r in book.reports.values()
        ],
        "items": [
            {
                "id": item.id,
                "problem": item.problem,
                "deadline": item.deadline,
                "status": item.status,
                "status_label": STATUS_LABELS.get(item.status, item.status),
                "verified_on": item.verified_on,
            }
            for item in book.rectification.values()
        ],
        "consequences": [describe(county, book, item) for item in book.consequences.values()],
    }


def describe(county: County, book: CountyYear, consequence: Consequence) -> dict[str, Any]:
    """One consequence: what, by which rule, from which facts, and its points if any."""
    return {
        "county": county.code,
        "county_name": county.name,
        "year": book.scheme.year,
        "id": consequence.id,
        "kind": consequence.kind,
        "label": KIND_LABELS.get(consequence.kind, consequence.kind),
        "rule": consequence.rule,
        "rule_words": rule_words(book, consequence.rule),
        "causes": beijing_causes(consequence.causes),
        "cause_words": cause_words(consequence.causes),
        "points": plain(consequence.points) if consequence.points is not None else None,
        "points_year": consequence.points_year,
        "adjustment": adjustment(county, consequence),
        "actor": consequence.actor,
        "recorded_at": consequence.recorded_at.astimezone(CHINA).isoformat(),
    }


def beijing_causes(causes: dict[str, Any]) -> dict[str, Any]:
    """The causes as recorded, the report's instant in Beijing time (as every instant shown)."""
    if "as_of" not in causes:
        return causes
    return causes | {"as_of": datetime.fromisoformat(causes["as_of"]).astimezone(CHINA).isoformat()}


def rule_words(book: CountyYear, code: str) -> str:
    rules = book.scheme.consequences
    for rule in rules.by_report:
        if rule.code == code:
            return describe_report_rule(rule)
    for item_rule in rules.by_rectification:
        if item_rule.code == code:
            return OUTCOME_LABELS[item_rule.outcome]
    return ""


def adjustment(county: County, consequence: Consequence) -> dict[str, Any] | None:
    """The points entry a consequence recorded in the next year's book, and its history."""
    if consequence.adjustment_id is None or consequence.points_year is None:
        return None
    book = county.years.get(str(consequence.points_year))
    entry = next((e for e in book.adjustments if e.id == consequence.adjustment_id), None) if book else None
    history = f"/api/v1/counties/{county.code}/scores/total/history?year={consequence.points_year}"
    return {
        "id": consequence.adjustment_id,
        "year": consequence.points_year,
        "category": entry.category if entry else None,
        "points": plain(entry.points) if entry else None,
        "reason": entry.reason if entry else None,
        "revoked": entry.revoked if entry else None,
        "history": history,
    }


def all_consequences(
    service: Platform, year: int, visible: frozenset[str] | None, kind: str | None = None, at: datetime | None = None
) -> list[dict[str, Any]]:
    """Every readable county's consequences of ``year`` (of one kind, if given), by county; as
    recorded up to ``at`` (already settled by the caller), or now."""
    with service.reads.snapshot() as view:
        counties = [row["code"] for row in queries.list_counties(view)]
    found: list[dict[str, Any]] = []
    for code in counties:
        if visible is not None and code not in visible:
            continue
        county = service.ledger.county(code) if at is None else county_as_of(service.ledger, code, at)
        book = county.years.get(str(year)) if county is not None else None
        if county is None or book is None:
            continue
        found.extend(
            describe(county, book, item) for item in book.consequences.values() if kind is None or item.kind == kind
        )
    return found
