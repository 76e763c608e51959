"""Highlights and problems of a county's year (亮点、问题), chosen by the scheme's stated rules.

The facts of each indicator come from the analysis (``reports.analysis``); the rules, their
thresholds, order and advice templates from the scheme (``domain.report_rules``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


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
    rank: int | None  # among all counties of the year, by the indicator's score
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
