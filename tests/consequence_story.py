"""A county's 2023 report, recorded straight into its stream with the grade and serious
problem a test needs (the report's own tests issue real ones), and its rectification items
walked through the real commands, for the consequence tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import report_commands as rc
from domain.county import County, county_id
from domain.recorded_time import CHINA
from domain.scheme_reading import parse_scheme
from ruraleval.platform import Platform
from tests.conftest import example_document

CODE = "130425"
EVALUATOR = c.Context("evaluator.test", "test")


def beijing(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=CHINA)


def next_year_document(*, penalty_category: bool = True) -> dict[str, Any]:
    document = example_document() | {"id": "example-2024", "year": 2024, "name": "示例方案（2024年度）"}
    if penalty_category:
        document["indicators"] = [
            *document["indicators"],
            {"code": "P1", "name": "整改不力减分", "kind": "bonus_penalty", "sign": "penalty"},
            {"code": "B1", "name": "创新工作加分", "kind": "bonus_penalty", "sign": "bonus"},
        ]
    return document


def enrol(
    service: Platform,
    *,
    next_year: bool = True,
    penalty_category: bool = True,
    code: str = CODE,
    next_year_data: bool = True,
) -> None:
    """The county on the 2023 example scheme, and (unless told not) on a 2024 one."""
    context = c.Context("setup", "setup", recorded_at=beijing("2023-01-05"))
    scheme = parse_scheme(example_document())
    service.ledger.enrol(c.EnrolCounty(code, "大名县", "河北省", "east", scheme), context)
    if next_year:
        adopt = c.AdoptScheme(parse_scheme(next_year_document(penalty_category=penalty_category)))
        service.ledger.execute(code, adopt, context)
        if not next_year_data:
            return  # 2024's total stays 0: points taken off move no figure but the penalty
        # 2024's 1.1 at its target: 20 points, so that points taken off show in the total
        submitted = c.Context("setup", "setup", recorded_at=beijing("2024-02-01"))
        service.ledger.execute(code, c.SubmitData("1.1", "2024", Decimal("61.5")), submitted)


def record(service: Platform, when: datetime, *events: tuple[str, dict[str, Any]], code: str = CODE) -> None:
    """Records events of the county stream as an evaluator at ``when`` (through ``County.record``)."""

    def apply(existing: Any, context: c.Context) -> tuple[Any, dict[str, Any]]:
        county: County = existing
        for name, fields in events:
            county.record(getattr(County, name), context, **fields)
        return county, {}

    context = c.Context(EVALUATOR.actor, "test", recorded_at=when)
    service.ledger._enqueue(county_id(code), apply, context, "Test", f"county:{code}").result()


def issue_report(
    service: Platform,
    when: datetime,
    grade: str,
    *,
    serious: bool = False,
    report_id: str = "2023-R1",
    code: str = CODE,
) -> None:
    total = {"好": "92.5", "较好": "85", "一般": "70", "较差": "55"}[grade]
    problems = [
        {"id": "P-1", "rule": "P1" if serious else "P7", "indicator": "1.1", "title": "指标1.1有 1 条红色预警尚未消除",
         "serious": serious, "advice": "限期消除", "numbers": {"count": "1"}},
    ]  # fmt: skip
    fields = {
        "year": 2023,
        "report_id": report_id,
        "as_of": when.replace(hour=0),
        "content_sha256": "0" * 64,
        "files": {"report.pdf": "1" * 64},
        "total": Decimal(total),
        "grade": grade,
        "rank": 3,
        "region_rank": 2,
        "highlights": [],
        "problems": problems,
    }
    record(service, when, ("ReportIssued", fields), code=code)


def raise_item(
    service: Platform, when: datetime, item_id: str, deadline: str, code: str = CODE, *, from_report: bool = True
) -> None:
    """Raises the report's problem P-1 as an item, or (``from_report`` false) one the evaluator
    saw (``RaiseRectification``, as an evaluator at ``when``)."""
    requirement, answerer = "限期消除红色预警", "县农业农村局"
    if from_report:
        command = rc.RaiseRectification(2023, requirement, deadline, answerer, "2023-R1", "P-1")
    else:
        command = rc.RaiseRectification(2023, "补齐台账", deadline, answerer, problem="台账不全")
    outcome = service.ledger.execute(code, command, c.Context(EVALUATOR.actor, "test", recorded_at=when))
    assert outcome.result["item_id"] == item_id, outcome.result


def raise_item_directly(service: Platform, when: datetime, item_id: str, deadline: str, code: str = CODE) -> None:
    """Records ``RectificationRaised`` itself: an item whose deadline is already past when the
    stream's latest event is today (the command refuses a deadline before the day it is raised)."""
    fields = {"year": 2023, "item_id": item_id, "source": "report", "report_id": "2023-R1", "problem_id": "P-1",
              "indicator": "1.1", "problem": "指标1.1有 1 条红色预警尚未消除", "requirement": "限期消除红色预警",
              "deadline": deadline, "answerer": "县农业农村局"}  # fmt: skip
    record(service, when, ("RectificationRaised", fields), code=code)


def declare_done(service: Platform, when: datetime, item_id: str, code: str = CODE) -> None:
    """The county files a plan and declares the item done (two events)."""
    county_side = c.Context("coordinator.test", "test", recorded_at=when)
    service.ledger.execute(code, rc.FileRectificationPlan(2023, item_id, "逐项整改"), county_side)
    service.ledger.execute(code, rc.DeclareRectificationDone(2023, item_id, "已整改"), county_side)


def verify(service: Platform, when: datetime, item_id: str, code: str = CODE) -> None:
    """Plan, done, then the evaluator's verification (销号) on ``when``'s day."""
    declare_done(service, when, item_id, code)
    command = rc.VerifyRectification(2023, item_id, "核验通过")
    service.ledger.execute(code, command, c.Context(EVALUATOR.actor, "test", recorded_at=when))


def reject(service: Platform, when: datetime, item_id: str, code: str = CODE) -> None:
    """Plan, done, then the evaluator's rejection (back to in progress)."""
    declare_done(service, when, item_id, code)
    command = rc.RejectRectification(2023, item_id, "证据不足")
    service.ledger.execute(code, command, c.Context(EVALUATOR.actor, "test", recorded_at=when))


def decide(service: Platform, on: str, *, code: str = CODE, when: datetime | None = None) -> dict[str, Any]:
    context = c.Context(EVALUATOR.actor, "test", recorded_at=when or beijing(on, 18))
    outcome = service.ledger.execute(code, rc.DecideConsequences(2023, on), context)
    result: dict[str, Any] = outcome.result
    return result
