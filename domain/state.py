"""The recorded state of a county for one scheme year.

Plain mutable dataclasses of strings, decimals, lists and dicts, so that the
aggregate's snapshot is a faithful copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from domain.scheme import IndicatorDef, Scheme


@dataclass
class Submission:
    """The value currently standing for one indicator and period."""

    value: Decimal
    source: str
    version: int
    corrected: bool = False


@dataclass
class Override:
    id: str
    node: str
    score: Decimal
    authority: str
    reason: str
    actor: str
    revoked: bool = False


@dataclass
class Adjustment:
    """A bonus (positive) or penalty (negative) in points, 加减分."""

    id: str
    points: Decimal
    category: str
    reason: str
    actor: str


@dataclass
class Responsibility:
    """Who answers for an indicator's data: a department and a person in it."""

    department: str
    person: str = ""


@dataclass
class CountyYear:
    scheme: Scheme
    indicators: dict[str, IndicatorDef]
    data: dict[str, dict[str, Submission]] = field(default_factory=dict)
    overrides: dict[str, Override] = field(default_factory=dict)
    adjustments: list[Adjustment] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    responsibility: dict[str, Responsibility] = field(default_factory=dict)

    def active_overrides(self) -> dict[str, Override]:
        """The standing override of each node: the latest one not revoked."""
        standing: dict[str, Override] = {}
        for override in self.overrides.values():
            if not override.revoked:
                standing[override.node] = override
        return standing
