"""The County aggregate: every event it records and every refusal it gives.

A refused command names the field and the rule it broke and leaves the county exactly
as it was: no pending event, no new version, no change of state.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.chain import GENESIS, recompute
from domain.commands import (
    AdjustPoints,
    AdjustWeights,
    AdoptScheme,
    ClosePeriod,
    Context,
    CorrectData,
    CountyCommand,
    DefineIndicator,
    EnrolCounty,
    OverrideScore,
    ReopenPeriod,
    RetireIndicator,
    ReviseIndicator,
    RevokeOverride,
    SubmitData,
    WithdrawSubmission,
)
from domain.county import County, county_id
from domain.errors import ConflictError, DomainError, InvalidCommand, NotFound
from domain.provinces import province_of
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.scheme_rules import weight_problems
from domain.scoring import score_year

CTX = Context("tester", "corr-1")
D = Decimal


# ------------------------------------------------------------------------ helpers


def enrol(scheme: Scheme, code: str = "110101") -> County:
    county = County.enrol(EnrolCounty(code, "示范县", province_of(code) or "北京市", "east", scheme), CTX)
    county.collect_events()
    return county


def accept(county: County, command: CountyCommand, context: Context = CTX) -> tuple[dict[str, Any], list[Any]]:
    """Runs an accepted command; returns its result and the events it recorded."""
    assert not county.pending_events
    result = county.handle(command, context)
    events: list[Any] = list(county.collect_events())
    assert events, f"{type(command).__name__} recorded no event"
    for event in events:
        assert event.actor == context.actor
        assert event.correlation_id == context.correlation_id
    return result, events


def only_event(county: County, command: CountyCommand, event_type: type, context: Context = CTX) -> Any:
    _, events = accept(county, command, context)
    assert [type(event) for event in events] == [event_type]
    return events[0]


def refuse(
    county: County,
    command: CountyCommand,
    rule: str,
    field: str | None = None,
    error: type[DomainError] = InvalidCommand,
) -> DomainError:
    """Runs a refused command and proves it left no trace."""
    county.collect_events()
    years = copy.deepcopy(county.years)
    idempotency = copy.deepcopy(county.idempotency)
    version = county.version
    with pytest.raises(DomainError) as info:
        county.handle(command, CTX)
    assert type(info.value) is error
    found = [(problem.field, problem.rule) for problem in info.value.problems]
    if field is None:
        assert rule in [r for _, r in found], found
    else:
        assert (field, rule) in found, found
    assert county.pending_events == []
    assert county.version == version
    assert county.years == years
    assert county.idempotency == idempotency
    return info.value


def book(county: County, year: int = 2023) -> Any:
    return county.book(year)


def score(county: County, code: str, year: int = 2023) -> Decimal:
    return score_year(county.book(year)).node(code).score


def scheme_with(document: dict[str, Any], **changes: Any) -> Scheme:
    document = copy.deepcopy(document)
    document.update(changes)
    return parse_scheme(document)


@pytest.fixture
def county(scheme: Scheme) -> County:
    return enrol(scheme)


@pytest.fixture
def bonus_scheme(scheme_document: dict[str, Any]) -> Scheme:
    document = copy.deepcopy(scheme_document)
    document["indicators"] += [
        {"code": "B1", "name": "创新工作加分", "kind": "bonus_penalty", "sign": "bonus"},
        {"code": "P1", "name": "安全事故减分", "kind": "bonus_penalty", "sign": "penalty"},
    ]
    return parse_scheme(document)


SPECIFIC = {
    "code": "1.3",
    "parent": "1",
    "name": "特色产业产值",
    "kind": "specific",
    "weight": 10,
    "unit": "亿元",
    "method": {"type": "attainment", "target": 8},
    "frequency": "annual",
}


# ---------------------------------------------------------------------- enrolment


def test_enrolment_records_the_county_with_actor_and_correlation(scheme: Scheme) -> None:
    context = Context("centre-admin", "corr-enrol", datetime(2023, 3, 1, 9, 0, tzinfo=UTC))
    county = County.enrol(EnrolCounty("110101", "  示范县 ", " 北京市", "east", scheme), context)
    events: list[Any] = list(county.collect_events())
    assert [type(event) for event in events] == [County.Enrolled]
    event = events[0]
    assert (event.actor, event.correlation_id, event.timestamp) == ("centre-admin", "corr-enrol", context.recorded_at)
    assert (event.code, event.name, event.province, event.region) == ("110101", "示范县", "北京市", "east")
    assert county.id == county_id("110101")
    assert (county.name, county.province) == ("示范县", "北京市")
    assert sorted(county.years) == ["2023"]
    assert county.latest_year == 2023


@pytest.mark.parametrize("code", ["11010", "1101011", "11010a", "", " 110101", "１１０１０１"])
def test_enrolment_refuses_a_code_that_is_not_six_digits(scheme: Scheme, code: str) -> None:
    with pytest.raises(InvalidCommand) as info:
        County.enrol(EnrolCounty(code, "示范县", "北京市", "east", scheme), CTX)
    assert [(p.field, p.rule) for p in info.value.problems] == [("code", "admin_code")]


def test_enrolment_refuses_an_unknown_region(scheme: Scheme) -> None:
    with pytest.raises(InvalidCommand) as info:
        County.enrol(EnrolCounty("110101", "示范县", "北京市", "north", scheme), CTX)
    assert [(p.field, p.rule) for p in info.value.problems] == [("region", "one_of")]


def test_enrolment_refuses_an_empty_name_and_lists_every_problem(scheme: Scheme) -> None:
    with pytest.raises(InvalidCommand) as info:
        County.enrol(EnrolCounty("1101", "  ", "", "north", scheme), CTX)
    assert [(p.field, p.rule) for p in info.value.problems] == [
        ("code", "admin_code"),
        ("name", "required"),
        ("province", "required"),
        ("region", "one_of"),
    ]


# ------------------------------------------------------------------ scheme adoption


def test_adopting_the_next_years_scheme_opens_a_new_book(county: County, scheme_document: dict[str, Any]) -> None:
    next_year = scheme_with(scheme_document, id="example-2024", year=2024)
    event = only_event(county, AdoptScheme(next_year), County.SchemeAdopted)
    assert event.scheme is next_year
    assert sorted(county.years) == ["2023", "2024"]
    assert county.latest_year == 2024
    assert book(county, 2024).indicators["1.1"].weight == D(20)


def test_a_second_scheme_for_the_same_year_is_refused(county: County, scheme_document: dict[str, Any]) -> None:
    again = scheme_with(scheme_document, id="example-2023-bis")
    refuse(county, AdoptScheme(again), "one_scheme_per_year", "scheme", ConflictError)


# -------------------------------------------------------------- indicator defined


def test_defining_a_specific_indicator_rebalances_its_siblings(county: County) -> None:
    command = DefineIndicator(SPECIFIC, "县级特色产业", {"1.1": D(15), "1.2": D(25)})
    event = only_event(county, command, County.IndicatorDefined)
    assert event.year == 2023
    assert event.indicator.code == "1.3"
    assert event.indicator.weight == D(10)
    assert event.sibling_weights == {"1.1": D(15), "1.2": D(25)}
    assert event.reason == "县级特色产业"
    indicators = book(county).indicators
    assert [indicators[code].weight for code in ("1.1", "1.2", "1.3")] == [D(15), D(25), D(10)]
    assert indicators["1.3"].kind == "specific"
    assert weight_problems(indicators) == []
    accept(county, SubmitData("1.3", "2023", D(4)))
    assert score(county, "1.3") == D(5)  # 10 × 4 / 8


def test_a_new_top_level_indicator_rebalances_the_dimensions_beneath_the_top(county: County) -> None:
    definition = {"code": "3", "name": "县级特色", "kind": "specific", "weight": 10, "method": {"type": "manual"}}
    weights = {"1": D(45), "1.2": D(25), "2": D(45), "2.2": D(20)}
    event = only_event(county, DefineIndicator(definition, "新增县级特色指标", weights), County.IndicatorDefined)
    assert event.sibling_weights == weights
    assert weight_problems(book(county).indicators) == []
    assert score_year(book(county)).node("3").level == 1


def test_a_new_indicator_without_a_method_is_refused_as_an_unscored_leaf(county: County) -> None:
    definition = {"code": "3", "name": "县级特色", "kind": "specific", "weight": 10}
    weights = {"1": D(45), "1.2": D(25), "2": D(45), "2.2": D(20)}
    refuse(county, DefineIndicator(definition, "新增维度", weights), "required", "indicators.3.method")


@pytest.mark.parametrize("kind", ["common", "satisfaction", "bonus_penalty", None])
def test_only_specific_indicators_can_be_defined(county: County, kind: str | None) -> None:
    definition = dict(SPECIFIC, kind=kind)
    if kind == "bonus_penalty":
        definition["weight"] = 0
    refuse(county, DefineIndicator(definition, "理由", {"1.1": D(15), "1.2": D(25)}), "specific_only", "indicator.kind")


def test_defining_a_duplicate_code_is_refused(county: County) -> None:
    definition = dict(SPECIFIC, code="1.2")
    refuse(county, DefineIndicator(definition, "理由", {"1.1": D(10)}), "unique_code", "indicator.code", ConflictError)


def test_defining_without_rebalancing_the_siblings_is_refused(county: County) -> None:
    error = refuse(county, DefineIndicator(SPECIFIC, "理由"), "sibling_sum", "weights.1")
    assert "60" in str(error)
    assert "50" in str(error)


def test_defining_under_a_scored_leaf_is_refused(county: County) -> None:
    definition = dict(SPECIFIC, code="1.1.1", parent="1.1", weight=20)
    refuse(county, DefineIndicator(definition, "理由"), "parent_unscored", "indicator.parent")


def test_defining_under_an_unknown_parent_is_refused(county: County) -> None:
    definition = dict(SPECIFIC, parent="9")
    refuse(county, DefineIndicator(definition, "理由"), "known_indicator", "indicator.parent")


def test_defining_an_invalid_definition_is_refused_with_its_problems(county: County) -> None:
    definition = dict(SPECIFIC, method={"type": "attainment"}, frequency="weekly")
    error = refuse(county, DefineIndicator(definition, "理由", {"1.1": D(15), "1.2": D(25)}), "required")
    assert {(p.field, p.rule) for p in error.problems} == {
        ("indicator.method.target", "required"),
        ("indicator.frequency", "one_of"),
    }


@pytest.mark.parametrize("reason", ["", "   "])
def test_defining_needs_a_reason(county: County, reason: str) -> None:
    refuse(county, DefineIndicator(SPECIFIC, reason, {"1.1": D(15), "1.2": D(25)}), "reason_required", "reason")


# -------------------------------------------------------------- indicator revised


def test_revising_an_indicator_records_the_whole_revised_definition(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    changes = {"name": "乡村旅游接待人次", "method": {"type": "attainment", "target": 100}}
    event = only_event(county, ReviseIndicator("1.2", changes, "目标调整"), County.IndicatorRevised)
    assert event.indicator.name == "乡村旅游接待人次"
    assert event.indicator.method.target == D(100)
    assert event.indicator.weight == D(30)
    assert event.indicator.frequency == "monthly"
    assert event.reason == "目标调整"
    assert book(county).indicators["1.2"] == event.indicator
    assert score(county, "1.2") == D(18)  # 30 × 60 / 100


@pytest.mark.parametrize("changes", [{"weight": 10}, {"parent": "2"}, {"kind": "specific"}, {"code": "9"}, {}])
def test_only_revisable_fields_can_be_revised(county: County, changes: dict[str, Any]) -> None:
    refuse(county, ReviseIndicator("1.2", changes, "理由"), "revisable_fields", "changes")


def test_changing_the_frequency_is_refused_once_data_exists(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    refuse(
        county,
        ReviseIndicator("1.2", {"frequency": "quarterly"}, "理由"),
        "frequency_fixed_with_data",
        "changes.frequency",
        ConflictError,
    )


def test_changing_the_frequency_is_allowed_without_data(county: County) -> None:
    event = only_event(
        county, ReviseIndicator("1.1", {"frequency": "quarterly"}, "按季度报送"), County.IndicatorRevised
    )
    assert event.indicator.frequency == "quarterly"
    accept(county, SubmitData("1.1", "2023-Q1", D(58)))


def test_a_revision_that_breaks_the_method_is_refused(county: County) -> None:
    refuse(
        county,
        ReviseIndicator("1.1", {"direction": "lower_better"}, "理由"),
        "beyond_baseline",
        "changes.method.target",
    )
    refuse(
        county, ReviseIndicator("2.2", {"method": {"type": "threshold"}}, "理由"), "required", "changes.method.bands"
    )


def test_a_parent_cannot_be_given_a_method(county: County) -> None:
    refuse(
        county, ReviseIndicator("1", {"method": {"type": "manual"}}, "理由"), "parent_unscored", "indicators.1.method"
    )


def test_revising_an_unknown_indicator_or_without_reason_is_refused(county: County) -> None:
    refuse(county, ReviseIndicator("9.9", {"name": "新名称"}, "理由"), "known_indicator", "code")
    refuse(county, ReviseIndicator("1.1", {"name": "新名称"}, " "), "reason_required", "reason")


# -------------------------------------------------------------- indicator retired


def test_retiring_rebalances_siblings_and_then_refuses_data(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    event = only_event(county, RetireIndicator("1.2", "本县不适用", {"1.1": D(50)}), County.IndicatorRetired)
    assert (event.code, event.sibling_weights, event.reason) == ("1.2", {"1.1": D(50)}, "本县不适用")
    indicators = book(county).indicators
    assert indicators["1.2"].retired is True
    assert indicators["1.1"].weight == D(50)
    assert weight_problems(indicators) == []
    assert "1.2" not in [node.code for node in score_year(book(county)).nodes]
    refuse(county, SubmitData("1.2", "2023-02", D(10)), "active_indicator", "indicator")
    refuse(county, RetireIndicator("1.2", "再次停用"), "active_indicator", "code")
    refuse(county, OverrideScore(2023, "1.2", D(1), "county", "理由", "o-1"), "known_node", "node")


def test_retiring_without_rebalancing_is_refused(county: County) -> None:
    refuse(county, RetireIndicator("1.2", "理由"), "sibling_sum", "weights.1")


def test_retiring_a_dimension_retires_its_children(county: County) -> None:
    weights = {"1": D(100), "1.1": D(40), "1.2": D(60)}
    event = only_event(county, RetireIndicator("2", "理由", weights), County.IndicatorRetired)
    assert event.sibling_weights == weights
    indicators = book(county).indicators
    assert [indicators[code].retired for code in ("2", "2.1", "2.2")] == [True, True, True]
    assert weight_problems(indicators) == []
    refuse(county, SubmitData("2.2", "2023", D(90)), "active_indicator", "indicator")


def test_retiring_with_weights_outside_the_parent_is_refused(county: County) -> None:
    refuse(county, RetireIndicator("1.2", "理由", {"1.1": D(50), "2.1": D(25)}), "under_parent", "sibling_weights.2.1")


def test_retiring_needs_a_reason(county: County) -> None:
    refuse(county, RetireIndicator("1.2", "", {"1.1": D(50)}), "reason_required", "reason")


# ----------------------------------------------------------------- weights adjusted


def test_adjusting_weights_records_changed_siblings_and_their_previous_weights(county: County) -> None:
    command = AdjustWeights("1", {"1.1": D(25), "1.2": D(25)}, "突出科技贡献")
    event = only_event(county, command, County.WeightsAdjusted)
    assert event.parent == "1"
    assert event.weights == {"1.1": D(25), "1.2": D(25)}
    assert event.previous == {"1.1": D(20), "1.2": D(30)}
    assert event.reason == "突出科技贡献"
    indicators = book(county).indicators
    assert (indicators["1.1"].weight, indicators["1.2"].weight) == (D(25), D(25))


def test_weights_that_do_not_add_up_are_refused_naming_both_sums(county: County) -> None:
    error = refuse(county, AdjustWeights("1", {"1.1": D(25)}, "理由"), "sibling_sum", "weights.1")
    assert error.problems[0].message == "“1”的下级指标权重合计为 55，应等于 50"


def test_top_level_weights_that_do_not_add_up_are_refused(county: County) -> None:
    error = refuse(
        county, AdjustWeights(None, {"1": D(60), "1.1": D(24), "1.2": D(36)}, "理由"), "sibling_sum", "weights"
    )
    assert error.problems[0].message == "一级指标权重合计为 110，应等于 100"


def test_weights_of_codes_not_under_the_parent_are_refused(county: County) -> None:
    refuse(county, AdjustWeights("1", {"1.1": D(25), "2.1": D(25)}, "理由"), "under_parent", "weights.2.1")
    refuse(county, AdjustWeights("1", {"1": D(50)}, "理由"), "under_parent", "weights.1")


def test_negative_weights_are_refused(county: County) -> None:
    refuse(county, AdjustWeights("1", {"1.1": D(-5), "1.2": D(55)}, "理由"), "non_negative", "weights.1.1")


def test_unknown_or_empty_weights_are_refused(county: County) -> None:
    refuse(county, AdjustWeights("1", {"1.9": D(5)}, "理由"), "known_indicator", "weights.1.9")
    refuse(county, AdjustWeights("9", {"1.1": D(5)}, "理由"), "known_indicator", "parent")
    refuse(county, AdjustWeights("1", {}, "理由"), "required", "weights")
    refuse(county, AdjustWeights("1", {"1.1": D(25), "1.2": D(25)}, ""), "reason_required", "reason")


def test_a_dimension_and_its_children_change_in_one_command(county: County) -> None:
    weights = {"1": D(60), "2": D(40), "1.1": D(24), "1.2": D(36), "2.1": D(20), "2.2": D(20)}
    event = only_event(county, AdjustWeights(None, weights, "年度重点调整"), County.WeightsAdjusted)
    assert event.previous == {"1": D(50), "2": D(50), "1.1": D(20), "1.2": D(30), "2.1": D(25), "2.2": D(25)}
    indicators = book(county).indicators
    assert {code: indicators[code].weight for code in weights} == weights
    assert weight_problems(indicators) == []


def test_a_dimension_weight_alone_is_refused_because_its_children_no_longer_add_up(county: County) -> None:
    error = refuse(county, AdjustWeights(None, {"1": D(60), "2": D(40)}, "理由"), "sibling_sum")
    assert {(p.field, p.rule) for p in error.problems} == {("weights.1", "sibling_sum"), ("weights.2", "sibling_sum")}


def test_lowering_a_weight_below_a_standing_override_is_refused_until_it_is_revoked(county: County) -> None:
    accept(county, OverrideScore(2023, "1.1", D(18), "province", "省级核查", "o-1"))
    command = AdjustWeights("1", {"1.1": D(15), "1.2": D(35)}, "理由")
    error = refuse(county, command, "override_within_weight", "weights.1.1", ConflictError)
    assert "18" in str(error)
    assert "15" in str(error)
    accept(county, RevokeOverride("o-1", "撤销以便调整权重"))
    accept(county, command)
    assert score_year(book(county)).node("1.1").max == D(15)


def test_a_weight_at_or_above_a_standing_override_is_accepted(county: County) -> None:
    accept(county, OverrideScore(2023, "1.1", D(18), "province", "省级核查", "o-1"))
    accept(county, AdjustWeights("1", {"1.1": D(18), "1.2": D(32)}, "理由"))
    node = score_year(book(county)).node("1.1")
    assert (node.score, node.max) == (D(18), D(18))


def test_a_dimension_override_also_bounds_its_new_weight(county: County) -> None:
    accept(county, OverrideScore(2023, "1", D(45), "centre", "中心复核", "o-1"))
    weights = {"1": D(40), "2": D(60), "1.1": D(16), "1.2": D(24), "2.1": D(30), "2.2": D(30)}
    refuse(county, AdjustWeights(None, weights, "理由"), "override_within_weight", "weights.1", ConflictError)


def test_rebalancing_siblings_on_define_or_retire_respects_standing_overrides(county: County) -> None:
    accept(county, OverrideScore(2023, "1.1", D(18), "province", "省级核查", "o-1"))
    define = DefineIndicator(SPECIFIC, "理由", {"1.1": D(15), "1.2": D(25)})
    refuse(county, define, "override_within_weight", "sibling_weights.1.1", ConflictError)
    retire = RetireIndicator("2", "理由", {"1": D(100), "1.1": D(15), "1.2": D(85)})
    refuse(county, retire, "override_within_weight", "sibling_weights.1.1", ConflictError)
    accept(county, RetireIndicator("1.2", "理由", {"1.1": D(50)}))
    node = score_year(book(county)).node("1.1")
    assert (node.score, node.max) == (D(18), D(50))


# ------------------------------------------------------------------- data submitted


def test_submitting_data_records_it_and_reports_the_version(county: County) -> None:
    result, events = accept(county, SubmitData("1.1", "2023", D("59.1"), source="api", idempotency_key="k-1"))
    assert [type(event) for event in events] == [County.DataSubmitted]
    event = events[0]
    assert (event.indicator, event.period, event.value, event.source, event.idempotency_key) == (
        "1.1",
        "2023",
        D("59.1"),
        "api",
        "k-1",
    )
    assert result == {"version": county.version, "replayed": False, "flag": None}
    standing = book(county).data["1.1"]["2023"]
    assert (standing.value, standing.source, standing.version, standing.corrected) == (D("59.1"), "api", 2, False)
    assert score(county, "1.1") == D(10)  # 20 × (59.1 − 56.7) / (61.5 − 56.7) = 20 × 0.5


def test_data_for_an_unknown_indicator_is_refused(county: County) -> None:
    refuse(county, SubmitData("9.9", "2023", D(1)), "known_indicator", "indicator")


def test_data_for_a_parent_is_refused(county: County) -> None:
    refuse(county, SubmitData("1", "2023", D(1)), "leaf_indicator", "indicator")


@pytest.mark.parametrize("period", ["2022", "2024", "2022-05"])
def test_data_outside_the_scheme_year_is_refused(county: County, period: str) -> None:
    indicator = "1.1" if len(period) == 4 else "1.2"
    error = refuse(county, SubmitData(indicator, period, D(1)), "scheme_year", "period")
    assert "2023" in str(error)


@pytest.mark.parametrize(
    ("indicator", "period"),
    [("1.2", "2023"), ("1.2", "2023-Q1"), ("2.1", "2023-05"), ("2.1", "2023"), ("1.1", "2023-Q4"), ("1.1", "2023-12")],
)
def test_data_for_the_wrong_frequency_is_refused(county: County, indicator: str, period: str) -> None:
    refuse(county, SubmitData(indicator, period, D(1)), "indicator_frequency", "period")


@pytest.mark.parametrize("period", ["2023-13", "2023-5", "2023/05", "23-05", "2023-Q5", "2023Q1", "", "二〇二三"])
def test_a_badly_formed_period_is_refused(county: County, period: str) -> None:
    refuse(county, SubmitData("1.2", period, D(1)), "period_format", "period")


@pytest.mark.parametrize("value", [D("100.01"), D(-1)])
def test_a_value_outside_the_indicator_range_is_refused(county: County, value: Decimal) -> None:
    error = refuse(county, SubmitData("1.1", "2023", value), "within_range", "value")
    assert "[0, 100]" in str(error)


def test_data_for_a_closed_period_is_refused(county: County) -> None:
    accept(county, ClosePeriod("2023-03", "三月数据已审定"))
    refuse(county, SubmitData("1.2", "2023-03", D(5)), "period_open", "period", ConflictError)


def test_the_same_idempotent_submission_again_is_replayed_without_a_new_event(county: County) -> None:
    first, _ = accept(county, SubmitData("1.2", "2023-01", D("12.5"), idempotency_key="import-7"))
    version = county.version
    again = county.handle(SubmitData("1.2", "2023-01", D("12.50"), idempotency_key="import-7"), CTX)
    assert again == {"version": first["version"], "replayed": True, "flag": None}
    assert county.pending_events == []
    assert county.version == version


def test_the_same_idempotency_key_with_different_content_is_refused(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D("12.5"), idempotency_key="import-7"))
    refuse(
        county,
        SubmitData("1.2", "2023-01", D(13), idempotency_key="import-7"),
        "same_content",
        "idempotency_key",
        ConflictError,
    )
    refuse(
        county, SubmitData("1.2", "2023-02", D("12.5"), idempotency_key="import-7"), "same_content", error=ConflictError
    )
    refuse(
        county,
        SubmitData("1.2", "2023-01", D("12.5"), source="excel", idempotency_key="import-7"),
        "same_content",
        error=ConflictError,
    )


def test_the_same_value_submitted_again_records_nothing(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(10)))
    county.collect_events()
    result = county.handle(SubmitData("1.2", "2023-01", D("10.0")), CTX)
    assert result["unchanged"] is True
    assert county.collect_events() == []
    assert county.version == 2


def test_a_submission_never_replaces_a_standing_value_without_the_correction_right(county: County) -> None:
    accept(county, SubmitData("2.2", "2023", D(80)))
    denied = refuse(county, SubmitData("2.2", "2023", D(96)), "correction_allowed", "value", ConflictError)
    assert "已有数据 80" in denied.problems[0].message
    assert "/api/v1/counties/110101/corrections" in denied.problems[0].message
    assert score(county, "2.2") == D("12.5")  # band ≥ 70 → 0.5 × 25


def test_a_submission_over_a_standing_value_with_the_right_and_a_reason_is_a_correction(county: County) -> None:
    accept(county, SubmitData("2.2", "2023", D(80)))
    refuse(county, SubmitData("2.2", "2023", D(96), may_correct=True), "reason_required", "reason", ConflictError)
    _, events = accept(county, SubmitData("2.2", "2023", D(96), reason="台账复核", may_correct=True))
    assert [type(event).__name__ for event in events] == ["DataCorrected"]
    assert (events[0].previous, events[0].value, events[0].reason) == (D(80), D(96), "台账复核")
    assert score(county, "2.2") == D(25)  # band ≥ 95 → 1 × 25


# -------------------------------------------------------------------- data corrected


def test_correcting_data_records_the_previous_value_and_reason(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60), source="excel"))
    event = only_event(county, CorrectData("1.2", "2023-01", D(30), "录入错误"), County.DataCorrected)
    assert (event.indicator, event.period, event.value, event.previous, event.reason) == (
        "1.2",
        "2023-01",
        D(30),
        D(60),
        "录入错误",
    )
    standing = book(county).data["1.2"]["2023-01"]
    assert (standing.value, standing.source, standing.corrected) == (D(30), "excel", True)
    assert score(county, "1.2") == D("7.5")  # 30 × 30 / 120


def test_correcting_needs_an_existing_submission(county: County) -> None:
    refuse(county, CorrectData("1.2", "2023-01", D(30), "录入错误"), "existing_submission", "period", NotFound)


def test_correcting_needs_a_reason(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    refuse(county, CorrectData("1.2", "2023-01", D(30), ""), "reason_required", "reason")


def test_a_correction_outside_the_range_is_refused(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    refuse(county, CorrectData("1.2", "2023-01", D(1001), "理由"), "within_range", "value")


# ---------------------------------------------------------------- submission withdrawn


def test_withdrawing_a_submission_removes_it_from_the_score(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    accept(county, SubmitData("1.2", "2023-02", D(30)))
    event = only_event(county, WithdrawSubmission("1.2", "2023-02", "重复报送"), County.SubmissionWithdrawn)
    assert (event.indicator, event.period, event.previous, event.reason) == ("1.2", "2023-02", D(30), "重复报送")
    assert list(book(county).data["1.2"]) == ["2023-01"]
    assert score(county, "1.2") == D(15)  # 30 × 60 / 120


def test_withdrawing_needs_an_existing_submission_and_a_reason(county: County) -> None:
    refuse(county, WithdrawSubmission("1.2", "2023-01", "理由"), "existing_submission", "period", NotFound)
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    refuse(county, WithdrawSubmission("1.2", "2023-01", ""), "reason_required", "reason")
    accept(county, WithdrawSubmission("1.2", "2023-01", "理由"))
    refuse(county, WithdrawSubmission("1.2", "2023-01", "理由"), "existing_submission", "period", NotFound)


# ------------------------------------------------------------------- score overridden


@pytest.mark.parametrize(("node", "value"), [("1.1", D(18)), ("2", D(45)), ("total", D("88.5"))])
def test_overriding_a_node_records_who_why_and_under_which_authority(county: County, node: str, value: Decimal) -> None:
    command = OverrideScore(2023, node, value, "province", "省级核查结果为准", "o-1")
    result, events = accept(county, command, Context("evaluator-3", "corr-9"))
    assert result == {"override_id": "o-1"}
    [event] = events
    assert type(event) is County.ScoreOverridden
    assert (event.year, event.override_id, event.node, event.score, event.authority, event.reason) == (
        2023,
        "o-1",
        node,
        value,
        "province",
        "省级核查结果为准",
    )
    override = book(county).overrides["o-1"]
    assert (override.actor, override.revoked) == ("evaluator-3", False)
    card = score_year(book(county))
    shown = card.total if node == "total" else card.node(node).score
    assert shown == value


@pytest.mark.parametrize(
    ("node", "value"),
    [("1.1", D("20.01")), ("1.1", D("-0.01")), ("1", D(51)), ("total", D("100.5")), ("total", D(-1))],
)
def test_an_override_outside_zero_to_the_node_maximum_is_refused(county: County, node: str, value: Decimal) -> None:
    refuse(county, OverrideScore(2023, node, value, "centre", "理由", "o-1"), "within_node_maximum", "score")


def test_an_override_at_the_node_maximum_is_accepted(county: County) -> None:
    accept(county, OverrideScore(2023, "1.1", D(20), "centre", "理由", "o-1"))
    accept(county, OverrideScore(2023, "total", D(0), "centre", "理由", "o-2"))


def test_an_override_of_an_unknown_node_is_refused(county: County, bonus_scheme: Scheme) -> None:
    refuse(county, OverrideScore(2023, "9.9", D(1), "centre", "理由", "o-1"), "known_node", "node")
    with_bonus = enrol(bonus_scheme, "110102")
    refuse(with_bonus, OverrideScore(2023, "B1", D(0), "centre", "理由", "o-1"), "known_node", "node")


def test_an_override_under_an_unknown_authority_is_refused(county: County) -> None:
    refuse(county, OverrideScore(2023, "1.1", D(10), "village", "理由", "o-1"), "one_of", "authority")


def test_an_override_needs_a_reason_a_unique_id_and_an_adopted_year(county: County) -> None:
    refuse(county, OverrideScore(2023, "1.1", D(10), "city", "  ", "o-1"), "reason_required", "reason")
    refuse(county, OverrideScore(2022, "1.1", D(10), "city", "理由", "o-1"), "scheme_year", "year")
    accept(county, OverrideScore(2023, "1.1", D(10), "city", "理由", "o-1"))
    refuse(county, OverrideScore(2023, "1.2", D(10), "city", "理由", "o-1"), "unique_id", "override_id", ConflictError)


# -------------------------------------------------------------------- override revoked


def test_revoking_an_override_restores_the_computed_score(county: County) -> None:
    accept(county, SubmitData("1.1", "2023", D("59.1")))
    accept(county, OverrideScore(2023, "1.1", D(18), "province", "省级核查", "o-1"))
    assert score(county, "1.1") == D(18)
    event = only_event(county, RevokeOverride("o-1", "核查结论撤回"), County.OverrideRevoked)
    assert (event.year, event.override_id, event.node, event.reason) == (2023, "o-1", "1.1", "核查结论撤回")
    assert book(county).overrides["o-1"].revoked is True
    node = score_year(book(county)).node("1.1")
    assert (node.score, node.overridden) == (D(10), False)
    refuse(county, RevokeOverride("o-1", "再次撤销"), "not_revoked", "override_id", ConflictError)


def test_revoking_never_brings_back_an_older_override_the_nodes_weight_has_outgrown(county: County) -> None:
    """o-1 stands beneath o-2 (same authority, earlier); the weight of 1.1 falls to 5 in between."""
    accept(county, SubmitData("1.1", "2023", D("59.1")))
    accept(county, OverrideScore(2023, "1.1", D(18), "province", "省级核查", "o-1"))
    accept(county, OverrideScore(2023, "1.1", D(4), "province", "省级复核", "o-2"))
    assert score(county, "1.1") == D(4)
    accept(county, AdjustWeights("1", {"1.1": D(5), "1.2": D(45)}, "调整权重"))
    accept(county, RevokeOverride("o-2", "复核结论撤回"))
    node = score_year(book(county)).node("1.1")
    assert (node.score, node.overridden, node.max) == (D("2.5"), False, D(5))  # 5 × 0.5, computed; 18 is passed over


def test_revoking_an_unknown_override_or_without_reason_is_refused(county: County) -> None:
    refuse(county, RevokeOverride("o-404", "理由"), "known_override", "override_id", NotFound)
    accept(county, OverrideScore(2023, "1.1", D(18), "province", "省级核查", "o-1"))
    refuse(county, RevokeOverride("o-1", ""), "reason_required", "reason")


# --------------------------------------------------------------------- points adjusted


def test_adjusting_points_records_a_bonus_or_a_penalty(county: County) -> None:
    result, events = accept(county, AdjustPoints(2023, D(3), " 创新 ", "获省级表彰", "a-1"))
    assert result["adjustment_id"] == "a-1"
    assert result["points"]["entries"] == [
        {"adjustment_id": "a-1", "category": "创新", "kind": "bonus", "points": D(3), "counted": D(3)}
    ]
    [event] = events
    assert type(event) is County.PointsAdjusted
    assert (event.year, event.adjustment_id, event.points, event.category, event.reason) == (
        2023,
        "a-1",
        D(3),
        "创新",
        "获省级表彰",
    )
    accept(county, AdjustPoints(2023, D(-2), "安全", "发生安全事故", "a-2"))
    card = score_year(book(county))
    assert (card.bonus, card.penalty) == (D(3), D(2))
    assert [adjustment.actor for adjustment in book(county).adjustments] == ["tester", "tester"]


def test_zero_points_are_refused(county: County) -> None:
    refuse(county, AdjustPoints(2023, D(0), "创新", "理由", "a-1"), "non_zero", "points")


def test_points_need_a_category_and_a_reason(county: County) -> None:
    refuse(county, AdjustPoints(2023, D(1), "  ", "理由", "a-1"), "required", "category")
    refuse(county, AdjustPoints(2023, D(1), "创新", "", "a-1"), "reason_required", "reason")


def test_the_category_must_be_a_bonus_penalty_indicator_when_the_scheme_lists_some(bonus_scheme: Scheme) -> None:
    county = enrol(bonus_scheme)
    error = refuse(county, AdjustPoints(2023, D(2), "创新", "理由", "a-1"), "known_category", "category")
    assert "B1" in str(error)
    assert "P1" in str(error)
    refuse(county, AdjustPoints(2023, D(2), "1.1", "理由", "a-1"), "known_category", "category")
    event = only_event(county, AdjustPoints(2023, D(2), "B1", "理由", "a-1"), County.PointsAdjusted)
    assert event.category == "B1"


def test_a_retired_category_no_longer_takes_points(bonus_scheme: Scheme) -> None:
    county = enrol(bonus_scheme)
    accept(county, RetireIndicator("P1", "取消该减分项"))
    refuse(county, AdjustPoints(2023, D(-2), "P1", "理由", "a-1"), "known_category", "category")


# ------------------------------------------------------------------- periods closed


def test_closing_a_month_blocks_only_that_month(county: County) -> None:
    event = only_event(county, ClosePeriod("2023-05", "五月数据已审定"), County.PeriodClosed)
    assert (event.period, event.reason) == ("2023-05", "五月数据已审定")
    assert book(county).closed == ["2023-05"]
    refuse(county, SubmitData("1.2", "2023-05", D(5)), "period_open", "period", ConflictError)
    accept(county, SubmitData("1.2", "2023-06", D(5)))
    accept(county, SubmitData("2.1", "2023-Q2", D(30)))
    accept(county, AdjustWeights("1", {"1.1": D(25), "1.2": D(25)}, "年中调整"))


def test_closing_a_quarter_blocks_its_months(county: County) -> None:
    accept(county, ClosePeriod("2023-Q2"))
    refuse(county, SubmitData("1.2", "2023-04", D(5)), "period_open", "period", ConflictError)
    refuse(county, SubmitData("2.1", "2023-Q2", D(5)), "period_open", "period", ConflictError)
    accept(county, SubmitData("1.2", "2023-07", D(5)))


def test_closing_a_year_blocks_its_months_and_every_year_level_write(county: County) -> None:
    accept(county, SubmitData("1.2", "2023-01", D(60)))
    accept(county, OverrideScore(2023, "1.1", D(18), "province", "省级核查", "o-1"))
    accept(county, ClosePeriod("2023", "年度评估结束"))
    conflict = ConflictError
    refuse(county, SubmitData("1.2", "2023-06", D(5)), "period_open", "period", conflict)
    refuse(county, SubmitData("2.1", "2023-Q4", D(30)), "period_open", "period", conflict)
    refuse(county, SubmitData("1.1", "2023", D(60)), "period_open", "period", conflict)
    refuse(county, CorrectData("1.2", "2023-01", D(30), "理由"), "period_open", "period", conflict)
    refuse(county, WithdrawSubmission("1.2", "2023-01", "理由"), "period_open", "period", conflict)
    refuse(county, DefineIndicator(SPECIFIC, "理由", {"1.1": D(15), "1.2": D(25)}), "period_open", "year", conflict)
    refuse(county, ReviseIndicator("1.1", {"name": "新名称"}, "理由"), "period_open", "year", conflict)
    refuse(county, RetireIndicator("1.2", "理由", {"1.1": D(50)}), "period_open", "year", conflict)
    refuse(county, AdjustWeights("1", {"1.1": D(25), "1.2": D(25)}, "理由"), "period_open", "year", conflict)
    # The county's own results and points wait for a reopening; higher authorities' do not (ADR 19).
    refuse(county, OverrideScore(2023, "1.2", D(10), "county", "理由", "o-2"), "period_open", "year", conflict)
    refuse(county, AdjustPoints(2023, D(1), "创新", "理由", "a-1"), "period_open", "year", conflict)
    accept(county, OverrideScore(2023, "1.2", D(10), "city", "市级核查结果", "o-3"))
    accept(county, RevokeOverride("o-1", "省级结果更正"))
    refuse(county, ClosePeriod("2023"), "period_open", "period", conflict)
    refuse(county, ClosePeriod("2023-12"), "period_open", "period", conflict)


def test_closing_a_period_outside_the_scheme_years_or_badly_formed_is_refused(county: County) -> None:
    refuse(county, ClosePeriod("2022"), "scheme_year", "period")
    refuse(county, ClosePeriod("2023-5"), "period_format", "period")


def test_reopening_a_closed_period_allows_writes_again(county: County) -> None:
    accept(county, ClosePeriod("2023"))
    event = only_event(county, ReopenPeriod("2023", "补录省级核查结果"), County.PeriodReopened)
    assert (event.period, event.reason) == ("2023", "补录省级核查结果")
    assert book(county).closed == []
    accept(county, SubmitData("1.1", "2023", D(60)))
    accept(county, AdjustPoints(2023, D(1), "创新", "理由", "a-1"))


def test_reopening_needs_a_reason_and_a_closed_period(county: County) -> None:
    refuse(county, ReopenPeriod("2023-05", "理由"), "closed_period", "period", ConflictError)
    accept(county, ClosePeriod("2023"))
    refuse(county, ReopenPeriod("2023", ""), "reason_required", "reason")
    # Only the closed period itself can be reopened, not a month inside it.
    refuse(county, ReopenPeriod("2023-05", "理由"), "closed_period", "period", ConflictError)


# ---------------------------------------------------------------- actor and correlation


def test_every_event_carries_its_actor_and_correlation_id(
    bonus_scheme: Scheme, scheme_document: dict[str, Any]
) -> None:
    recorded_at = datetime(2023, 6, 1, 8, 30, tzinfo=UTC)
    enrolled_at = datetime(2023, 5, 20, 9, tzinfo=UTC)
    enrolment = EnrolCounty("110101", "示范县", "北京市", "east", bonus_scheme)
    county = County.enrol(enrolment, Context("admin", "c-0", enrolled_at))
    commands: list[CountyCommand] = [
        AdoptScheme(scheme_with(scheme_document, id="example-2024", year=2024)),
        DefineIndicator(SPECIFIC, "理由", {"1.1": D(15), "1.2": D(25)}, 2023),
        ReviseIndicator("1.3", {"name": "特色产业总产值"}, "理由", 2023),
        AdjustWeights("1", {"1.1": D(20), "1.2": D(20)}, "理由", 2023),
        RetireIndicator("1.3", "理由", {"1.2": D(30)}, 2023),
        SubmitData("1.2", "2023-01", D(40)),
        CorrectData("1.2", "2023-01", D(45), "理由"),
        WithdrawSubmission("1.2", "2023-01", "理由"),
        OverrideScore(2023, "total", D(80), "centre", "理由", "o-1"),
        RevokeOverride("o-1", "理由"),
        AdjustPoints(2023, D(-1), "P1", "理由", "a-1"),
        ClosePeriod("2023-01"),
        ReopenPeriod("2023-01", "理由"),
    ]
    for index, command in enumerate(commands, start=1):
        county.handle(command, Context(f"user-{index}", f"c-{index}", recorded_at))
    events: list[Any] = list(county.collect_events())
    assert [type(event).__name__ for event in events] == [
        "Enrolled",
        "SchemeAdopted",
        "IndicatorDefined",
        "IndicatorRevised",
        "WeightsAdjusted",
        "IndicatorRetired",
        "DataSubmitted",
        "DataCorrected",
        "SubmissionWithdrawn",
        "ScoreOverridden",
        "OverrideRevoked",
        "PointsAdjusted",
        "PeriodClosed",
        "PeriodReopened",
    ]
    assert [(event.actor, event.correlation_id) for event in events] == [("admin", "c-0")] + [
        (f"user-{index}", f"c-{index}") for index in range(1, len(commands) + 1)
    ]
    assert events[0].timestamp == enrolled_at
    assert all(event.timestamp == recorded_at for event in events[1:])
    assert [event.originator_version for event in events] == list(range(1, len(events) + 1))
    assert county.pending_events == []


def test_recorded_time_never_runs_backwards_within_a_stream(scheme: Scheme) -> None:
    """A writer whose clock lags cannot record an event before its predecessor."""
    late_clock = datetime(2023, 6, 1, tzinfo=UTC)
    county = County.enrol(EnrolCounty("110101", "示范县", "北京市", "east", scheme), Context("a", "c", late_clock))
    county.handle(SubmitData("1.1", "2023", D(58)), Context("b", "d", datetime(2023, 5, 1, tzinfo=UTC)))
    first, second = county.collect_events()
    assert second.timestamp == first.timestamp == late_clock


def test_events_form_a_hash_chain(county: County) -> None:
    fresh = County.enrol(
        EnrolCounty("110102", "示范县", "北京市", "east", county.years["2023"].scheme), Context("a", "c")
    )
    fresh.handle(SubmitData("1.1", "2023", D(58)), Context("b", "d"))
    fresh.handle(CorrectData("1.1", "2023", D(59), "更正"), Context("b", "e"))
    events: list[Any] = list(fresh.collect_events())
    assert events[0].previous_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.event_hash
    assert all(recompute(event) == event.event_hash for event in events)
    assert fresh.chain_head == events[-1].event_hash
