"""A scheme document is refused with every problem listed, field and rule named; a valid one parses."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidCommand, Problem
from domain.scheme import Band, Scheme
from domain.scheme_reading import parse_scheme


def problems_of(document: Any) -> list[Problem]:
    with pytest.raises(InvalidCommand) as info:
        parse_scheme(document)
    return info.value.problems


def rules_of(document: Any) -> set[tuple[str, str]]:
    return {(problem.field, problem.rule) for problem in problems_of(document)}


def indicator(document: dict[str, Any], code: str) -> dict[str, Any]:
    for item in document["indicators"]:
        if item["code"] == code:
            return item  # type: ignore[no-any-return]
    raise KeyError(code)


def position(document: dict[str, Any], code: str) -> int:
    return [item["code"] for item in document["indicators"]].index(code)


TOWN_COMPOSITES: dict[str, Any] = {
    "composite_inputs": [
        {"code": "verification", "name": "县级核验得分"},
        {"code": "villages", "name": "抽查村得分", "many": True},
        {"code": "daily_work", "name": "日常工作得分"},
    ],
    "composites": [
        {
            "code": "year_end",
            "name": "年终考核得分",
            "components": [
                {"source": "verification", "weight": "0.6"},
                {"source": "villages", "weight": "0.4", "aggregate": "mean"},
            ],
        },
        {
            "code": "composite",
            "name": "综合得分",
            "components": [{"source": "daily_work", "weight": "0.3"}, {"source": "year_end", "weight": "0.7"}],
        },
    ],
}


# ------------------------------------------------------------------ valid schemes


def test_example_scheme_parses_into_typed_values(scheme_document: dict[str, Any]) -> None:
    scheme = parse_scheme(scheme_document)
    assert scheme.id == "example-2023"
    assert scheme.year == 2023
    assert [(grade.label, grade.min) for grade in scheme.grades] == [
        ("好", Decimal(90)),
        ("较好", Decimal(80)),
        ("一般", Decimal(60)),
        ("较差", Decimal(0)),
    ]
    assert (scheme.bonus_cap, scheme.penalty_cap) == (Decimal(5), Decimal(10))
    assert [item.code for item in scheme.indicators] == ["1", "1.1", "1.2", "2", "2.1", "2.2"]
    first = scheme.indicators[1]
    assert first.parent == "1"
    assert first.weight == Decimal(20)
    assert first.method is not None
    assert (first.method.type, first.method.target, first.method.baseline) == (
        "attainment",
        Decimal("61.5"),
        Decimal("56.7"),
    )
    assert first.range == [Decimal(0), Decimal(100)]
    assert scheme.indicators[2].frequency == "monthly"
    assert scheme.indicators[2].aggregate == "sum"
    assert scheme.indicators[4].direction == "lower_better"


def test_float_weights_are_read_as_the_decimals_people_wrote(scheme_document: dict[str, Any]) -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary floats; the scheme must keep 0.1 and 0.2.
    indicator(scheme_document, "1.1")["weight"] = 19.9
    indicator(scheme_document, "1.2")["weight"] = 30.1
    scheme = parse_scheme(scheme_document)
    assert scheme.indicators[1].weight == Decimal("19.9")
    assert scheme.indicators[2].weight == Decimal("30.1")


def test_threshold_bands_are_ordered_so_the_first_match_wins(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "2.2")["method"]["bands"] = [
        {"min": 70, "f": 0.5},
        {"min": 95, "f": 1},
        {"min": 0, "f": 0},
        {"min": 85, "f": 0.8},
    ]
    indicator(scheme_document, "2.1")["method"] = {
        "type": "threshold",
        "bands": [{"max": 40, "f": 0.5}, {"max": 30, "f": 1}, {"max": 35, "f": 0.8}],
    }
    scheme = parse_scheme(scheme_document)
    assert scheme.indicators[5].method is not None
    assert [band.min for band in scheme.indicators[5].method.bands] == [95, 85, 70, 0]
    assert scheme.indicators[4].method is not None
    assert scheme.indicators[4].method.bands == [
        Band(f=Decimal(1), max=Decimal(30)),
        Band(f=Decimal("0.8"), max=Decimal(35)),
        Band(f=Decimal("0.5"), max=Decimal(40)),
    ]


def test_example_round_trips_through_its_document(scheme: Scheme) -> None:
    assert parse_scheme(scheme.to_document()) == scheme


def test_scheme_with_every_feature_round_trips_through_json(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["indicators"].append(
        {"code": "B1", "name": "创新工作加分", "kind": "bonus_penalty", "sign": "bonus"}
    )
    indicator(scheme_document, "2.1")["method"] = {
        "type": "threshold",
        "bands": [{"max": 30, "f": 1}, {"max": 35, "f": 0.6}],
    }
    indicator(scheme_document, "1.1")["kind"] = "satisfaction"
    indicator(scheme_document, "1.1")["method"] = {"type": "manual"}
    scheme_document["deadlines"] = {"monthly_due_day": 5, "quarterly_due_day": 20, "annual_due": "02-15"}
    scheme = parse_scheme(scheme_document)

    text = json.dumps(scheme.to_document(), default=str, ensure_ascii=False)
    again = parse_scheme(json.loads(text))

    assert again == scheme
    assert again.deadlines.annual_due == "02-15"
    assert [item.code for item in again.composites] == ["year_end", "composite"]
    assert again.composite_inputs[1].many is True
    assert again.indicators[-1].kind == "bonus_penalty"


# ----------------------------------------------------------- weights and tree shape


def test_top_level_weights_must_add_up_to_100(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "2")["weight"] = 40
    indicator(scheme_document, "2.1")["weight"] = 20
    indicator(scheme_document, "2.2")["weight"] = 20
    problems = problems_of(scheme_document)
    assert [(p.field, p.rule) for p in problems] == [("weights", "sibling_sum")]
    assert "90" in problems[0].message
    assert "100" in problems[0].message


def test_sibling_weights_must_add_up_to_their_parents_weight(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.1")["weight"] = 15
    problems = problems_of(scheme_document)
    assert [(p.field, p.rule) for p in problems] == [("weights.1", "sibling_sum")]
    assert problems[0].message == "“1”的下级指标权重合计为 45，应等于 50"


def test_a_parent_cycle_is_refused(scheme_document: dict[str, Any]) -> None:
    scheme_document["indicators"] += [
        {"code": "X", "name": "甲", "parent": "Y", "weight": 0},
        {"code": "Y", "name": "乙", "parent": "X", "weight": 0},
    ]
    assert {("indicators.X.parent", "acyclic"), ("indicators.Y.parent", "acyclic")} <= rules_of(scheme_document)


def test_an_indicator_that_is_its_own_parent_is_refused(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.1")["parent"] = "1.1"
    assert ("indicators.1.1.parent", "acyclic") in rules_of(scheme_document)


def test_an_unknown_parent_is_refused(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.2")["parent"] = "9"
    problems = problems_of(scheme_document)
    assert ("indicators.1.2.parent", "known_parent") in {(p.field, p.rule) for p in problems}
    assert any("9" in p.message for p in problems if p.rule == "known_parent")


def test_a_duplicate_code_is_refused(scheme_document: dict[str, Any]) -> None:
    scheme_document["indicators"].append(dict(indicator(scheme_document, "2.2"), weight=0))
    assert ("indicators.2.2", "unique_code") in rules_of(scheme_document)


def test_more_than_three_levels_is_refused(scheme_document: dict[str, Any]) -> None:
    del indicator(scheme_document, "1.1")["method"]
    scheme_document["indicators"] += [
        {"code": "1.1.1", "name": "三级", "parent": "1.1", "weight": 20},
        {"code": "1.1.1.1", "name": "四级", "parent": "1.1.1", "weight": 20, "method": {"type": "manual"}},
    ]
    assert rules_of(scheme_document) == {("indicators.1.1.1.1.parent", "max_depth")}


def test_three_levels_are_allowed(scheme_document: dict[str, Any]) -> None:
    del indicator(scheme_document, "1.1")["method"]
    scheme_document["indicators"] += [
        {"code": "1.1.1", "name": "三级甲", "parent": "1.1", "weight": 12, "method": {"type": "manual"}},
        {"code": "1.1.2", "name": "三级乙", "parent": "1.1", "weight": 8, "method": {"type": "manual"}},
    ]
    assert len(parse_scheme(scheme_document).indicators) == 8


def test_a_parent_cannot_have_a_method_and_a_leaf_must_have_one(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1")["method"] = {"type": "manual"}
    del indicator(scheme_document, "2.2")["method"]
    assert rules_of(scheme_document) == {
        ("indicators.1.method", "parent_unscored"),
        ("indicators.2.2.method", "required"),
    }


def test_a_negative_weight_is_refused(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.1")["weight"] = -10
    indicator(scheme_document, "1.2")["weight"] = 60
    assert ("indicators[1].weight", "non_negative") in rules_of(scheme_document)


def test_bonus_penalty_categories_stand_outside_the_weighted_tree(scheme_document: dict[str, Any]) -> None:
    scheme_document["indicators"] += [
        {"code": "B1", "name": "加分", "kind": "bonus_penalty", "sign": "bonus", "weight": 5},
        {"code": "B2", "name": "减分", "kind": "bonus_penalty", "sign": "penalty", "parent": "1"},
    ]
    assert rules_of(scheme_document) == {
        ("indicators[6].weight", "bonus_penalty_unweighted"),
        ("indicators.B2", "bonus_penalty_top"),
    }


# ------------------------------------------------------------------------ methods


def test_attainment_needs_a_target(scheme_document: dict[str, Any]) -> None:
    del indicator(scheme_document, "1.2")["method"]["target"]
    index = position(scheme_document, "1.2")
    assert rules_of(scheme_document) == {(f"indicators[{index}].method.target", "required")}


def test_attainment_without_baseline_needs_a_positive_target(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.2")["method"]["target"] = 0
    index = position(scheme_document, "1.2")
    assert rules_of(scheme_document) == {(f"indicators[{index}].method.target", "positive")}


def test_higher_better_target_must_lie_above_the_baseline(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.1")["method"] = {"type": "attainment", "target": 50, "baseline": 56.7}
    problems = problems_of(scheme_document)
    assert [(p.field, p.rule) for p in problems] == [("indicators[1].method.target", "beyond_baseline")]
    assert "大于" in problems[0].message
    assert "56.7" in problems[0].message


def test_lower_better_target_must_lie_below_the_baseline(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "2.1")["method"] = {"type": "attainment", "target": 32, "baseline": 30}
    index = position(scheme_document, "2.1")
    problems = problems_of(scheme_document)
    assert [(p.field, p.rule) for p in problems] == [(f"indicators[{index}].method.target", "beyond_baseline")]
    assert "小于" in problems[0].message


def test_target_equal_to_baseline_is_refused(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.1")["method"] = {"type": "attainment", "target": 56.7, "baseline": 56.7}
    assert rules_of(scheme_document) == {("indicators[1].method.target", "beyond_baseline")}


def test_threshold_needs_bands(scheme_document: dict[str, Any]) -> None:
    del indicator(scheme_document, "2.2")["method"]["bands"]
    index = position(scheme_document, "2.2")
    assert rules_of(scheme_document) == {(f"indicators[{index}].method.bands", "required")}


@pytest.mark.parametrize("f", [1.5, -0.1, "2"])
def test_band_fraction_must_lie_in_zero_to_one(scheme_document: dict[str, Any], f: Any) -> None:
    indicator(scheme_document, "2.2")["method"]["bands"][1]["f"] = f
    index = position(scheme_document, "2.2")
    assert rules_of(scheme_document) == {(f"indicators[{index}].method.bands[1].f", "fraction")}


def test_bands_cannot_mix_min_and_max(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "2.2")["method"]["bands"] = [{"min": 95, "f": 1}, {"max": 70, "f": 0}]
    index = position(scheme_document, "2.2")
    assert rules_of(scheme_document) == {(f"indicators[{index}].method.bands", "same_bound")}


def test_a_band_gives_exactly_one_bound(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "2.2")["method"]["bands"] = [{"min": 95, "max": 100, "f": 1}, {"f": 0}]
    index = position(scheme_document, "2.2")
    assert rules_of(scheme_document) == {
        (f"indicators[{index}].method.bands[0]", "one_bound"),
        (f"indicators[{index}].method.bands[1]", "one_bound"),
    }


def test_band_bounds_must_differ(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "2.2")["method"]["bands"] = [{"min": 90, "f": 1}, {"min": 90, "f": 0.5}]
    index = position(scheme_document, "2.2")
    assert rules_of(scheme_document) == {(f"indicators[{index}].method.bands", "unique")}


# -------------------------------------------------------------------------- enums


@pytest.mark.parametrize(
    ("key", "value", "suffix"),
    [
        ("kind", "core", "kind"),
        ("direction", "up", "direction"),
        ("frequency", "weekly", "frequency"),
        ("aggregate", "median", "aggregate"),
    ],
)
def test_bad_enum_values_are_refused(scheme_document: dict[str, Any], key: str, value: str, suffix: str) -> None:
    indicator(scheme_document, "1.1")[key] = value
    problems = problems_of(scheme_document)
    assert [(p.field, p.rule) for p in problems] == [(f"indicators[1].{suffix}", "one_of")]
    assert value in problems[0].message


def test_an_unknown_method_type_is_refused(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1.1")["method"] = {"type": "formula"}
    assert ("indicators[1].method.type", "one_of") in rules_of(scheme_document)


def test_a_bad_composite_aggregate_is_refused(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["composites"][0]["components"][1]["aggregate"] = "median"
    assert rules_of(scheme_document) == {("composites[0].components[1].aggregate", "one_of")}


# ---------------------------------------------------------- grades, caps, headers


def test_grades_must_cover_zero(scheme_document: dict[str, Any]) -> None:
    scheme_document["grades"] = [{"label": "好", "min": 90}, {"label": "较差", "min": 10}]
    assert rules_of(scheme_document) == {("grades", "covers_zero")}


def test_grade_lower_bounds_must_be_unique_and_within_0_to_100(scheme_document: dict[str, Any]) -> None:
    scheme_document["grades"] = [
        {"label": "好", "min": 90},
        {"label": "较好", "min": 90},
        {"label": "超好", "min": 120},
        {"label": "较差", "min": 0},
    ]
    assert rules_of(scheme_document) == {("grades", "unique"), ("grades[2].min", "range")}


@pytest.mark.parametrize(("key", "value"), [("bonus_cap", -1), ("penalty_cap", 101)])
def test_caps_must_lie_within_0_to_100(scheme_document: dict[str, Any], key: str, value: int) -> None:
    scheme_document[key] = value
    assert rules_of(scheme_document) == {(key, "range")}


@pytest.mark.parametrize("year", [1999, "2023", True, None])
def test_year_must_be_a_plausible_integer(scheme_document: dict[str, Any], year: Any) -> None:
    scheme_document["year"] = year
    assert rules_of(scheme_document) == {("year", "year")}


def test_a_document_that_is_not_an_object_is_refused() -> None:
    assert rules_of([1, 2]) == {("scheme", "object")}


# ----------------------------------------------------------------------- composites


def test_composite_weights_must_add_up_to_one(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["composites"][1]["components"][0]["weight"] = "0.4"
    problems = problems_of(scheme_document)
    assert [(p.field, p.rule) for p in problems] == [("composites.composite.components", "weights_sum_to_one")]
    assert "1.1" in problems[0].message


def test_a_composite_source_must_be_known(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["composites"][0]["components"][0]["source"] = "inspection"
    assert rules_of(scheme_document) == {("composites.year_end.components.inspection", "known_source")}


def test_a_composite_may_use_indicators_and_the_total(scheme_document: dict[str, Any]) -> None:
    scheme_document["composites"] = [
        {
            "code": "mix",
            "name": "混合",
            "components": [{"source": "total", "weight": 0.5}, {"source": "1", "weight": 0.5}],
        }
    ]
    assert parse_scheme(scheme_document).composites[0].components[0].source == "total"


def test_composites_cannot_refer_to_each_other_in_a_cycle(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["composites"][0]["components"][0]["source"] = "composite"
    assert rules_of(scheme_document) == {("composites.year_end", "acyclic"), ("composites.composite", "acyclic")}


def test_a_composite_cannot_refer_to_itself(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["composites"][1]["components"][1]["source"] = "composite"
    assert rules_of(scheme_document) == {("composites.composite", "acyclic")}


def test_a_composite_code_cannot_repeat_an_indicator_or_input(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["composites"][1]["code"] = "1.1"
    assert ("composites.1.1", "unique_code") in rules_of(scheme_document)


def test_a_composite_needs_components(scheme_document: dict[str, Any]) -> None:
    scheme_document["composites"] = [{"code": "empty", "name": "空", "components": []}]
    assert rules_of(scheme_document) == {("composites[0].components", "required")}


# ------------------------------------------------------------- all problems at once


def test_every_problem_of_a_document_comes_back_together(scheme_document: dict[str, Any]) -> None:
    scheme_document.update(copy.deepcopy(TOWN_COMPOSITES))
    scheme_document["grades"] = [{"label": "好", "min": 90}, {"label": "较好", "min": 80}]
    scheme_document["bonus_cap"] = -5
    indicator(scheme_document, "1.1")["direction"] = "up"
    del indicator(scheme_document, "1.2")["method"]["target"]
    indicator(scheme_document, "2.2")["method"]["bands"][0]["f"] = 1.2
    indicator(scheme_document, "2.1")["method"] = {
        "type": "threshold",
        "bands": [{"min": 30, "f": 1}, {"max": 40, "f": 0}],
    }
    scheme_document["composites"][0]["components"][0]["weight"] = "0.5"
    scheme_document["composites"][1]["components"][0]["source"] = "inspection"

    found = rules_of(scheme_document)

    assert found == {
        ("grades", "covers_zero"),
        ("bonus_cap", "range"),
        ("indicators[1].direction", "one_of"),
        ("indicators[2].method.target", "required"),
        ("indicators[4].method.bands", "same_bound"),
        ("indicators[5].method.bands[0].f", "fraction"),
        ("composites.year_end.components", "weights_sum_to_one"),
        ("composites.composite.components.inspection", "known_source"),
    }


def test_tree_problems_come_back_together_with_weight_and_method_problems(scheme_document: dict[str, Any]) -> None:
    # A draft with a broken parent link must still learn about every other problem in one pass.
    indicator(scheme_document, "2")["weight"] = 40  # top level adds up to 90
    indicator(scheme_document, "1.1")["weight"] = 10  # "1" children add up to 40
    scheme_document["indicators"] += [
        {"code": "3.1", "name": "孤儿指标", "parent": "3", "weight": 5, "method": {"type": "manual"}},
        {"code": "X", "name": "甲", "parent": "Y", "weight": 0},
        {"code": "Y", "name": "乙", "parent": "X", "weight": 0},
        dict(indicator(scheme_document, "2.2"), weight=0),
    ]
    del indicator(scheme_document, "2.1")["method"]["target"]
    index = position(scheme_document, "2.1")

    found = rules_of(scheme_document)

    assert {
        ("indicators.3.1.parent", "known_parent"),
        ("indicators.X.parent", "acyclic"),
        ("indicators.Y.parent", "acyclic"),
        ("indicators.2.2", "unique_code"),
        (f"indicators[{index}].method.target", "required"),
        ("weights", "sibling_sum"),
        ("weights.1", "sibling_sum"),
    } <= found


def test_checks_and_warning_rules_default_and_round_trip(scheme_document: dict[str, Any]) -> None:
    scheme = parse_scheme(scheme_document)
    assert (scheme.checks.robust_z, scheme.checks.change_pct, scheme.checks.min_history) == (Decimal("3.5"), 50, 4)
    assert (scheme.warnings.overdue_orange_days, scheme.warnings.overdue_red_days, scheme.warnings.answer_days) == (
        8,
        31,
        5,
    )
    document = copy.deepcopy(scheme_document)
    document["checks"] = {"robust_z": 4, "change_pct": None, "min_history": 6, "min_change_pct": 5}
    document["warnings"] = {"overdue": {"orange_days": 3, "red_days": 10}, "off_track": {"yellow": 2, "orange": 4,
                            "red": 8}, "answer_days": 2}  # fmt: skip
    configured = parse_scheme(document)
    assert configured.checks.change_pct is None and configured.warnings.off_track_red == 8
    assert parse_scheme(json.loads(json.dumps(configured.to_document(), default=str))) == configured


def test_bad_checks_and_warning_rules_are_all_listed(scheme_document: dict[str, Any]) -> None:
    document = copy.deepcopy(scheme_document)
    document["checks"] = {"robust_z": -1, "change_pct": "many", "min_history": 1}
    document["warnings"] = {"overdue": {"orange_days": 40, "red_days": 31}, "off_track": {"yellow": 10, "orange": 5,
                            "red": 20}, "answer_days": 0}  # fmt: skip
    assert rules_of(document) >= {
        ("checks.robust_z", "positive"),
        ("checks.change_pct", "number"),
        ("checks.min_history", "count"),
        ("warnings.overdue", "ascending"),
        ("warnings.off_track", "ascending"),
        ("warnings.answer_days", "days"),
    }
    assert rules_of({**scheme_document, "warnings": []}) >= {("warnings", "object")}


# ------------------------------------------------------------------ county_adjustable (ADR 20)


def adjustable(document: dict[str, Any], code: str, bounds: Any) -> dict[str, Any]:
    document = copy.deepcopy(document)
    indicator(document, code)["county_adjustable"] = bounds
    return document


def test_a_branch_marked_county_adjustable_parses_and_round_trips(scheme_document: dict[str, Any]) -> None:
    scheme = parse_scheme(adjustable(scheme_document, "1", {"min_share": 0.25, "max_share": "0.75"}))
    branch = next(node for node in scheme.indicators if node.code == "1")
    assert branch.county_adjustable is not None
    bounds = branch.county_adjustable
    assert (bounds.min_share, bounds.max_share) == (Decimal("0.25"), Decimal("0.75"))
    assert all(node.county_adjustable is None for node in scheme.indicators if node.code != "1")
    document = scheme.to_document()
    assert indicator(document, "1")["county_adjustable"] == {"min_share": Decimal("0.25"), "max_share": Decimal("0.75")}
    assert "county_adjustable" not in indicator(document, "2")  # absent unless set: older documents unchanged
    assert parse_scheme(json.loads(json.dumps(document, default=str))) == scheme


def test_county_adjustable_bounds_default_to_the_whole_branch(scheme_document: dict[str, Any]) -> None:
    scheme = parse_scheme(adjustable(scheme_document, "2", {}))
    branch = next(node for node in scheme.indicators if node.code == "2")
    assert branch.county_adjustable is not None
    assert (branch.county_adjustable.min_share, branch.county_adjustable.max_share) == (Decimal(0), Decimal(1))


@pytest.mark.parametrize(
    ("bounds", "field", "rule"),
    [
        ("half", "indicators[0].county_adjustable", "object"),
        ({"min_share": 1.5}, "indicators[0].county_adjustable.min_share", "fraction"),
        ({"max_share": -0.1}, "indicators[0].county_adjustable.max_share", "fraction"),
        ({"min_share": "x"}, "indicators[0].county_adjustable.min_share", "number"),
        ({"min_share": 0.6, "max_share": 0.4}, "indicators[0].county_adjustable", "ordered"),
        ({"min": 0.1}, "indicators[0].county_adjustable", "known_fields"),
    ],
)
def test_bad_county_adjustable_bounds_are_named(
    scheme_document: dict[str, Any], bounds: Any, field: str, rule: str
) -> None:
    assert (field, rule) in rules_of(adjustable(scheme_document, "1", bounds))


def test_a_leaf_cannot_be_county_adjustable(scheme_document: dict[str, Any]) -> None:
    found = rules_of(adjustable(scheme_document, "1.1", {"min_share": 0, "max_share": 1}))
    assert ("indicators.1.1.county_adjustable", "adjustable_branch") in found


def test_the_schemes_own_weights_must_lie_within_its_bounds(scheme_document: dict[str, Any]) -> None:
    # 1.1 has 20 and 1.2 has 30 of 50: shares 40 % and 60 %.
    problems = problems_of(adjustable(scheme_document, "1", {"min_share": 0.45, "max_share": 0.55}))
    found = {(problem.field, problem.rule): problem.message for problem in problems}
    assert set(found) == {
        ("indicators.1.1.weight", "within_county_bounds"),
        ("indicators.1.2.weight", "within_county_bounds"),
    }
    assert "22.5–27.5" in found[("indicators.1.1.weight", "within_county_bounds")]


def test_a_negative_parent_weight_is_not_also_a_sum_the_children_should_reach(scheme_document: dict[str, Any]) -> None:
    indicator(scheme_document, "1")["weight"] = -5
    found = problems_of(scheme_document)
    assert any(problem.rule == "non_negative" for problem in found)
    assert not any(problem.field == "weights.1" for problem in found)
    assert not any("应等于 -5" in problem.message for problem in found)
