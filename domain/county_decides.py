"""What the scheme leaves to a county, and what is the centre's (ADR 20).

A county may propose its own county-specific indicators (define, revise, retire), weight
shifts inside the branches the scheme marks ``county_adjustable`` (each child's share of
the branch within the branch's bounds), and the weights beneath its own indicators.
Everything else of the tree is the centre's: the checks here say so, in words, naming
the node and pointing to what the county may do instead. Used when a proposal is made
and approved (``domain.proposals``) and when a county user calls a direct route.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import indicators
from domain.decimals import plain
from domain.errors import Collector, DomainError, Forbidden, InvalidCommand, Problem
from domain.scheme import IndicatorDef
from domain.scheme_reading import read_indicator
from domain.scheme_rules import percent
from domain.state import CountyYear

if TYPE_CHECKING:
    from domain.county import County

INDICATOR_KIND_LABELS = {"common": "共性", "specific": "个性", "satisfaction": "认可度", "bonus_penalty": "加减分"}
CENTRE_FIELDS = "评分方法、目标值、基期值、取值范围、权重和名称"


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


def _in_change(problem: Problem) -> Problem:
    """A problem of the proposed command, named where it stands in the proposal's body."""
    head = problem.field.split(".", 1)[0]
    if head in ("indicator", "sibling_weights", "code", "changes", "weights", "parent"):
        return Problem(f"change.{problem.field}", problem.rule, problem.message)
    return problem
