"""Highlights and problems chosen by the scheme's stated rules (issue 12, item 2)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.chain import _plain
from domain.errors import InvalidCommand
from domain.findings import IndicatorFacts, matched_figures, select
from domain.report_rules import FindingCount, ReportRule, ReportRules
from domain.scheme_reading import parse_scheme
from tests.conftest import example_document

D = Decimal


def facts(code: str, **changes: Any) -> IndicatorFacts:
    """An indicator of weight 10 scoring 7 (70 %), ranked 5th of 10 overall and 3rd of 5 in
    its region, as last year, value 70 against target 100 and the region's best 80."""
    base: dict[str, Any] = {
        "code": code,
        "name": f"指标{code}",
        "unit": "%",
        "direction": "higher_better",
        "weight": D(10),
        "value": D(70),
        "target": D(100),
        "score": D(7),
        "rank": 5,
        "count": 10,
        "region_rank": 3,
        "region_count": 5,
        "last_year_rank": 5,
        "region_best": D(80),
    }
    base.update(changes)
    return IndicatorFacts(**base)


def only(rule: ReportRule, minimum: int = 0, maximum: int = 5) -> ReportRules:
    counts = FindingCount(minimum, maximum)
    return ReportRules(highlights=counts, problems=counts, rules=[rule])


def rule(side: str, kind: str, threshold: int | str, scope: str = "all", serious: bool = False) -> ReportRule:
    advice = "整改{name}" if side == "problem" else ""
    return ReportRule("R", side, kind, D(threshold), "{name}", advice, serious, scope)


def chosen(items: list[IndicatorFacts], rules: ReportRules) -> list[str]:
    selection = select(items, rules)
    return [f.indicator for f in selection.highlights + selection.problems]


# -------------------------------------------------------------- each kind at its threshold

CASES = [
    # kind, side, threshold, scope, facts that match, facts that do not
    ("attainment", "highlight", "95", "all", {"score": D("9.5")}, {"score": D("9.49")}),
    ("attainment", "problem", "60", "all", {"score": D(6)}, {"score": D("6.01")}),
    ("rank_top", "highlight", 3, "all", {"rank": 3}, {"rank": 4}),
    ("rank_top", "highlight", 2, "region", {"region_rank": 2}, {"region_rank": 3}),
    ("rank_bottom", "problem", 3, "all", {"rank": 8}, {"rank": 7}),
    ("rank_bottom", "problem", 2, "region", {"region_rank": 4}, {"region_rank": 3}),
    ("rank_change", "highlight", 3, "all", {"rank": 2, "last_year_rank": 5}, {"rank": 3, "last_year_rank": 5}),
    ("rank_change", "problem", 3, "all", {"rank": 8, "last_year_rank": 5}, {"rank": 7, "last_year_rank": 5}),
    # 80 - 56 = 24 = 30 % of 80; 80 - 57 = 23 < 24
    ("gap_to_region_best", "problem", "30", "all", {"value": D(56)}, {"value": D(57)}),
    ("red_warnings", "problem", 2, "all", {"red_warnings": 2}, {"red_warnings": 1}),
    ("returned_data", "problem", 2, "all", {"returned": 2}, {"returned": 1}),
]


@pytest.mark.parametrize(("kind", "side", "threshold", "scope", "hit", "miss"), CASES)
def test_each_rule_kind_chooses_at_its_threshold_and_not_beyond(
    kind: str, side: str, threshold: Any, scope: str, hit: dict[str, Any], miss: dict[str, Any]
) -> None:
    rules = only(rule(side, kind, threshold, scope))
    assert chosen([facts("A", **hit)], rules) == ["A"]
    assert chosen([facts("A", **miss)], rules) == []


def test_lower_is_better_gap_counts_a_value_above_the_region_best() -> None:
    rules = only(rule("problem", "gap_to_region_best", "25"))
    lower = {"direction": "lower_better", "region_best": D(40)}
    assert chosen([facts("A", value=D(50), **lower)], rules) == ["A"]  # 10 above 40 is 25 %
    assert chosen([facts("A", value=D("49.9"), **lower)], rules) == []


def test_rank_rules_need_more_counties_than_k_and_a_rank() -> None:
    top = only(rule("highlight", "rank_top", 3))
    assert chosen([facts("A", rank=1, count=3)], top) == []  # every county is in the top 3 of 3
    assert chosen([facts("A", rank=None)], top) == []
    change = only(rule("highlight", "rank_change", 1))
    assert chosen([facts("A", rank=1, last_year_rank=None)], change) == []


# ------------------------------------------------------------------- order and counts


def test_ties_go_by_weight_then_code_and_rules_by_their_order() -> None:
    first = ReportRule("H1", "highlight", "rank_top", D(3), "{name}")
    second = ReportRule("H2", "highlight", "attainment", D(90), "{name}")
    rules = ReportRules(FindingCount(1, 4), FindingCount(0, 5), [first, second])
    items = [
        facts("C", score=D(10)),  # attainment only, weight 10
        facts("B", rank=2, weight=D(5), score=D(5)),  # both rules, weight 5
        facts("A", rank=1, weight=D(5), score=D(5)),  # both rules, weight 5, code before B
        facts("D", rank=3, weight=D(20), score=D(20)),  # both rules, weight 20
    ]
    selection = select(items, rules)
    assert [(f.rule, f.indicator) for f in selection.highlights] == [("H1", "D"), ("H1", "A"), ("H1", "B"), ("H2", "C")]


def test_at_most_max_per_side() -> None:
    items = [facts(code, red_warnings=1) for code in "ABCDEFG"]
    rules = ReportRules(rules=[rule("problem", "red_warnings", 1)])
    assert [f.indicator for f in select(items, rules).problems] == ["A", "B", "C", "D", "E"]


def test_an_indicator_is_not_chosen_twice_on_a_side() -> None:
    red = ReportRule("P1", "problem", "red_warnings", D(1), "{name}", "a")
    low = ReportRule("P2", "problem", "attainment", D(80), "{name}", "b")
    rules = ReportRules(FindingCount(0, 5), FindingCount(0, 5), [red, low])
    selection = select([facts("A", red_warnings=1), facts("B")], rules)
    assert [(f.rule, f.indicator) for f in selection.problems] == [("P1", "A"), ("P2", "B")]


def test_fewer_than_the_minimum_gives_what_there_is_and_a_note() -> None:
    rules = ReportRules(rules=[rule("highlight", "rank_top", 3), rule("problem", "red_warnings", 1)])
    items = [facts("A", rank=1), facts("B", rank=2), facts("C")]
    selection = select(items, rules)
    assert [f.indicator for f in selection.highlights] == ["A", "B"]
    assert selection.problems == []
    assert selection.notes == [
        "按方案规则只找到 2 个亮点（方案要求至少 3 个）",
        "按方案规则只找到 0 个问题（方案要求至少 3 个）",
    ]
    three = [facts("A", rank=1), facts("B", rank=2), facts("C", rank=3), facts("D", red_warnings=1)] * 1
    assert select(three, rules).notes == ["按方案规则只找到 1 个问题（方案要求至少 3 个）"]


def test_templates_are_filled_with_the_figures_to_two_places() -> None:
    gap = ReportRule(
        "P3",
        "problem",
        "gap_to_region_best",
        D(30),
        "{name}为 {value}{unit}，落后本区域最好水平 {region_best}{unit} 达 {gap}{unit}（{gap_pct}%）",
        "对标先进，{name}力争达到 {target}{unit}",
        serious=True,
    )
    finding = select([facts("A", value=D("50.5"))], only(gap)).problems[0]
    # 80 - 50.5 = 29.5; 29.5 / 80 = 36.875 % → 36.88
    assert finding.title == "指标A为 50.50%，落后本区域最好水平 80.00% 达 29.50%（36.88%）"
    assert finding.advice == "对标先进，指标A力争达到 100.00%"
    assert finding.serious is True
    assert (finding.rule, finding.kind, finding.side) == ("P3", "gap_to_region_best", "problem")
    assert finding.numbers["gap_pct"] == "36.88"
    assert finding.numbers["region_best"] == "80.00"
    assert finding.numbers["value"] == "50.50"
    assert "name" not in finding.numbers


def test_the_usual_rules_give_chinese_titles() -> None:
    selection = select([facts("A", rank=1, score=D(10)), facts("B", red_warnings=2, score=D(5))], ReportRules())
    assert selection.highlights[0].title == "指标A位居全部县第 1 名（共 10 个县）"
    problem = selection.problems[0]
    assert (problem.rule, problem.title, problem.serious) == ("P1", "指标B有 2 条红色预警尚未消除", True)


# --------------------------------------------------------------------- scheme reading


def with_report(report: Any) -> dict[str, Any]:
    document = example_document()
    document["report"] = report
    return document


def refusals(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    with pytest.raises(InvalidCommand) as refused:
        parse_scheme(document)
    return {p.field: (p.rule, p.message) for p in refused.value.problems}


GOOD = {"code": "P9", "side": "problem", "kind": "attainment", "at_most_pct": 50, "title": "{name}", "advice": "改"}


def test_a_scheme_without_a_report_section_reads_the_usual_rules_and_keeps_its_hash(scheme: Any) -> None:
    assert scheme.report == ReportRules()
    shared = json.loads(Path("/work/shared/examples/scheme.json").read_text("utf-8"))
    assert parse_scheme(shared).report == ReportRules()


def test_the_report_section_round_trips() -> None:
    document = with_report({"highlights": {"min": 2, "max": 4}, "problems": {"min": 1, "max": 3}, "rules": [
        {"code": "H9", "side": "highlight", "kind": "rank_top", "k": 5, "scope": "region", "title": "{name}第{rank}"},
        GOOD,
    ]})  # fmt: skip
    scheme = parse_scheme(document)
    assert scheme.report.highlights == FindingCount(2, 4)
    assert [r.code for r in scheme.report.rules] == ["H9", "P9"]
    again = json.loads(json.dumps(scheme.to_document(), default=str))
    assert parse_scheme(again) == scheme


@pytest.mark.parametrize(
    ("item", "field", "rule", "words"),
    [
        ({**GOOD, "title": "{name}{place}"}, "report.rules[1].title", "placeholders", "不认识的占位符 {place}"),
        ({**GOOD, "advice": "{gap}"}, "report.rules[1].advice", "placeholders", "{gap}"),
        ({**GOOD, "title": "{name!r}"}, "report.rules[1].title", "placeholders", "不认识的占位符"),
        ({**GOOD, "title": "{name"}, "report.rules[1].title", "placeholders", "花括号不成对"),
        ({**GOOD, "at_most_pct": 120}, "report.rules[1].at_most_pct", "percent", "0 至 100"),
        ({**GOOD, "at_most_pct": None}, "report.rules[1].at_most_pct", "percent", "百分数"),
        ({**GOOD, "kind": "rank_top", "k": 0}, "report.rules[1].side", "kind_side", "只能用于亮点"),
        ({**GOOD, "kind": "rank_bottom", "k": 0}, "report.rules[1].k", "whole_number", "1 至 1000"),
        ({**GOOD, "kind": "red_warnings", "count": 1.5}, "report.rules[1].count", "whole_number", "整数"),
        ({**GOOD, "kind": "streak"}, "report.rules[1].kind", "one_of", "attainment"),
        ({**GOOD, "code": "P0"}, "report.rules[1].code", "unique_code", "“P0”重复"),
        ({**GOOD, "serious": "yes"}, "report.rules[1].serious", "boolean", "true 或 false"),
        ({**GOOD, "advice": None}, "report.rules[1].advice", "required", "必须填写"),
    ],
)
def test_the_report_rules_are_refused_with_the_path_named(
    item: dict[str, Any], field: str, rule: str, words: str
) -> None:
    first = {**GOOD, "code": "P0"}
    highlight = {"code": "H0", "side": "highlight", "kind": "rank_top", "k": 3, "title": "{name}"}
    found = refusals(with_report({"rules": [first, item, highlight]}))
    assert field in found, found
    assert found[field][0] == rule
    assert words in found[field][1]


def test_counts_and_sides_are_checked() -> None:
    found = refusals(with_report({"highlights": {"min": 4, "max": 2}, "problems": {"max": 11}, "rules": [GOOD]}))
    assert found["report.highlights"][0] == "ordered"
    assert found["report.problems.max"][0] == "count"
    assert found["report.rules"] == ("both_sides", "report.rules 必须至少有一条亮点规则（side 为 highlight）")


# ---------------------------------------------------------------------------- property

fact_strategy = st.builds(
    facts,
    code=st.sampled_from(["A", "B", "C", "D", "E", "F"]),
    weight=st.sampled_from([D(5), D(10), D(20)]),
    score=st.integers(0, 5).map(D),
    rank=st.one_of(st.none(), st.integers(1, 10)),
    last_year_rank=st.one_of(st.none(), st.integers(1, 10)),
    region_rank=st.one_of(st.none(), st.integers(1, 5)),
    value=st.one_of(st.none(), st.integers(0, 120).map(D)),
    red_warnings=st.integers(0, 2),
    returned=st.integers(0, 3),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(fact_strategy, max_size=8, unique_by=lambda f: f.code), st.randoms())
def test_selection_is_deterministic_bounded_and_each_finding_matches_its_rule(
    items: list[IndicatorFacts], random: Any
) -> None:
    rules = ReportRules()
    selection = select(items, rules)
    shuffled = list(items)
    random.shuffle(shuffled)
    assert select(shuffled, rules) == selection
    by_code = {item.code: item for item in items}
    by_rule = {r.code: r for r in rules.rules}
    for side, found in (("highlight", selection.highlights), ("problem", selection.problems)):
        assert len(found) <= rules.count(side).max
        assert len({f.indicator for f in found}) == len(found)
        for finding in found:
            assert finding.side == side
            assert matched_figures(by_code[finding.indicator], by_rule[finding.rule]) is not None


def test_the_usual_rules_leave_a_schemes_hashed_form_as_before(scheme: Any) -> None:
    hashed = _plain(scheme)  # what the chain hashes of a scheme inside an event
    assert "report" not in hashed and "consequences" not in hashed
    highlight = {"code": "H", "side": "highlight", "kind": "attainment", "at_least_pct": 90, "title": "{name}"}
    changed = parse_scheme(with_report({"rules": [GOOD, highlight]}))
    assert "report" in _plain(changed)


# ----------------------------------------------------- no data, no target, mistyped keys


@pytest.mark.parametrize(
    "kind_rule",
    [
        rule("highlight", "attainment", 0),
        rule("problem", "attainment", 100),
        rule("highlight", "rank_top", 1),
        rule("highlight", "rank_change", 1),
    ],
)
def test_a_year_without_data_gives_no_rank_or_attainment_finding(kind_rule: ReportRule) -> None:
    # 大名县 alone in 2024, nothing recorded: score 0, "rank 1 of 1", last year 10th
    empty = facts("A", value=None, score=D(0), rank=1, count=1, region_rank=1, region_count=1, last_year_rank=10)
    assert chosen([empty], only(kind_rule)) == []


def test_rank_rules_need_two_counties_ranked_and_rank_change_both_years() -> None:
    alone = facts("A", rank=1, count=1, region_rank=1, region_count=1, last_year_rank=10)
    assert chosen([alone], only(rule("highlight", "rank_change", 1))) == []
    assert chosen([facts("A", rank=1, last_year_rank=None)], only(rule("highlight", "rank_change", 1))) == []
    assert chosen([facts("A", rank=1, last_year_rank=3)], only(rule("highlight", "rank_change", 1))) == ["A"]


def test_the_usual_problem_rule_leaves_out_a_missing_target() -> None:
    # 瑞金市's P4: 2.00/4.00, no target: "目标值 —%" must not be printed
    item = facts("A", weight=D(4), score=D(2), value=D("96.2"), target=None, rank=None, last_year_rank=None)
    problems = select([item], ReportRules()).problems
    assert problems, "the 50 % attainment is still a problem"
    finding = problems[0]
    assert "目标值" not in finding.title and "—" not in finding.title
    assert finding.title == "指标A得分率仅 50.00%（2.00/4.00 分），实际 96.20%"
    assert "目标值" not in finding.advice and finding.advice.endswith("明确责任单位和时限")
    with_target = select([facts("A", weight=D(4), score=D(2), rank=None, last_year_rank=None)], ReportRules())
    assert "目标值 100.00%" in with_target.problems[0].title


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({**GOOD, "serios": True}, "report.rules[1].serios"),
        ({**GOOD, "foo": 1}, "report.rules[1].foo"),
        ({**GOOD, "at_least_pct": 50}, "report.rules[1].at_least_pct"),  # a highlight's threshold on a problem
    ],
)
def test_a_mistyped_key_of_a_report_rule_is_refused_listing_the_allowed_keys(item: dict[str, Any], field: str) -> None:
    first = {**GOOD, "code": "P0"}
    highlight = {"code": "H0", "side": "highlight", "kind": "rank_top", "k": 3, "title": "{name}"}
    found = refusals(with_report({"rules": [first, item, highlight]}))
    assert field in found, found
    rule_name, message = found[field]
    assert rule_name == "known_fields"
    assert "不认识" in message and "code、side、kind、at_most_pct、title、advice、serious" in message


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        (
            {"by_report": [{"code": "R1", "kind": "interview_deputy", "grade": ["较差"]}]},
            "consequences.by_report[0].grade",
            "grades",
        ),
        (
            {"by_report": [{"code": "R1", "kind": "interview_deputy", "grades": ["较差"], "foo": 1}]},
            "consequences.by_report[0].foo",
            "serious_problem",
        ),
        (
            {"by_rectification": [{"code": "R2", "outcome": "overdue", "kind": "interview_deputy", "serios": True}]},
            "consequences.by_rectification[0].serios",
            "outcome",
        ),
    ],
)
def test_a_mistyped_key_of_a_consequence_rule_is_refused(section: dict[str, Any], field: str, words: str) -> None:
    document = example_document()
    document["consequences"] = section
    found = refusals(document)
    assert field in found, found
    assert found[field][0] == "known_fields" and words in found[field][1] and "不认识" in found[field][1]


def test_a_mistyped_rule_key_is_refused_over_http_and_nothing_is_stored(
    memory_client: Any, scheme_document: dict[str, Any]
) -> None:
    document = {**scheme_document, "consequences": {"by_report": [
        {"code": "R1", "kind": "interview_deputy", "grade": ["较差"]},
    ]}}  # fmt: skip
    answer = memory_client.post("/api/v1/schemes", json=document)
    assert answer.status_code == 422, answer.text
    assert "consequences.by_report[0].grade" in answer.text and "grades" in answer.text
    assert memory_client.get(f"/api/v1/schemes/{document['id']}").status_code == 404
