"""The rules a scheme's indicator tree and composites obey: codes, parents, depth,
methods, sibling weights and composite formulas. Used when a scheme is read and
whenever a county's tree changes."""

from __future__ import annotations

from decimal import Decimal

from domain.decimals import HUNDRED, ONE, ZERO, plain
from domain.errors import Problem
from domain.scheme import MAX_DEPTH, TOTAL, Composite, IndicatorDef, Scheme


def tree_problems(indicators: list[IndicatorDef], *, sheets: bool = False) -> list[Problem]:
    """Duplicate codes, unknown parents, cycles, depth, methods and weight sums.

    With ``sheets`` (a town verification scheme, ADR 27) each top-level indicator is a score
    sheet of its own, so the top level need not add up to 100."""
    problems: list[Problem] = []
    by_code: dict[str, IndicatorDef] = {}
    for indicator in indicators:
        if indicator.code in by_code:
            problems.append(Problem(f"indicators.{indicator.code}", "unique_code", f"指标编号“{indicator.code}”重复"))
        by_code[indicator.code] = indicator
    for indicator in indicators:
        if indicator.parent is not None and indicator.parent not in by_code:
            problems.append(
                Problem(
                    f"indicators.{indicator.code}.parent",
                    "known_parent",
                    f"指标“{indicator.code}”的上级“{indicator.parent}”不存在",
                )
            )
    cyclic = _cyclic_codes(by_code)
    for code in sorted(cyclic):
        problems.append(Problem(f"indicators.{code}.parent", "acyclic", f"指标“{code}”的上级关系构成循环"))
    # The rest of the tree is still checked, so that a draft is fixed in one pass: only
    # the nodes whose chain of parents is broken (unknown or cyclic) are left out.
    rooted = {code: node for code, node in by_code.items() if _rooted(by_code, code)}
    problems.extend(_shape_problems(rooted))
    problems.extend(weight_problems(rooted, sheets=sheets))
    return problems


def _rooted(by_code: dict[str, IndicatorDef], code: str) -> bool:
    """Whether the chain of parents from ``code`` reaches the top without a gap or a loop."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None:
        if current in seen or current not in by_code:
            return False
        seen.add(current)
        current = by_code[current].parent
    return True


def _cyclic_codes(by_code: dict[str, IndicatorDef]) -> set[str]:
    cyclic: set[str] = set()
    for start in by_code:
        seen: set[str] = set()
        code: str | None = start
        while code is not None and code in by_code:
            if code in seen:
                cyclic.add(start)
                break
            seen.add(code)
            code = by_code[code].parent
    return cyclic


def depth_of(by_code: dict[str, IndicatorDef], code: str) -> int:
    depth = 1
    parent = by_code[code].parent
    while parent is not None:
        depth += 1
        parent = by_code[parent].parent
    return depth


def children_of(by_code: dict[str, IndicatorDef], parent: str | None) -> list[IndicatorDef]:
    return [node for node in by_code.values() if node.parent == parent and node.weighted]


def _shape_problems(by_code: dict[str, IndicatorDef]) -> list[Problem]:
    problems = []
    parents = {node.parent for node in by_code.values() if node.weighted}
    for code, node in by_code.items():
        if node.retired:
            continue
        field_path = f"indicators.{code}"
        depth = depth_of(by_code, code)
        if depth > MAX_DEPTH:
            problems.append(
                Problem(f"{field_path}.parent", "max_depth", f"指标“{code}”位于第 {depth} 级，指标体系最多三级")
            )
        if node.kind == "bonus_penalty":
            if node.parent is not None or code in parents:
                problems.append(Problem(field_path, "bonus_penalty_top", f"加减分类指标“{code}”必须位于顶层且没有下级"))
            continue
        if node.parent is not None and by_code[node.parent].kind == "bonus_penalty":
            problems.append(
                Problem(f"{field_path}.parent", "bonus_penalty_top", f"加减分类指标“{node.parent}”不能有下级")
            )
        if code in parents and node.method is not None:
            problems.append(
                Problem(
                    f"{field_path}.method",
                    "parent_unscored",
                    f"指标“{code}”有下级指标，由下级得分汇总，不能再设评分方法",
                )
            )
        if code not in parents and node.method is None:
            problems.append(Problem(f"{field_path}.method", "required", f"末级指标“{code}”缺少评分方法"))
    return problems


def weight_problems(by_code: dict[str, IndicatorDef], *, sheets: bool = False) -> list[Problem]:
    """Sibling weights add up to their parent's weight; the top level to 100 (unless sheets)."""
    problems = []
    groups: dict[str | None, Decimal] = {}
    for node in by_code.values():
        if node.weighted and not (sheets and node.parent is None):
            groups[node.parent] = groups.get(node.parent, ZERO) + node.weight
    for parent, total in groups.items():
        expected = HUNDRED if parent is None else by_code[parent].weight
        # A negative parent weight is refused on its own (non_negative): no sum could match it.
        if total != expected and expected >= ZERO:
            where = "一级指标" if parent is None else f"“{parent}”的下级指标"
            problems.append(
                Problem(
                    "weights" if parent is None else f"weights.{parent}",
                    "sibling_sum",
                    f"{where}权重合计为 {plain(total)}，应等于 {plain(expected)}",
                )
            )
    return problems


def composite_problems(scheme: Scheme) -> list[Problem]:
    """Composite codes are unique, sources known, weights add up to 1, no cycles."""
    problems = []
    indicator_codes = {indicator.code for indicator in scheme.indicators}
    input_codes = {item.code for item in scheme.composite_inputs}
    composite_codes = [composite.code for composite in scheme.composites]
    known = indicator_codes | input_codes | set(composite_codes) | {TOTAL}
    for code in {code for code in composite_codes if composite_codes.count(code) > 1}:
        problems.append(Problem(f"composites.{code}", "unique_code", f"综合得分编号“{code}”重复"))
    for code in set(composite_codes) & (indicator_codes | input_codes | {TOTAL}):
        problems.append(Problem(f"composites.{code}", "unique_code", f"综合得分编号“{code}”与指标或输入项重名"))
    for composite in scheme.composites:
        total = sum((component.weight for component in composite.components), ZERO)
        if composite.components and total != ONE:
            problems.append(
                Problem(
                    f"composites.{composite.code}.components",
                    "weights_sum_to_one",
                    f"综合得分“{composite.code}”各组成部分权重合计为 {plain(total)}，应等于 1",
                )
            )
        for component in composite.components:
            if component.source and component.source not in known:
                problems.append(
                    Problem(
                        f"composites.{composite.code}.components.{component.source}",
                        "known_source",
                        f"综合得分“{composite.code}”引用的“{component.source}”既不是指标，也不是已声明的输入项或综合得分",
                    )
                )
    problems.extend(_composite_cycles(scheme.composites))
    return problems


def _composite_cycles(composites: list[Composite]) -> list[Problem]:
    graph = {c.code: [component.source for component in c.components] for c in composites}
    problems = []
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            code = stack.pop()
            if code == start:
                problems.append(Problem(f"composites.{start}", "acyclic", f"综合得分“{start}”直接或间接引用了自身"))
                break
            if code in seen or code not in graph:
                continue
            seen.add(code)
            stack.extend(graph[code])
    return problems


def adjustable_problems(indicators: list[IndicatorDef]) -> list[Problem]:
    """``county_adjustable`` marks a branch of weighted children whose own weights in the
    scheme already lie within its bounds (else no county could ever be within them)."""
    problems = []
    by_code = {node.code: node for node in indicators}
    for node in indicators:
        bounds = node.county_adjustable
        if bounds is None:
            continue
        path = f"indicators.{node.code}.county_adjustable"
        children = children_of(by_code, node.code)
        if node.kind == "bonus_penalty" or not children:
            problems.append(
                Problem(path, "adjustable_branch", f"指标“{node.code}”没有参与权重分配的下级指标，不能标为可由县调整")
            )
            continue
        for child in children:
            low, high = node.weight * bounds.min_share, node.weight * bounds.max_share
            if not low <= child.weight <= high:
                problems.append(
                    Problem(
                        f"indicators.{child.code}.weight",
                        "within_county_bounds",
                        f"指标“{child.code}”的权重 {plain(child.weight)} 不在“{node.code}”允许的范围 "
                        f"{plain(low)}–{plain(high)}（占 {percent(bounds.min_share)}–{percent(bounds.max_share)}）内",
                    )
                )
    return problems


def percent(share: Decimal) -> str:
    """A share as people write it: 0.35 → 35%."""
    return f"{plain(share * HUNDRED)}%"
