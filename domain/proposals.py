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
from domain import indicators
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
from domain.scheme import IndicatorDef, indicator_document
from domain.scheme_reading import read_indicator
from domain.scheme_rules import percent
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
INDICATOR_KIND_LABELS = {"common": "共性", "specific": "个性", "satisfaction": "认可度", "bonus_penalty": "加减分"}
# The keys of each kind's content; the first ones are required.
CHANGE_FIELDS = {
    "define_indicator": (("indicator",), ("sibling_weights",)),
    "revise_indicator": (("code", "changes"), ()),
    "retire_indicator": (("code",), ("sibling_weights",)),
    "adjust_weights": (("weights",), ("parent",)),
}
CENTRE_FIELDS = "评分方法、目标值、基期值、取值范围、权重和名称"
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
        check.add(path, "object", f"{path} 必须是对象，如 {{\"3.1\": 6, \"3.4\": 4}}")
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


# ------------------------------------------------------------- what is the county's to propose


def scheme_codes(book: CountyYear) -> set[str]:
    """The nodes that came from the scheme (not from the county)."""
    return {node.code for node in book.scheme.indicators}


def _named(book: CountyYear, code: str) -> str:
    node = book.indicators.get(code)
    return f"“{code} {node.name}”" if node is not None else f"“{code}”"


def adjustable_branches(book: CountyYear) -> str:
    """The branches the scheme leaves to the county, in words."""
    found = [
        f"{_named(book, node.code)}（各下级占 {percent(node.county_adjustable.min_share)}–"
        f"{percent(node.county_adjustable.max_share)}）"
        for node in book.indicators.values()
        if node.county_adjustable is not None and node.weighted
    ]
    return "、".join(found) or "无"


def centre_indicator(book: CountyYear, code: str) -> str:
    """Why an indicator of the scheme is the centre's, in words."""
    node = book.indicators[code]
    kind = INDICATOR_KIND_LABELS.get(node.kind, node.kind)
    return (
        f"{_named(book, code)}是评估方案中的{kind}指标，其{CENTRE_FIELDS}由中心确定，"
        "只能由中心专班或本县评估组修改（须填写理由）；县级不能修改，也不能申请修改"
    )


def centre_weights(book: CountyYear, parent: str | None) -> str:
    """Why the weights beneath ``parent`` are the centre's, in words."""
    where = "一级指标" if parent is None else f"{_named(book, parent)}下各指标"
    return (
        f"{where}的权重由评估方案确定，方案未允许县调整，只能由中心专班或本县评估组修改（须填写理由）；"
        f"方案允许县调整权重的分支：{adjustable_branches(book)}"
    )


def explain_direct(book: CountyYear, kind: str, target: str | None) -> str:
    """What a county user who tried a direct change of the tree is told: what of it is the
    centre's, or that the county may propose it. ``target``: the indicator, or the parent
    of the weights."""
    if kind == "adjust_weights":
        if target is None or (target in scheme_codes(book) and target in book.indicators
                              and book.indicators[target].county_adjustable is None):  # fmt: skip
            return centre_weights(book, target)
        node = book.indicators.get(target)
        bounds = node.county_adjustable if node is not None else None
        if bounds is not None:
            return (
                f"{_named(book, target)}下各指标的权重方案允许县在各占 {percent(bounds.min_share)}–"
                f"{percent(bounds.max_share)} 之间调整，但须经本县评估组批准"
            )
        return f"{_named(book, target)}下的权重须经本县评估组批准"
    if kind == "define_indicator":
        return "新增本县个性指标须经本县评估组批准"
    verb = "修订" if kind == "revise_indicator" else "停用"
    if target is not None and target in scheme_codes(book):
        return centre_indicator(book, target)
    if target is not None and target in book.indicators:
        return f"本县个性指标{_named(book, target)}的{verb}须经本县评估组批准"
    return f"{verb}指标须经本县评估组批准"


def weight_changes(book: CountyYear, command: indicators.TreeCommand) -> dict[str, Decimal]:
    """The weights a command gives, of nodes whose weight it changes (a new node's too)."""
    if isinstance(command, c.AdjustWeights):
        given = dict(command.weights)
    elif isinstance(command, (c.DefineIndicator, c.RetireIndicator)):
        given = dict(command.sibling_weights)
    else:
        return {}
    changed = {code: weight for code, weight in given.items() if code not in book.indicators
               or book.indicators[code].weight != weight}  # fmt: skip
    if isinstance(command, c.DefineIndicator):
        new = _lenient_definition(command.definition)
        if new is not None and new.weight != 0 and new.code not in book.indicators:
            changed[new.code] = new.weight
    return changed


def _lenient_definition(definition: dict[str, Any]) -> IndicatorDef | None:
    """A proposed definition's code, parent and weight, whatever else is wrong with it."""
    return read_indicator(Collector(), definition, "indicator")


def _tree_after(book: CountyYear, command: indicators.TreeCommand, changed: dict[str, Decimal]) -> dict[str, Any]:
    tree: dict[str, Any] = {code: (node.parent, node.weight) for code, node in book.indicators.items()}
    if isinstance(command, c.DefineIndicator):
        new = _lenient_definition(command.definition)
        if new is not None and new.code not in tree:
            tree[new.code] = (new.parent, new.weight)
    for code, weight in changed.items():
        if code in tree:
            tree[code] = (tree[code][0], weight)
    return tree


def check_county_decides(book: CountyYear, command: indicators.TreeCommand, field: str = "change") -> list[Problem]:
    """Refuses (403) what the scheme does not leave to the county, naming what is the
    centre's; returns the weights that lie outside their branch's bounds, with the numbers."""
    ours = scheme_codes(book)
    centre: list[Problem] = []
    if isinstance(command, (c.ReviseIndicator, c.RetireIndicator)) and command.code in ours:
        centre.append(Problem(f"{field}.code", "centre_decides", centre_indicator(book, command.code)))
    changed = weight_changes(book, command)
    tree = _tree_after(book, command, changed)
    bounds: list[Problem] = []
    refused_parents: set[str | None] = set()
    for code, weight in changed.items():
        if code not in tree:
            continue  # an unknown code: the command's own checks name it
        parent = tree[code][0]
        if parent is not None and parent not in ours:
            continue  # beneath the county's own indicator: the county's
        adjustable = book.indicators[parent].county_adjustable if parent is not None else None
        if adjustable is None:
            if parent not in refused_parents:
                refused_parents.add(parent)
                centre.append(Problem(_weights_field(command, field), "centre_decides", centre_weights(book, parent)))
            continue
        assert parent is not None
        whole = tree[parent][1]
        low, high = whole * adjustable.min_share, whole * adjustable.max_share
        if not low <= weight <= high:
            share = "100% 以上" if whole and weight > whole else "—"
            if whole and abs(weight) <= whole:  # quantized where it fits the 28 digits (1e30 of 50 would not)
                share = percent((weight / whole).quantize(Decimal("0.0001")))
            bounds.append(
                Problem(
                    f"{_weights_field(command, field)}.{code}",
                    "county_weight_bounds",
                    f"{_named(book, code) if code in book.indicators else f'“{code}”'}的权重 {plain(weight)} "
                    f"占{_named(book, parent)}权重 {plain(whole)} 的 {share}，"
                    f"方案允许县在 {percent(adjustable.min_share)}–{percent(adjustable.max_share)}"
                    f"（{plain(low)}–{plain(high)}）之间调整",
                )
            )
    if centre:
        raise Forbidden(centre)
    return bounds


def checked(county: County, book: CountyYear, change: indicators.TreeCommand) -> indicators.Planned:
    """A proposed change checked in full: what is the centre's (403), then every broken rule
    at once — bounds and the change's own rules (422), or a conflict (409)."""
    bounds = check_county_decides(book, change)
    try:
        planned = indicators.plan(county, change)
    except InvalidCommand as error:
        raise InvalidCommand([*bounds, *(_in_change(problem) for problem in error.problems)]) from None
    except DomainError as error:
        raise type(error)([_in_change(problem) for problem in error.problems]) from None
    if bounds:
        raise InvalidCommand(bounds)
    return planned


def _weights_field(command: indicators.TreeCommand, field: str) -> str:
    return f"{field}.weights" if isinstance(command, c.AdjustWeights) else f"{field}.sibling_weights"


# ------------------------------------------------------------------------------ handlers


def propose_change(county: County, command: c.ProposeChange, context: c.Context) -> dict[str, Any]:
    reason = require_reason(command.reason)
    change = read_change(command.kind, command.change, reason, command.year)
    book = county.book(command.year)
    county.check_year_open(book)
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


def _in_change(problem: Problem) -> Problem:
    """A problem of the proposed command, named where it stands in the proposal's body."""
    head = problem.field.split(".", 1)[0]
    if head in ("indicator", "sibling_weights", "code", "changes", "weights", "parent"):
        return Problem(f"change.{problem.field}", problem.rule, problem.message)
    return problem


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
