"""Proposals in the County aggregate (ADR 20): what a county may propose, what is the centre's,
approval, rejection, withdrawal, and the re-check at approval.

The scheme is tests/example_scheme.json with dimension 1 (1.1 = 20, 1.2 = 30 of 50) marked
county-adjustable within 30 %–70 % of its weight (15 to 35); dimension 2 is not.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from domain import commands as c
from domain.county import County
from domain.errors import ConflictError, DomainError, Forbidden, InvalidCommand, NotFound
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import score_year
from tests.test_county_commands import enrol

COORDINATOR = c.Context("coordinator.130425", "corr-county")
EVALUATOR = c.Context("evaluator.east", "corr-team")
ADMIN = c.Context("admin", "corr-centre")
D = Decimal

SPECIFIC = {
    "code": "1.3",
    "parent": "1",
    "name": "特色产业产值",
    "kind": "specific",
    "weight": 15,
    "unit": "亿元",
    "method": {"type": "attainment", "target": 8},
}
# 1.1 and 1.2 give 15 points to the new indicator: 15, 20 and 15 of 50 lie within 15 to 35.
SPECIFIC_SIBLINGS = {"1.1": D(15), "1.2": D(20)}


@pytest.fixture
def adjustable_scheme(scheme_document: dict[str, Any]) -> Scheme:
    document = copy.deepcopy(scheme_document)
    document["indicators"][0]["county_adjustable"] = {"min_share": "0.3", "max_share": "0.7"}
    return parse_scheme(document)


@pytest.fixture
def county(adjustable_scheme: Scheme) -> County:
    county = enrol(adjustable_scheme, "130425")
    for indicator, period, value in (("1.1", "2023", "59.1"), ("1.2", "2023-01", "60"), ("2.2", "2023", "90")):
        county.handle(c.SubmitData(indicator, period, D(value)), COORDINATOR)
    county.collect_events()
    return county


def run(county: County, command: c.CountyCommand, context: c.Context) -> tuple[dict[str, Any], list[Any]]:
    assert not county.pending_events
    result = county.handle(command, context)
    return result, list(county.collect_events())


def refused(county: County, command: c.CountyCommand, context: c.Context, error: type[DomainError], rule: str) -> Any:
    """A refusal of ``rule`` that left the county exactly as it was."""
    years, version = copy.deepcopy(county.years), county.version
    with pytest.raises(DomainError) as info:
        county.handle(command, context)
    assert type(info.value) is error, info.value.problems
    assert rule in [problem.rule for problem in info.value.problems], info.value.problems
    assert county.pending_events == []
    assert (county.version, county.years) == (version, years)
    return info.value


def weights(county: County, *codes: str) -> list[Decimal]:
    return [county.book(2023).indicators[code].weight for code in codes]


def total(county: County) -> Decimal:
    return score_year(county.book(2023)).total


def propose(county: County, kind: str, change: dict[str, Any], reason: str = "县里申请") -> str:
    result, events = run(county, c.ProposeChange(kind, change, reason), COORDINATOR)
    assert [type(event).__name__ for event in events] == ["ChangeProposed"]
    assert events[0].actor == COORDINATOR.actor
    proposal_id: str = result["proposal_id"]
    return proposal_id


def shift() -> dict[str, Any]:
    return {"parent": "1", "weights": {"1.1": 30, "1.2": 20}}


# ------------------------------------------------------------------------------ proposing


def test_a_proposal_within_bounds_is_recorded_and_changes_nothing(county: County) -> None:
    before = total(county)
    proposal_id = propose(county, "adjust_weights", shift(), "本县以科技为重点")
    assert proposal_id == "P2023-001"
    proposal = county.book(2023).proposals[proposal_id]
    assert (proposal.status, proposal.proposed_by) == ("pending", COORDINATOR.actor)
    assert proposal.reason == "本县以科技为重点"
    assert proposal.change == {"parent": "1", "weights": {"1.1": D(30), "1.2": D(20)}}
    assert weights(county, "1.1", "1.2") == [D(20), D(30)]
    assert total(county) == before
    assert propose(county, "adjust_weights", {"parent": "1", "weights": {"1.1": 25, "1.2": 25}}) == "P2023-002"


def test_approval_records_the_change_as_a_direct_change_would(county: County) -> None:
    before = total(county)
    proposal_id = propose(county, "adjust_weights", shift(), "本县以科技为重点")
    result, events = run(county, c.ApproveProposal(proposal_id, "评估组确认"), EVALUATOR)
    assert result == {"proposal_id": proposal_id}
    assert [type(event).__name__ for event in events] == ["ProposalApproved", "WeightsAdjusted"]
    approved, adjusted = events
    assert (approved.actor, approved.reason, approved.proposal_id) == (EVALUATOR.actor, "评估组确认", proposal_id)
    assert adjusted.actor == EVALUATOR.actor
    assert adjusted.reason == f"批准变更申请 {proposal_id}：评估组确认"
    assert adjusted.parent == "1"
    assert (adjusted.weights, adjusted.previous) == ({"1.1": 30, "1.2": 20}, {"1.1": 20, "1.2": 30})
    assert weights(county, "1.1", "1.2") == [D(30), D(20)]
    # 1.1: 59.1 of 56.7 → 61.5 is half way: 10 of 20 before, 15 of 30 after; 1.2: 60 of 120 is
    # half: 15 of 30 before, 10 of 20 after. The total stays, but the nodes moved.
    card = score_year(county.book(2023))
    assert (card.node("1.1").score, card.node("1.2").score) == (D(15), D(10))
    assert total(county) == before
    proposal = county.book(2023).proposals[proposal_id]
    assert (proposal.status, proposal.decided_by) == ("approved", EVALUATOR.actor)
    assert proposal.decision_reason == "评估组确认"
    assert proposal.effect_version == adjusted.originator_version


def test_weights_outside_the_bounds_are_refused_with_the_numbers(county: County) -> None:
    proposal = c.ProposeChange("adjust_weights", {"parent": "1", "weights": {"1.1": 40, "1.2": 10}}, "加大科技权重")
    error = refused(county, proposal, COORDINATOR, InvalidCommand, "county_weight_bounds")
    messages = {problem.field: problem.message for problem in error.problems}
    assert set(messages) == {"change.weights.1.1", "change.weights.1.2"}
    assert "权重 40 占“1 产业兴旺”权重 50 的 80%" in messages["change.weights.1.1"]
    assert "30%–70%（15–35）" in messages["change.weights.1.1"]
    assert "权重 10 占“1 产业兴旺”权重 50 的 20%" in messages["change.weights.1.2"]


def test_weights_that_do_not_add_up_are_refused_as_a_direct_change_would_be(county: County) -> None:
    proposal = c.ProposeChange("adjust_weights", {"parent": "1", "weights": {"1.1": 30}}, "加大科技权重")
    error = refused(county, proposal, COORDINATOR, InvalidCommand, "sibling_sum")
    assert [problem.field for problem in error.problems] == ["change.weights.1"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"parent": "2", "weights": {"2.1": 30, "2.2": 20}}, "“2 生活富裕”下各指标的权重由评估方案确定"),
        ({"parent": None, "weights": {"1": 60, "2": 40}}, "一级指标的权重由评估方案确定"),
    ],
)
def test_weights_of_branches_the_scheme_keeps_are_the_centres(
    county: County, change: dict[str, Any], words: str
) -> None:
    error = refused(county, c.ProposeChange("adjust_weights", change, "调整"), COORDINATOR, Forbidden, "centre_decides")
    assert words in error.problems[0].message
    assert "“1 产业兴旺”（各下级占 30%–70%）" in error.problems[0].message  # where the county may


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("revise_indicator", {"code": "1.2", "changes": {"method": {"type": "attainment", "target": 10}}}),
        ("revise_indicator", {"code": "2.2", "changes": {"name": "自来水"}}),
        ("retire_indicator", {"code": "2.2", "sibling_weights": {"2.1": 50}}),
        ("retire_indicator", {"code": "1.1", "sibling_weights": {"1.2": 50}}),
    ],
)
def test_indicators_of_the_scheme_are_the_centres(county: County, kind: str, change: dict[str, Any]) -> None:
    error = refused(county, c.ProposeChange(kind, change, "县里认为目标太高"), COORDINATOR, Forbidden, "centre_decides")
    assert "是评估方案中的共性指标" in error.problems[0].message
    assert "县级不能修改，也不能申请修改" in error.problems[0].message


def test_a_specific_indicator_is_proposed_revised_and_retired_through_approvals(county: County) -> None:
    defined = propose(county, "define_indicator", {"indicator": SPECIFIC, "sibling_weights": SPECIFIC_SIBLINGS})
    assert "1.3" not in county.book(2023).indicators
    _, events = run(county, c.ApproveProposal(defined, "同意增设"), EVALUATOR)
    assert [type(event).__name__ for event in events] == ["ProposalApproved", "IndicatorDefined"]
    assert weights(county, "1.1", "1.2", "1.3") == [D(15), D(20), D(15)]

    revised = propose(county, "revise_indicator", {"code": "1.3", "changes": {"method": {"type": "attainment",
                                                                                        "target": 10}}})  # fmt: skip
    assert county.book(2023).proposals[revised].change["changes"]["method"]["target"] == D(10)
    _, events = run(county, c.ApproveProposal(revised, "同意"), EVALUATOR)
    assert [type(event).__name__ for event in events] == ["ProposalApproved", "IndicatorRevised"]
    method = county.book(2023).indicators["1.3"].method
    assert method is not None and method.target == D(10)

    retired = propose(county, "retire_indicator", {"code": "1.3", "sibling_weights": {"1.1": 20, "1.2": 30}})
    _, events = run(county, c.ApproveProposal(retired, "同意停用"), ADMIN)
    assert [type(event).__name__ for event in events] == ["ProposalApproved", "IndicatorRetired"]
    assert county.book(2023).indicators["1.3"].retired


def test_a_specific_indicator_that_takes_weight_from_a_branch_the_scheme_keeps_is_the_centres(county: County) -> None:
    definition = SPECIFIC | {"code": "2.3", "parent": "2", "weight": 10}
    proposal = c.ProposeChange("define_indicator", {"indicator": definition, "sibling_weights": {"2.1": 20, "2.2": 20}},
                               "增设个性指标")  # fmt: skip
    refused(county, proposal, COORDINATOR, Forbidden, "centre_decides")
    # Without weight, it takes nothing from the scheme's indicators: the county may propose it.
    propose(county, "define_indicator", {"indicator": definition | {"weight": 0}})


def test_a_county_definition_cannot_mark_itself_adjustable(county: County) -> None:
    definition = SPECIFIC | {"county_adjustable": {"min_share": 0, "max_share": 1}}
    proposal = c.ProposeChange("define_indicator", {"indicator": definition, "sibling_weights": SPECIFIC_SIBLINGS}, "x")
    refused(county, proposal, COORDINATOR, InvalidCommand, "scheme_only")


# --------------------------------------------------------------------- deciding, withdrawing


def test_a_rejection_records_who_and_why_and_nothing_else(county: County) -> None:
    before = total(county)
    proposal_id = propose(county, "adjust_weights", shift())
    _, events = run(county, c.RejectProposal(proposal_id, "与全县工作重点不符"), EVALUATOR)
    assert [(type(event).__name__, event.actor, event.reason) for event in events] == [
        ("ProposalRejected", EVALUATOR.actor, "与全县工作重点不符")
    ]
    assert county.book(2023).proposals[proposal_id].status == "rejected"
    assert weights(county, "1.1", "1.2") == [D(20), D(30)]
    assert total(county) == before
    error = refused(county, c.ApproveProposal(proposal_id, "改为同意"), EVALUATOR, ConflictError, "proposal_pending")
    assert "已驳回" in error.problems[0].message


def test_a_withdrawn_proposal_cannot_be_approved(county: County) -> None:
    proposal_id = propose(county, "adjust_weights", shift())
    _, events = run(county, c.WithdrawProposal(proposal_id, "重新研究"), COORDINATOR)
    assert [type(event).__name__ for event in events] == ["ProposalWithdrawn"]
    assert county.book(2023).proposals[proposal_id].status == "withdrawn"
    refused(county, c.ApproveProposal(proposal_id, "同意"), EVALUATOR, ConflictError, "proposal_pending")
    refused(county, c.WithdrawProposal(proposal_id, "再撤回"), COORDINATOR, ConflictError, "proposal_pending")


def test_nobody_decides_their_own_proposal(county: County) -> None:
    proposal_id = propose(county, "adjust_weights", shift())
    refused(county, c.ApproveProposal(proposal_id, "自己批准"), COORDINATOR, Forbidden, "not_ones_own")
    refused(county, c.RejectProposal(proposal_id, "自己驳回"), COORDINATOR, Forbidden, "not_ones_own")


def test_an_approval_that_no_longer_fits_is_refused_with_the_reasons(county: County) -> None:
    proposal_id = propose(county, "adjust_weights", shift())
    # Meanwhile the centre moves 10 points from dimension 1 to dimension 2.
    centre_change = c.AdjustWeights(None, {"1": D(40), "1.1": D(16), "1.2": D(24), "2": D(60), "2.1": D(30),
                                           "2.2": D(30)}, "中心调整一级指标权重")  # fmt: skip
    run(county, centre_change, ADMIN)
    error = refused(county, c.ApproveProposal(proposal_id, "同意"), EVALUATOR, ConflictError, "proposal_still_fits")
    rules = [problem.rule for problem in error.problems]
    assert rules[0] == "proposal_still_fits"
    assert "sibling_sum" in rules or "county_weight_bounds" in rules
    assert county.book(2023).proposals[proposal_id].status == "pending"  # still to be rejected or withdrawn
    run(county, c.RejectProposal(proposal_id, "一级指标权重已调整，请按新权重重新申请"), EVALUATOR)


def test_an_approval_checks_the_bounds_again(county: County) -> None:
    proposal_id = propose(county, "adjust_weights", {"parent": "1", "weights": {"1.1": 35, "1.2": 15}})
    # The centre halves dimension 1: 35 of 25 would now break the bounds, and the sum.
    run(county, c.AdjustWeights(None, {"1": D(25), "1.1": D(10), "1.2": D(15), "2": D(75), "2.1": D(40),
                                       "2.2": D(35)}, "中心调整"), ADMIN)  # fmt: skip
    refused(county, c.ApproveProposal(proposal_id, "同意"), EVALUATOR, ConflictError, "proposal_still_fits")


def test_a_revision_of_an_indicator_retired_meanwhile_no_longer_fits(county: County) -> None:
    defined = propose(county, "define_indicator", {"indicator": SPECIFIC, "sibling_weights": SPECIFIC_SIBLINGS})
    run(county, c.ApproveProposal(defined, "同意"), EVALUATOR)
    revised = propose(county, "revise_indicator", {"code": "1.3", "changes": {"name": "特色产业总产值"}})
    run(county, c.RetireIndicator("1.3", "评估组停用", {"1.1": D(20), "1.2": D(30)}), EVALUATOR)
    error = refused(county, c.ApproveProposal(revised, "同意"), EVALUATOR, ConflictError, "proposal_still_fits")
    assert "active_indicator" in [problem.rule for problem in error.problems]


def test_the_centre_changes_common_indicators_directly_with_a_reason(county: County) -> None:
    before = total(county)
    revision = c.ReviseIndicator("1.2", {"method": {"type": "attainment", "target": 60}}, "中心统一下调目标值")
    _, events = run(county, revision, ADMIN)
    assert [type(event).__name__ for event in events] == ["IndicatorRevised"]
    assert total(county) == before + 15  # 1.2: 60 of 60 is full: 30 instead of 15


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("command", "error", "field", "rule"),
    [
        (c.ProposeChange("rename", {}, "x"), InvalidCommand, "kind", "one_of"),
        (c.ProposeChange("adjust_weights", [], "x"), InvalidCommand, "change", "object"),  # type: ignore[arg-type]
        (c.ProposeChange("adjust_weights", {"parent": "1"}, "x"), InvalidCommand, "change.weights", "required"),
        (c.ProposeChange("adjust_weights", {"weights": {"1.1": "三十"}, "parent": "1"}, "x"), InvalidCommand,
         "change.weights.1.1", "number"),
        (c.ProposeChange("adjust_weights", {"weights": {"1.1": 30}, "extra": 1}, "x"), InvalidCommand,
         "change.extra", "known_field"),
        (c.ProposeChange("revise_indicator", {"code": 12, "changes": {}}, "x"), InvalidCommand, "change.code",
         "string"),
        (c.ProposeChange("adjust_weights", shift(), " "), InvalidCommand, "reason", "reason_required"),
        (c.ProposeChange("adjust_weights", shift(), "x", 2019), InvalidCommand, "year", "scheme_year"),
        (c.ProposeChange("revise_indicator", {"code": "9.9", "changes": {"name": "无"}}, "x"), InvalidCommand,
         "change.code", "known_indicator"),
        (c.ApproveProposal("P2023-404", "同意"), NotFound, "proposal_id", "known_proposal"),
        (c.RejectProposal("P2023-404", "驳回"), NotFound, "proposal_id", "known_proposal"),
        (c.WithdrawProposal("P2023-404", "撤回"), NotFound, "proposal_id", "known_proposal"),
    ],
)  # fmt: skip
def test_bad_proposals_name_the_field_and_rule_and_store_nothing(
    county: County, command: c.CountyCommand, error: type[DomainError], field: str, rule: str
) -> None:
    found = refused(county, command, COORDINATOR, error, rule)
    assert (field, rule) in [(problem.field, problem.rule) for problem in found.problems], found.problems


@pytest.mark.parametrize("command", [c.ApproveProposal, c.RejectProposal, c.WithdrawProposal])
def test_every_decision_needs_a_reason(county: County, command: type[c.ApproveProposal]) -> None:
    proposal_id = propose(county, "adjust_weights", shift())
    refused(county, command(proposal_id, "  "), EVALUATOR, InvalidCommand, "reason_required")


def test_a_closed_year_takes_no_proposal_and_approves_none(county: County) -> None:
    proposal_id = propose(county, "adjust_weights", shift())
    run(county, c.ClosePeriod("2023", "年度关账"), EVALUATOR)
    refused(county, c.ProposeChange("adjust_weights", shift(), "x"), COORDINATOR, ConflictError, "period_open")
    refused(county, c.ApproveProposal(proposal_id, "同意"), EVALUATOR, ConflictError, "proposal_still_fits")
    run(county, c.RejectProposal(proposal_id, "年度已关账"), EVALUATOR)  # still answered
