"""Highlights and problems of a county's year (亮点、问题), chosen by the scheme's stated rules.

The facts of each indicator come from the analysis (``reports.analysis``); the rules, their
thresholds, order and advice templates from the scheme (``domain.report_rules``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from domain.decimals import CENT, HUNDRED
from domain.report_rules import SCOPE_LABELS, SIDE_LABELS, SIDES, ReportRule, ReportRules


@dataclass(frozen=True)
class IndicatorFacts:
    """What the rules look at for one data indicator of a county's year, as of one instant."""

    code: str
    name: str
    unit: str
    direction: str
    weight: Decimal  # the most it can score
    value: Decimal | None
    target: Decimal | None
    score: Decimal
    rank: int | None  # among the counties of the year with a value, by attainment (score ÷ weight)
    count: int
    region_rank: int | None
    region_count: int
    last_year_rank: int | None  # the same code's rank the year before, if it had one
    region_best: Decimal | None  # the region's best value
    red_warnings: int = 0  # open red warnings on the indicator
    returned: int = 0  # submissions returned and not yet accepted, or refused

    @property
    def attainment(self) -> Decimal:
        """score ÷ weight, in [0, 1]."""
        return self.score / self.weight if self.weight else Decimal(0)


@dataclass(frozen=True)
class Finding:
    """A highlight or a problem: the rule that chose it and the numbers behind it."""

    side: str  # "highlight" or "problem"
    rule: str  # the rule's code in the scheme
    kind: str  # the rule's kind (attainment, rank_top, …)
    indicator: str
    title: str  # the finding in words
    numbers: dict[str, str] = field(default_factory=dict)  # the figures the rule compared, as text
    advice: str = ""  # a problem's rectification advice, from the rule's template
    serious: bool = False  # a problem the scheme counts as serious (突出问题)


@dataclass(frozen=True)
class Selection:
    """The findings of a county's year: highlights and problems in the order chosen, and
    notes where the rules found fewer than the scheme asks for."""

    highlights: list[Finding]
    problems: list[Finding]
    notes: list[str]


def select(facts: Sequence[IndicatorFacts], rules: ReportRules) -> Selection:
    """Chooses the highlights and problems, deterministically: the rules in the scheme's
    order; within a rule, the indicators by weight (highest first), then code; an indicator
    at most once per side; at most ``max`` per side. Fewer than ``min`` found gives a note."""
    ordered = sorted(facts, key=lambda item: (-item.weight, item.code))
    chosen: dict[str, list[Finding]] = {side: [] for side in SIDES}
    for rule in rules.rules:
        taken = chosen[rule.side]
        room = rules.count(rule.side).max
        for item in ordered:
            if len(taken) >= room:
                break
            if any(finding.indicator == item.code for finding in taken):
                continue
            figures = matched_figures(item, rule)
            if figures is not None:
                taken.append(finding_of(item, rule, figures))
    notes = []
    for side in SIDES:
        wanted = rules.count(side).min
        if len(chosen[side]) < wanted:
            label = SIDE_LABELS[side]
            notes.append(f"按方案规则只找到 {len(chosen[side])} 个{label}（方案要求至少 {wanted} 个）")
    return Selection(highlights=chosen["highlight"], problems=chosen["problem"], notes=notes)


def matched_figures(item: IndicatorFacts, rule: ReportRule) -> dict[str, str] | None:
    """The figures a rule compared for an indicator, as text, when the rule matches it;
    None when it does not."""
    figures = common_figures(item)
    threshold = rule.threshold
    if rule.kind in ("attainment", "rank_top", "rank_bottom", "rank_change") and item.value is None:
        return None  # no data recorded: a score of 0 or a rank says nothing
    if rule.kind == "attainment":
        if item.weight <= 0:
            return None
        percent = item.attainment * HUNDRED
        hit = percent >= threshold if rule.side == "highlight" else percent <= threshold
        return {**figures, "threshold": two_places(threshold)} if hit else None
    if rule.kind in ("rank_top", "rank_bottom"):
        rank, counties = (item.rank, item.count) if rule.scope == "all" else (item.region_rank, item.region_count)
        k = int(threshold)
        if rank is None or counties <= k or counties < 2:
            return None
        hit = rank <= k if rule.kind == "rank_top" else rank > counties - k
        extra = {"rank": str(rank), "counties": str(counties), "k": str(k), "scope": SCOPE_LABELS[rule.scope]}
        return {**figures, **extra} if hit else None
    if rule.kind == "rank_change":
        if item.rank is None or item.last_year_rank is None or item.count < 2:
            return None
        places = item.last_year_rank - item.rank if rule.side == "highlight" else item.rank - item.last_year_rank
        if places < threshold:
            return None
        return {**figures, "rank": str(item.rank), "last_rank": str(item.last_year_rank), "places": str(places)}
    if rule.kind == "gap_to_region_best":
        if item.value is None or item.region_best is None or item.region_best == 0:
            return None
        gap = item.region_best - item.value if item.direction == "higher_better" else item.value - item.region_best
        gap_pct = gap / abs(item.region_best) * HUNDRED
        if gap <= 0 or gap_pct < threshold:
            return None
        return {
            **figures,
            "region_best": two_places(item.region_best),
            "gap": two_places(gap),
            "gap_pct": two_places(gap_pct),
        }
    count = item.red_warnings if rule.kind == "red_warnings" else item.returned
    return {**figures, "count": str(count)} if count >= threshold else None


def common_figures(item: IndicatorFacts) -> dict[str, str]:
    return {
        "name": item.name,
        "code": item.code,
        "unit": item.unit,
        "value": two_places(item.value),
        "target": two_places(item.target),
        "score": two_places(item.score),
        "weight": two_places(item.weight),
        "attainment": two_places(item.attainment * HUNDRED),
    }


def finding_of(item: IndicatorFacts, rule: ReportRule, figures: dict[str, str]) -> Finding:
    numbers = {key: text for key, text in figures.items() if key not in ("name", "code", "unit", "scope")}
    return Finding(
        side=rule.side,
        rule=rule.code,
        kind=rule.kind,
        indicator=item.code,
        title=_without_target(rule.title, item).format_map(figures),
        numbers=numbers,
        advice=_without_target(rule.advice, item).format_map(figures) if rule.side == "problem" else "",
        serious=rule.serious if rule.side == "problem" else False,
    )


_TARGET_CLAUSE = re.compile(r"[，；,;]?[^，；。,;（）()]*\{target\}[^，；。,;（）()]*")


def _without_target(template: str, item: IndicatorFacts) -> str:
    """The template as it reads of an indicator without a target: each clause naming
    ``{target}`` left out ("…（2.00/4.00 分），目标值 {target}{unit}，实际 …" reads
    "…（2.00/4.00 分），实际 …"), so no "目标值 —" is printed."""
    if item.target is not None or "{target}" not in template:
        return template
    return _TARGET_CLAUSE.sub("", template).lstrip("，；,; ")


def two_places(value: Decimal | None) -> str:
    """A figure as text to two places; "—" when there is none."""
    return "—" if value is None else f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"
