"""The link to reward and penalty (一挂钩): consequences decided by the scheme's rules from the
latest report and the rectification outcome, each naming its causes (issue 12, item 5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.consequence_rules import ConsequenceRules
from domain.consequences import cause_words
from domain.errors import ConflictError, InvalidCommand
from domain.scheme_reading import parse_scheme
from domain.scoring import score_year
from ruraleval.platform import Platform
from tests.conftest import example_document
from tests.consequence_story import (
    CODE,
    beijing,
    decide,
    enrol,
    issue_report,
    raise_item,
    reject,
    verify,
)


def decided(service: Platform, year: int = 2023) -> list[tuple[str, str]]:
    book = service.ledger.county(CODE).book(year)
    return [(item.rule, item.kind) for item in book.consequences.values()]


@pytest.mark.parametrize(
    ("grade", "serious", "expected"),
    [
        ("好", False, ("G4", "commendation")),
        ("较好", False, ("G4", "commendation")),
        ("一般", False, ("G2", "interview_deputy")),
        ("较差", False, ("G2", "interview_deputy")),
        ("好", True, ("G3", "interview_deputy")),
        ("一般", True, ("G2", "interview_deputy")),
        ("较差", True, ("G1", "interview_principal")),
    ],
)
def test_the_latest_reports_grade_and_serious_problems_give_one_consequence(
    memory_platform: Platform, grade: str, serious: bool, expected: tuple[str, str]
) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), grade, serious=serious)
    assert decide(memory_platform, "2024-03-02")["consequences"] == ["2023-C1"]
    assert decided(memory_platform) == [expected]


def test_a_consequence_names_the_report_it_follows(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "较差", serious=True)
    decide(memory_platform, "2024-03-02")
    [consequence] = memory_platform.ledger.county(CODE).book(2023).consequences.values()
    assert consequence.causes["report_id"] == "2023-R1"
    assert consequence.causes["grade"] == "较差"
    assert consequence.causes["total"] == "55.00"
    assert consequence.causes["as_of"] == beijing("2024-03-01", 0).isoformat()
    assert consequence.causes["serious_problems"] == [
        {"id": "P-1", "indicator": "1.1", "title": "指标1.1有 1 条红色预警尚未消除"}
    ]
    assert (consequence.points, consequence.adjustment_id, consequence.actor) == (None, None, "evaluator.test")


def test_the_latest_report_counts(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "一般")
    issue_report(memory_platform, beijing("2024-03-05"), "较好", report_id="2023-R2")
    decide(memory_platform, "2024-03-06")
    assert decided(memory_platform) == [("G4", "commendation")]


def test_a_later_report_of_the_same_kind_decides_nothing_again(memory_platform: Platform) -> None:
    """Interviews by grade are decided once a year: a second report with a grade giving the
    same kind adds no second 约谈分管负责同志 (ADR 26)."""
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "一般")
    assert decide(memory_platform, "2024-03-02")["consequences"] == ["2023-C1"]
    issue_report(memory_platform, beijing("2024-03-05"), "较差", report_id="2023-R2")  # G2 again
    assert decide(memory_platform, "2024-03-06") == {"consequences": [], "unchanged": True}
    assert decided(memory_platform) == [("G2", "interview_deputy")]


def test_a_later_report_whose_grade_gives_another_kind_names_the_earlier_one(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "一般")
    decide(memory_platform, "2024-03-02")
    issue_report(memory_platform, beijing("2024-03-05"), "较差", serious=True, report_id="2023-R2")
    assert decide(memory_platform, "2024-03-06")["consequences"] == ["2023-C2"]
    assert decided(memory_platform) == [("G2", "interview_deputy"), ("G1", "interview_principal")]
    later = memory_platform.ledger.county(CODE).book(2023).consequences["2023-C2"]
    assert later.causes["report_id"] == "2023-R2"
    assert later.causes["earlier"] == {"consequence_id": "2023-C1", "report_id": "2023-R1", "kind": "interview_deputy"}
    assert "此前 2023-R1 号评估报告认定的 2023-C1“约谈分管负责同志”" in cause_words(later.causes)


def test_an_overdue_item_costs_two_points_in_the_next_years_evaluation(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "较好")
    raise_item(memory_platform, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
    assert score_year(memory_platform.ledger.county(CODE).book(2024)).total == 20
    assert decide(memory_platform, "2024-05-31")["consequences"] == ["2023-C1"]  # the deadline day itself: not late
    assert decide(memory_platform, "2024-06-01")["consequences"] == ["2023-C2"]
    county = memory_platform.ledger.county(CODE)
    consequence = county.book(2023).consequences["2023-C2"]
    assert (consequence.rule, consequence.kind, consequence.points) == ("Z1", "penalty_points", Decimal(-2))
    assert (consequence.points_year, consequence.adjustment_id) == (2024, "2023-C2-points")
    [item] = consequence.causes["items"]
    assert item["id"] == "2023-Z1" and item["deadline"] == "2024-05-31" and item["verified_on"] is None
    assert item["raised_version"] == 5  # enrolled 1, 2024 adopted 2, data 3, report 4, raised 5
    [entry] = county.book(2024).adjustments
    assert (entry.id, entry.points, entry.category) == ("2023-C2-points", Decimal(-2), "P1")
    assert (
        entry.reason
        == "挂钩结果 2023-C2（下一年度扣分，规则 Z1）：整改事项 2023-Z1 逾期（期限 2024-05-31，截至 2024-06-01 未销号）"
    )
    assert score_year(county.book(2024)).total == 18
    assert county.book(2023).adjustments == []  # the year evaluated keeps its score


def test_an_item_verified_late_is_still_overdue_and_names_its_inspections(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "较好")
    raise_item(memory_platform, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
    reject(memory_platform, beijing("2024-05-20"), "2023-Z1")
    verify(memory_platform, beijing("2024-06-03"), "2023-Z1")
    decide(memory_platform, "2024-06-04")
    consequence = memory_platform.ledger.county(CODE).book(2023).consequences["2023-C2"]
    [item] = consequence.causes["items"]
    # raised 5; plan 6, done 7, rejected 8; plan 9, done 10, verified 11
    assert item["inspection_versions"] == [8, 11]
    assert item["verified_on"] == "2024-06-03"
    assert "2024-06-03 才销号" in memory_platform.ledger.county(CODE).book(2024).adjustments[0].reason


def test_every_item_verified_on_time_gives_a_commendation(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "一般")
    raise_item(memory_platform, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
    raise_item(memory_platform, beijing("2024-03-02"), "2023-Z2", "2024-06-30", from_report=False)
    verify(memory_platform, beijing("2024-05-31"), "2023-Z1")
    decide(memory_platform, "2024-06-01")
    assert decided(memory_platform) == [("G2", "interview_deputy")]  # Z2 is not yet verified, nor late
    verify(memory_platform, beijing("2024-06-10"), "2023-Z2")
    assert decide(memory_platform, "2024-06-11")["consequences"] == ["2023-C2"]
    assert decided(memory_platform)[-1] == ("Z2", "commendation")
    causes = memory_platform.ledger.county(CODE).book(2023).consequences["2023-C2"].causes
    assert [item["id"] for item in causes["items"]] == ["2023-Z1", "2023-Z2"]
    assert memory_platform.ledger.county(CODE).book(2024).adjustments == []


def test_deciding_again_records_nothing_new_until_the_facts_change(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "较好")
    raise_item(memory_platform, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
    decide(memory_platform, "2024-05-30")
    version = memory_platform.ledger.county(CODE).version
    assert decide(memory_platform, "2024-05-31") == {"consequences": [], "unchanged": True}
    assert memory_platform.ledger.county(CODE).version == version
    assert decide(memory_platform, "2024-06-01")["consequences"] == ["2023-C2"]
    assert decide(memory_platform, "2024-06-02")["consequences"] == []
    assert len(memory_platform.ledger.county(CODE).book(2024).adjustments) == 1


def test_without_an_issued_report_nothing_is_decided(memory_platform: Platform) -> None:
    enrol(memory_platform)
    with pytest.raises(ConflictError) as refused:
        decide(memory_platform, "2024-03-02")
    assert refused.value.problems[0].rule == "report_issued"
    assert "2023 年度尚未出具评估报告" in refused.value.problems[0].message


def test_points_need_the_next_years_scheme_and_nothing_is_recorded_without_it(memory_platform: Platform) -> None:
    enrol(memory_platform, next_year=False)
    issue_report(memory_platform, beijing("2024-03-01"), "较好")
    raise_item(memory_platform, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
    version = memory_platform.ledger.county(CODE).version
    with pytest.raises(ConflictError) as refused:
        decide(memory_platform, "2024-06-01")
    problem = refused.value.problems[0]
    assert (problem.field, problem.rule) == ("year", "next_year_scheme")
    assert "尚未采用 2024 年度的评估方案" in problem.message
    assert memory_platform.ledger.county(CODE).version == version  # not even the grade's commendation


def test_points_need_a_penalty_category_in_the_next_years_scheme(memory_platform: Platform) -> None:
    enrol(memory_platform, penalty_category=False)
    issue_report(memory_platform, beijing("2024-03-01"), "较好")
    raise_item(memory_platform, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
    with pytest.raises(InvalidCommand) as refused:
        decide(memory_platform, "2024-06-01")
    assert refused.value.problems[0].rule == "known_category"
    assert "“P1”不是 2024 年度方案中的减分项类别" in refused.value.problems[0].message


def test_a_day_not_yet_come_or_malformed_is_refused(memory_platform: Platform) -> None:
    enrol(memory_platform)
    issue_report(memory_platform, beijing("2024-03-01"), "较好")
    with pytest.raises(InvalidCommand) as refused:
        decide(memory_platform, "2024-06-02", when=beijing("2024-06-01"))
    assert refused.value.problems[0].rule == "not_future"
    with pytest.raises(InvalidCommand) as malformed:
        decide(memory_platform, "2024-6-1", when=beijing("2024-06-01"))
    assert malformed.value.problems[0].rule == "iso_date"


# ------------------------------------------------------------------ the scheme section


def consequences_document(section: Any) -> dict[str, Any]:
    return example_document() | {"consequences": section}


def test_the_usual_consequence_rules_are_those_of_004_eight(scheme: Any) -> None:
    assert scheme.consequences == ConsequenceRules()
    own = {"by_report": [{"code": "A", "kind": "commendation", "grades": ["好"]}],
           "by_rectification": [{"code": "B", "outcome": "overdue", "kind": "penalty_points", "points": -1,
                                 "category": "P9"}]}  # fmt: skip
    configured = parse_scheme(consequences_document(own))
    assert configured.consequences.by_rectification[0].points == Decimal(-1)
    assert parse_scheme(configured.to_document() | {}) == configured


@pytest.mark.parametrize(
    ("section", "field", "rule"),
    [
        ({"by_report": [{"code": "A", "kind": "praise"}]}, "consequences.by_report[0].kind", "one_of"),
        ({"by_report": [{"code": "A", "kind": "commendation", "grades": ["优秀"]}]},
         "consequences.by_report[0].grades", "known_grade"),
        ({"by_rectification": [{"code": "A", "outcome": "late", "kind": "commendation"}]},
         "consequences.by_rectification[0].outcome", "one_of"),
        ({"by_rectification": [{"code": "A", "outcome": "overdue", "kind": "penalty_points", "points": 2,
                                "category": "P1"}]}, "consequences.by_rectification[0].points", "points_sign"),
        ({"by_rectification": [{"code": "A", "outcome": "overdue", "kind": "penalty_points", "points": -2}]},
         "consequences.by_rectification[0].category", "required"),
        ({"by_report": [{"code": "A", "kind": "commendation"}],
          "by_rectification": [{"code": "A", "outcome": "overdue", "kind": "commendation"}]},
         "consequences.by_rectification[0].code", "unique_code"),
        ({"by_report": [{"code": "A", "kind": "commendation", "points": 1}]},
         "consequences.by_report[0].points", "points_only"),
        ({"grades": []}, "consequences", "known_fields"),
    ],
)  # fmt: skip
def test_bad_consequence_rules_are_refused_naming_the_path(section: Any, field: str, rule: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        parse_scheme(consequences_document(section))
    found = {p.field: p for p in refused.value.problems}
    assert field in found, found
    assert found[field].rule == rule
    assert field in found[field].message or rule == "unique_code"


def test_a_reports_cause_is_told_on_its_beijing_day_and_its_total_to_two_places() -> None:
    causes = {"report_id": "2023-R1", "as_of": "2024-02-29T16:30:00+00:00", "grade": "一般", "total": "78.97"}
    assert cause_words(causes) == "2023-R1 号评估报告（截至 2024-03-01）总分 78.97，等级一般"
