"""Who may change the evaluation: the scheme is the centre's; a county proposes (变更申请).

The centre's scheme fixes the indicator tree. Its nodes — common indicators above all, and
the weights of every branch of the scheme's own — change only by the centre or the
county's evaluator team, directly and with a reason (``domain.indicators``; the API lets
only them). What the scheme leaves to the county the county *proposes*:

- its own county-specific (个性, kind ``specific``) indicators: define, revise, retire;
- weight shifts between the children of a branch the scheme marks ``county_adjustable``,
  each child keeping its share of the branch's weight within the branch's bounds;
- beneath an indicator of its own, the weights of its children.

A proposal (``ChangeProposed``) changes nothing. It counts once an evaluator of the
county's team (or the centre) approves it: ``ProposalApproved`` is followed, in the same
command, by the very event a direct change would record (``IndicatorDefined``,
``WeightsAdjusted``…), so scores and histories move as they always do. Approving checks
everything again against the tree as it stands then. A proposal is rejected or withdrawn
with a reason. Nobody decides their own proposal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import county_checks, indicators
from domain.county_decides import checked
from domain.decimals import plain
from domain.errors import (
    Collector,
    ConflictError,
    DomainError,
    Forbidden,
    InvalidCommand,
    NotFound,
    Problem,
    require_reason,
)
from domain.scheme import indicator_document
from domain.state import CountyYear, Proposal

if TYPE_CHECKING:
    from domain.county import County

KINDS = ("define_indicator", "revise_indicator", "retire_indicator", "adjust_weights")
KIND_LABELS = {
    "define_indicator": "新增个性指标",
    "revise_indicator": "修订个性指标",
    "retire_indicator": "停用个性指标",
    "adjust_weights": "调整权重",
}
STATUSES = ("pending", "approved", "rejected", "withdrawn")
STATUS_LABELS = {"pending": "待审核", "approved": "已批准", "rejected": "已驳回", "withdrawn": "已撤回"}
# The keys of each kind's content; the first ones are required.
CHANGE_FIELDS = {
    "define_indicator": (("indicator",), ("sibling_weights",)),
    "revise_indicator": (("code", "changes"), ()),
    "retire_indicator": (("code",), ("sibling_weights",)),
    "adjust_weights": (("weights",), ("parent",)),
}
TREE_EVENTS = ("IndicatorDefined", "IndicatorRevised", "IndicatorRetired", "WeightsAdjusted")


# -------------------------------------------------------------------- reading a proposal


def read_change(kind: str, change: Any, reason: str, year: int | None) -> indicators.TreeCommand:
    """The command a proposal's content stands for; every problem of its shape at once."""
    if kind not in KINDS:
        raise InvalidCommand.of("kind", "one_of", f"kind 只能是 {'、'.join(KINDS)} 之一，收到 {kind!r}")
    if not isinstance(change, dict):
        raise InvalidCommand.of("change", "object", "change 必须是对象")
    check = Collector()
    required, optional = CHANGE_FIELDS[kind]
    for name in sorted(set(change) - set(required) - set(optional)):
        allowed = "、".join((*required, *optional))
        check.add(f"change.{name}", "known_field", f"{KIND_LABELS[kind]}的 change 只能有 {allowed}，收到 {name}")
    for name in required:
        if change.get(name) is None:
            check.add(f"change.{name}", "required", f"change.{name} 必须填写")
    if kind == "define_indicator":
        definition = _object(check, change.get("indicator"), "change.indicator")
        weights = _weights(check, change.get("sibling_weights"), "change.sibling_weights")
        _raise(check)
        return c.DefineIndicator(definition, reason, weights, year)
    if kind == "revise_indicator":
        code = _code(check, change.get("code"), "change.code")
        changes = _object(check, change.get("changes"), "change.changes")
        _raise(check)
        return c.ReviseIndicator(code, changes, reason, year)
    if kind == "retire_indicator":
        code = _code(check, change.get("code"), "change.code")
        weights = _weights(check, change.get("sibling_weights"), "change.sibling_weights")
        _raise(check)
        return c.RetireIndicator(code, reason, weights, year)
    parent = change.get("parent")
    if parent is not None:
        parent = _code(check, parent, "change.parent")
    weights = _weights(check, change.get("weights"), "change.weights")
    _raise(check)
    return c.AdjustWeights(parent, weights, reason, year)


def _raise(check: Collector) -> None:
    if check.problems:
        raise InvalidCommand(check.problems)


def _object(check: Collector, raw: Any, path: str) -> dict[str, Any]:
    if raw is not None and not isinstance(raw, dict):
        check.add(path, "object", f"{path} 必须是对象")
    return raw if isinstance(raw, dict) else {}


def _code(check: Collector, raw: Any, path: str) -> str:
    if raw is not None and (not isinstance(raw, str) or not raw.strip()):
        check.add(path, "string", f"{path} 必须是指标编号（文本）")
    return raw.strip() if isinstance(raw, str) else ""


def _weights(check: Collector, raw: Any, path: str) -> dict[str, Decimal]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.add(path, "object", f'{path} 必须是对象，如 {{"3.1": 6, "3.4": 4}}')
        return {}
    weights = {}
    for code, value in raw.items():
        number = check.number(value, f"{path}.{code}")
        if number is not None:
            weights[str(code)] = number
    return weights


def change_document(command: indicators.TreeCommand, planned: indicators.Planned) -> dict[str, Any]:
    """A proposal's content as stored: what was read, numbers as decimals, definitions whole."""
    _, fields = planned
    if isinstance(command, c.DefineIndicator):
        return {"indicator": indicator_document(fields["indicator"]), "sibling_weights": fields["sibling_weights"]}
    if isinstance(command, c.ReviseIndicator):
        revised = indicator_document(fields["indicator"])
        return {"code": command.code, "changes": {name: revised[name] for name in command.changes}}
    if isinstance(command, c.RetireIndicator):
        return {"code": command.code, "sibling_weights": fields["sibling_weights"]}
    return {"parent": command.parent, "weights": fields["weights"]}


# ------------------------------------------------------------------------------ handlers


def propose_change(county: County, command: c.ProposeChange, context: c.Context) -> dict[str, Any]:
    reason = require_reason(command.reason)
    change = read_change(command.kind, command.change, reason, command.year)
    book = county.book(command.year)
    county_checks.check_year_open(book)
    planned = checked(county, book, change)
    proposal_id = f"P{book.scheme.year}-{len(book.proposals) + 1:03d}"
    county.record(
        county.ChangeProposed,
        context,
        year=book.scheme.year,
        proposal_id=proposal_id,
        kind=command.kind,
        change=change_document(change, planned),
        reason=reason,
    )
    return {"proposal_id": proposal_id}


def approve_proposal(county: County, command: c.ApproveProposal, context: c.Context) -> dict[str, Any]:
    reason = require_reason(command.reason)
    book, proposal = _pending(county, command.proposal_id, "批准")
    _not_ones_own(proposal, context, "批准")
    change = proposed_command(book, proposal, f"批准变更申请 {proposal.id}：{reason}")
    try:
        planned = checked(county, book, change)
    except DomainError as error:
        head = Problem(
            "proposal_id",
            "proposal_still_fits",
            f"变更申请 {proposal.id} 已不符合当前的指标体系，不能批准（可驳回，或由县重新申请）",
        )
        raise ConflictError([head, *error.problems]) from None
    county.record(county.ProposalApproved, context, year=book.scheme.year, proposal_id=proposal.id, reason=reason)
    indicators.record(county, planned, context)
    return {"proposal_id": proposal.id}


def reject_proposal(county: County, command: c.RejectProposal, context: c.Context) -> dict[str, Any]:
    reason = require_reason(command.reason)
    book, proposal = _pending(county, command.proposal_id, "驳回")
    _not_ones_own(proposal, context, "驳回")
    county.record(county.ProposalRejected, context, year=book.scheme.year, proposal_id=proposal.id, reason=reason)
    return {"proposal_id": proposal.id}


def withdraw_proposal(county: County, command: c.WithdrawProposal, context: c.Context) -> dict[str, Any]:
    reason = require_reason(command.reason)
    book, proposal = _pending(county, command.proposal_id, "撤回")
    county.record(county.ProposalWithdrawn, context, year=book.scheme.year, proposal_id=proposal.id, reason=reason)
    return {"proposal_id": proposal.id}


def find_proposal(county: County, proposal_id: str) -> tuple[CountyYear, Proposal]:
    for book in county.years.values():
        if proposal_id in book.proposals:
            return book, book.proposals[proposal_id]
    raise NotFound.of("proposal_id", "known_proposal", f"{county.name}没有编号为 {proposal_id} 的变更申请")


def _pending(county: County, proposal_id: str, verb: str) -> tuple[CountyYear, Proposal]:
    book, proposal = find_proposal(county, proposal_id)
    if proposal.status != "pending":
        raise ConflictError.of(
            "proposal_id",
            "proposal_pending",
            f"变更申请 {proposal_id} {STATUS_LABELS[proposal.status]}（{proposal.decided_by}），不能再{verb}",
        )
    return book, proposal


def _not_ones_own(proposal: Proposal, context: c.Context, verb: str) -> None:
    if proposal.proposed_by == context.actor:
        raise Forbidden.of(
            "proposal_id",
            "not_ones_own",
            f"变更申请 {proposal.id} 是您本人提交的，不能由您{verb}；须由本县评估组的其他成员或中心专班审批",
        )


def proposed_command(book: CountyYear, proposal: Proposal, reason: str) -> indicators.TreeCommand:
    """The command a stored proposal stands for, with ``reason`` (the approval's) on it."""
    return read_change(proposal.kind, proposal.change, reason, book.scheme.year)


# ------------------------------------------------------------------------ events' effects


def apply_proposed(book: CountyYear, event: County.ChangeProposed) -> None:
    book.proposals[event.proposal_id] = Proposal(
        id=event.proposal_id,
        kind=event.kind,
        change=event.change,
        reason=event.reason,
        proposed_by=event.actor,
        proposed_at=event.timestamp,
    )


def apply_decided(book: CountyYear, event: Any, status: str) -> None:
    proposal = book.proposals[event.proposal_id]
    proposal.status = status
    proposal.decided_by = event.actor
    proposal.decided_at = event.timestamp
    proposal.decision_reason = event.reason
    if status == "approved":
        proposal.effect_version = event.originator_version + 1


# ------------------------------------------------------------------------------- reading


def concerned_nodes(proposal: Proposal) -> set[str]:
    """The nodes a proposal is about: in whose score history it is shown."""
    change = proposal.change
    nodes: set[str] = set()
    if proposal.kind == "define_indicator":
        definition = change.get("indicator") or {}
        nodes |= {str(definition[key]) for key in ("code", "parent") if definition.get(key)}
    if change.get("code"):
        nodes.add(change["code"])
    if change.get("parent"):
        nodes.add(change["parent"])
    nodes |= set(change.get("weights") or {}) | set(change.get("sibling_weights") or {})
    return nodes


def proposal_behind(county: County, event: Any) -> Proposal | None:
    """The proposal an event is about (as it stood after the event), or the approved
    proposal a change of the tree carried out; None for any other event."""
    proposal_id = getattr(event, "proposal_id", None)
    book = county.years.get(str(getattr(event, "year", "")))
    if book is None:
        return None
    if proposal_id is not None:
        return book.proposals.get(proposal_id)
    if type(event).__name__ not in TREE_EVENTS:
        return None
    for proposal in book.proposals.values():
        if proposal.effect_version == event.originator_version:
            return proposal
    return None


def describe(proposal: Proposal) -> str:
    """A proposal in a line of words."""
    change = proposal.change
    if proposal.kind == "adjust_weights":
        where = f"“{change['parent']}”下" if change.get("parent") else "一级指标"
        moves = "，".join(f"{code} → {plain(Decimal(str(w)))}" for code, w in change["weights"].items())
        return f"调整{where}的权重：{moves}"
    if proposal.kind == "define_indicator":
        definition = change["indicator"]
        weight = plain(Decimal(str(definition["weight"])))
        return f"新增个性指标“{definition['code']} {definition['name']}”，权重 {weight}"
    if proposal.kind == "revise_indicator":
        return f"修订个性指标“{change['code']}”：{'、'.join(change['changes'])}"
    return f"停用个性指标“{change['code']}”"


def cause_of_proposal(proposal: Proposal) -> dict[str, Any]:
    """What a score history shows of a proposal beside the event that moved the score."""
    return {
        "id": proposal.id,
        "kind": proposal.kind,
        "summary": describe(proposal),
        "proposed_by": proposal.proposed_by,
        "proposal_reason": proposal.reason,
        "status": proposal.status,
        "status_label": STATUS_LABELS[proposal.status],
        "decided_by": proposal.decided_by or None,
        "decision_reason": proposal.decision_reason or None,
    }
