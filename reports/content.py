"""The annual report's content (评估报告): one function, plain values, as of one instant.

``build_report`` gathers what the report says from the analysis (``reports.analysis``), the
scheme's rules (``domain.findings.select``) and the county's book as of the instant
(``ruraleval.replay.county_as_of``); each renderer (``reports.pdf``, ``reports.workbooks``)
only lays the same ``Report`` out. ``content_sha256`` hashes the report's canonical JSON:
that is the hash the PDF prints of itself (a file cannot hold its own hash, ADR 25).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from domain.commands import REGION_LABELS
from domain.consequence_rules import RectificationConsequenceRule, ReportConsequenceRule
from domain.errors import NotFound
from domain.findings import Finding, select
from domain.recorded_time import CHINA
from domain.rectification import STATUS_LABELS, STEP_LABELS
from domain.scoring import score_year
from domain.state import CountyYear
from reports import analysis, analysis_vertical
from reports.model import GapRow, Horizontal, Vertical
from ruraleval.platform import Platform

# The notice's deadline, this many days after the report's day (the scheme's rules name none).
RECTIFICATION_DAYS = 90


@dataclass(frozen=True)
class CountyInfo:
    code: str
    name: str
    province: str
    region: str
    region_label: str


@dataclass(frozen=True)
class Summary:
    total: Decimal
    grade: str
    rank: int | None  # among all counties of the year
    count: int
    region_rank: int | None
    region_count: int
    indicators: int  # data indicators of the year
    highlights: int
    problems: int
    open_items: int  # rectification items not yet verified


@dataclass(frozen=True)
class DimensionScore:
    code: str
    name: str
    score: Decimal
    max: Decimal


@dataclass(frozen=True)
class Comparison:
    """A node's score beside its region's and all counties' (横向比较)."""

    node: str
    name: str
    max: Decimal
    score: Decimal
    rank: int | None
    region_rank: int | None
    region_mean: Decimal | None
    region_best: Decimal | None
    all_mean: Decimal | None
    all_best: Decimal | None


@dataclass(frozen=True)
class Problem:
    """A problem as the report and its notice (一书) state it: id P1…, what, what to do, by when, who."""

    id: str
    finding: Finding
    requirement: str
    deadline: str  # ISO date
    answerer: str


@dataclass(frozen=True)
class LedgerRow:
    """A rectification item as the ledger (一账) shows it, as of the report's instant."""

    id: str
    source: str
    report_id: str
    problem_id: str
    indicator: str
    problem: str
    requirement: str
    deadline: str
    answerer: str
    status: str
    status_label: str
    last_step: str
    last_step_at: str
    verified_on: str


@dataclass(frozen=True)
class Report:
    county: CountyInfo
    year: int
    scheme: str  # the scheme's name
    as_of: datetime
    summary: Summary
    dimensions: list[DimensionScore]
    horizontal: list[Comparison]  # the total first, then each dimension
    vertical: Vertical  # the total: years and months
    gap: list[GapRow]
    highlights: list[Finding]
    problems: list[Problem]
    notes: list[str]  # what the rules say of the choice (e.g. fewer than three problems)
    ledger: list[LedgerRow]
    consequence_rules: list[str] = field(default_factory=list)  # 一挂钩, in words


# ------------------------------------------------------------------ canonical content


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(CHINA).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def canonical(report: Report) -> bytes:
    """The report's canonical bytes: sorted keys, no spaces; what ``content_sha256`` hashes."""
    return orjson.dumps(asdict(report), default=_plain, option=orjson.OPT_SORT_KEYS)


def content_sha256(report: Report) -> str:
    return hashlib.sha256(canonical(report)).hexdigest()


def file_stem(report: Report) -> str:
    """``130425-2023``: the county code and year every file of the report is named by."""
    return f"{report.county.code}-{report.year}"


# ------------------------------------------------------------------------- building


def build_report(
    service: Platform, code: str, year: int, at: datetime, shared: analysis.Shared | None = None
) -> Report:
    """The report of county ``code``'s year as the platform knew it at ``at``.

    The read models must already hold everything recorded up to ``at`` (``service.settle``
    in the CLI and tests; the API waits for the position ``ledger.settle`` gives). ``shared``
    keeps what the reports of one instant read alike, for a batch of them (ADR 25)."""
    shared = shared if shared is not None else analysis.Shared()
    county = shared.county(service, code, at)
    if county is None:
        raise NotFound.of("code", "known_county", f"截至 {at.astimezone(CHINA):%Y-%m-%d %H:%M} 没有代码为 {code} 的县")
    book = county.book(year)
    card = score_year(book)
    info = CountyInfo(
        code, county.name, county.province, county.region, REGION_LABELS.get(county.region, county.region)
    )
    dimensions = [node for node in card.nodes if node.parent is None and node.kind != "bonus_penalty"]
    mine = frozenset({code})
    nodes = ["total", *(d.code for d in dimensions)]
    horizontals = [analysis.horizontal(service, year, node, at, mine, shared=shared) for node in nodes]
    comparisons = [comparison(horizontal, code, county.region) for horizontal in horizontals]
    region = horizontals[0].region_scores.get(county.region)
    selection = select(analysis.indicator_facts(service, code, year, at, shared), book.scheme.report)
    gap = analysis.gap(service, code, year, at, shared).rows
    problems = numbered_problems(selection.problems, book, info.name, at)
    ledger = ledger_rows(book)
    total = comparisons[0]
    summary = Summary(
        total=card.total,
        grade=card.grade,
        rank=total.rank,
        count=horizontals[0].scores.count,
        region_rank=total.region_rank,
        region_count=region.count if region is not None else 0,
        indicators=len(gap),
        highlights=len(selection.highlights),
        problems=len(problems),
        open_items=sum(1 for row in ledger if row.status != "verified"),
    )
    return Report(
        county=info,
        year=year,
        scheme=book.scheme.name,
        as_of=at,
        summary=summary,
        dimensions=[DimensionScore(d.code, d.name, d.score, d.max) for d in dimensions],
        horizontal=comparisons,
        vertical=analysis_vertical.vertical(service, code, "total", year, at, shared),
        gap=list(gap),
        highlights=list(selection.highlights),
        problems=problems,
        notes=list(selection.notes),
        ledger=ledger,
        consequence_rules=consequence_words(book),
    )


def comparison(horizontal: Horizontal, code: str, region: str) -> Comparison:
    """A node's county figures beside its region's and everyone's (from ``analysis.horizontal``)."""
    point = next((p for p in horizontal.counties if p.county == code), None)
    regional = horizontal.region_scores.get(region)
    return Comparison(
        node=horizontal.node,
        name=horizontal.node_name,
        max=point.max if point is not None else Decimal(0),
        score=point.score if point is not None else Decimal(0),
        rank=point.rank if point is not None else None,
        region_rank=point.region_rank if point is not None else None,
        region_mean=regional.mean if regional is not None else None,
        region_best=regional.best if regional is not None else None,
        all_mean=horizontal.scores.mean,
        all_best=horizontal.scores.best,
    )


def numbered_problems(found: list[Finding], book: CountyYear, county_name: str, at: datetime) -> list[Problem]:
    """P1, P2…: each problem with the requirement (its advice), the deadline and who answers."""
    deadline = (at.astimezone(CHINA).date() + timedelta(days=RECTIFICATION_DAYS)).isoformat()
    problems = []
    for number, finding in enumerate(found, start=1):
        responsible = book.responsibility.get(finding.indicator)
        if responsible is not None:
            answerer = responsible.department + (f"（{responsible.person}）" if responsible.person else "")
        else:
            answerer = f"{county_name}人民政府"
        requirement = finding.advice or f"针对“{finding.title}”制定整改方案，按期完成整改"
        problems.append(Problem(f"P{number}", finding, requirement, deadline, answerer))
    return problems


def ledger_rows(book: CountyYear) -> list[LedgerRow]:
    """The rectification ledger (一账) of the year as the book holds it."""
    rows = []
    for item in book.rectification.values():
        last = item.steps[-1] if item.steps else None
        rows.append(
            LedgerRow(
                id=item.id,
                source="报告问题" if item.source == "report" else "评估组下达",
                report_id=item.report_id or "",
                problem_id=item.problem_id or "",
                indicator=item.indicator or "",
                problem=item.problem,
                requirement=item.requirement,
                deadline=item.deadline,
                answerer=item.answerer,
                status=item.status,
                status_label=STATUS_LABELS.get(item.status, item.status),
                last_step=STEP_LABELS.get(last.kind, last.kind) if last else "",
                last_step_at=last.recorded_at.astimezone(CHINA).strftime("%Y-%m-%d") if last else "",
                verified_on=item.verified_on or "",
            )
        )
    return rows


KIND_WORDS = {
    "commendation": "予以通报表扬",
    "interview_deputy": "约谈分管负责同志",
    "interview_principal": "约谈主要负责同志",
    "penalty_points": "在下一年度评估中扣分",
    "bonus_points": "在下一年度评估中加分",
}
OUTCOME_WORDS = {"overdue": "整改事项逾期未核验销号", "all_verified_on_time": "整改事项全部按期核验销号"}


def consequence_words(book: CountyYear) -> list[str]:
    """The scheme's link from results and rectification to reward and penalty (一挂钩), in words."""
    rules = book.scheme.consequences
    lines = []
    for rule in rules.by_report:
        grades = "、".join(f"“{g}”" for g in rule.grades) if rule.grades else "任何等次"
        condition = f"评估等次为{grades}" + ("且存在突出问题" if rule.serious_problem else "")
        lines.append(f"{condition}的，{_consequence(rule)}（规则 {rule.code}）；")
    for outcome_rule in rules.by_rectification:
        outcome = OUTCOME_WORDS.get(outcome_rule.outcome, outcome_rule.outcome)
        lines.append(f"{outcome}的，{_consequence(outcome_rule)}（规则 {outcome_rule.code}）；")
    return lines or ["本年度评估方案未规定整改与奖惩挂钩规则。"]


def _consequence(rule: ReportConsequenceRule | RectificationConsequenceRule) -> str:
    words = KIND_WORDS.get(rule.kind, rule.kind)
    points = rule.points
    if points is not None and points != 0:
        words = f"{'在下一年度评估中扣' if points < 0 else '在下一年度评估中加'} {abs(points).normalize():f} 分"
    return words


def problem_records(report: Report) -> list[dict[str, Any]]:
    """The problems as ``ReportIssued`` records them: id, rule, indicator, title, serious, advice, numbers…"""
    return [
        {
            "id": p.id,
            "rule": p.finding.rule,
            "kind": p.finding.kind,
            "indicator": p.finding.indicator,
            "title": p.finding.title,
            "serious": p.finding.serious,
            "advice": p.finding.advice,
            "numbers": dict(p.finding.numbers),
            "requirement": p.requirement,
            "deadline": p.deadline,
            "answerer": p.answerer,
        }
        for p in report.problems
    ]


def highlight_records(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "id": f"H{number}",
            "rule": h.rule,
            "kind": h.kind,
            "indicator": h.indicator,
            "title": h.title,
            "numbers": dict(h.numbers),
        }
        for number, h in enumerate(report.highlights, start=1)
    ]
