"""Evaluation schemes: the indicator tree, scoring methods, grades, caps and formulas.

The typed values of a scheme, stored inside events (their topics and field names are part
of the hash chain: they stay here), and their JSON documents. Reading a document is in
``domain.scheme_reading``; the rules of the tree and formulas in ``domain.scheme_rules``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.chain import ADDED_LATER
from domain.consequence_rules import ConsequenceRules, consequence_rules_document
from domain.monitoring_rules import (
    Checks,
    WarningRules,
    checks_document,
    warning_rules_document,
)
from domain.report_rules import ReportRules, report_rules_document
from domain.verification_rules import VerificationRules, verification_document

KINDS = ("common", "specific", "satisfaction", "bonus_penalty")
DIRECTIONS = ("higher_better", "lower_better")
FREQUENCIES = ("monthly", "quarterly", "annual")
AGGREGATES = ("latest", "sum", "mean")
METHODS = ("attainment", "threshold", "manual")
COMPONENT_AGGREGATES = ("value", "mean", "sum", "min", "max")
MAX_DEPTH = 3
TOTAL = "total"
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
LEVEL_LABELS = {1: "一级指标", 2: "二级指标", 3: "三级指标"}
# Whose result an override records. A scheme orders them, highest first (ADR 19): by
# default the province's and the city's verification results prevail (004 五), then the
# centre's own evaluation, then the county's.
AUTHORITIES = ("county", "city", "province", "centre")
AUTHORITY_LABELS = {"county": "县级", "city": "市级", "province": "省级", "centre": "中心"}
DEFAULT_AUTHORITIES = ("province", "city", "centre", "county")
# What a bonus/penalty category (加减分类指标) takes: positive points or negative ones.
SIGNS = ("bonus", "penalty")
SIGN_LABELS = {"bonus": "加分项", "penalty": "减分项"}


def default_authorities() -> list[str]:
    return list(DEFAULT_AUTHORITIES)


def usual_rules() -> dict[str, Any]:
    """The rules most schemes share, as document fields: the grade bands of the county
    verification scheme (``004``, 七), caps of 5 bonus and 10 penalty points, and the
    centre's deadlines (data by day 10 of the next month, quarters by day 15)."""
    return {
        "grades": [
            {"label": "好", "min": 90},
            {"label": "较好", "min": 80},
            {"label": "一般", "min": 60},
            {"label": "较差", "min": 0},
        ],
        "bonus_cap": 5,
        "penalty_cap": 10,
        "deadlines": {"monthly_due_day": 10, "quarterly_due_day": 15, "annual_due": "01-31"},
    }


@dataclass
class Band:
    """One threshold band: values at or above ``min`` (or at or below ``max``) score ``f``."""

    f: Decimal
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass
class Method:
    type: str
    target: Decimal | None = None
    baseline: Decimal | None = None
    bands: list[Band] = field(default_factory=list)


@dataclass
class CountyAdjustable:
    """A branch of the scheme whose children's weights the county may shift, by a proposal
    an evaluator approves: each child keeps between ``min_share`` and ``max_share`` of the
    branch's weight (``county_adjustable`` in a scheme document)."""

    min_share: Decimal = Decimal(0)
    max_share: Decimal = Decimal(1)


@dataclass
class IndicatorDef:
    """A node of the indicator tree. Nodes with children are scored from them."""

    code: str
    name: str
    parent: str | None
    weight: Decimal
    kind: str = "common"
    unit: str = ""
    direction: str = "higher_better"
    method: Method | None = None
    frequency: str = "annual"
    aggregate: str = "latest"
    range: list[Decimal] | None = None
    retired: bool = False
    # bonus_penalty only: "bonus" or "penalty". "" for categories stored before schemes
    # said which (they take either sign, as then).
    sign: str = field(default="", metadata=ADDED_LATER)
    county_adjustable: CountyAdjustable | None = field(default=None, metadata=ADDED_LATER)

    @property
    def weighted(self) -> bool:
        """Bonus/penalty categories stand outside the weighted tree."""
        return self.kind != "bonus_penalty" and not self.retired


@dataclass
class Grade:
    label: str
    min: Decimal


@dataclass
class Component:
    source: str
    weight: Decimal
    aggregate: str = "value"


@dataclass
class Composite:
    """A score defined as a weighted combination of other scores (``004`` 六–七)."""

    code: str
    name: str
    components: list[Component]


@dataclass
class CompositeInput:
    """A score that comes from outside the indicator tree (e.g. sampled villages)."""

    code: str
    name: str
    many: bool = False


@dataclass
class Deadlines:
    monthly_due_day: int = 10
    quarterly_due_day: int = 15
    annual_due: str = "01-31"


@dataclass
class Scheme:
    id: str
    name: str
    year: int
    grades: list[Grade]
    bonus_cap: Decimal
    penalty_cap: Decimal
    deadlines: Deadlines
    indicators: list[IndicatorDef]
    composites: list[Composite] = field(default_factory=list)
    composite_inputs: list[CompositeInput] = field(default_factory=list)
    checks: Checks = field(default_factory=Checks)
    warnings: WarningRules = field(default_factory=WarningRules)
    authorities: list[str] = field(default_factory=default_authorities, metadata=ADDED_LATER)  # highest first
    # The rules of the annual report's highlights and problems, and of the link to reward
    # and penalty (ADR 26); schemes stored before them read as the usual rules.
    report: ReportRules = field(default_factory=ReportRules, metadata=ADDED_LATER)
    consequences: ConsequenceRules = field(default_factory=ConsequenceRules, metadata=ADDED_LATER)
    # What the scheme evaluates: counties (the centre's scheme) or towns (a county's own
    # verification, 004; ADR 27), and for towns its sheets, sample and absence rules.
    object: str = field(default="county", metadata=ADDED_LATER)
    verification: VerificationRules = field(default_factory=VerificationRules, metadata=ADDED_LATER)

    def rank(self, authority: str) -> int:
        """Where an authority stands in the order, 0 the highest; unlisted ones stand last."""
        return self.authorities.index(authority) if authority in self.authorities else len(self.authorities)

    def above_county(self, authority: str) -> bool:
        """Whether a result of ``authority`` ranks above the county's own (taken in a closed year)."""
        return authority in self.authorities and self.rank(authority) < self.rank("county")

    def to_document(self) -> dict[str, Any]:
        """The scheme as a JSON-ready document in the published format."""
        return scheme_document(self)


def scheme_document(scheme: Scheme) -> dict[str, Any]:
    return {
        "id": scheme.id,
        "name": scheme.name,
        "year": scheme.year,
        "grades": [{"label": grade.label, "min": grade.min} for grade in scheme.grades],
        "authorities": list(scheme.authorities),
        "bonus_cap": scheme.bonus_cap,
        "penalty_cap": scheme.penalty_cap,
        "deadlines": {
            "monthly_due_day": scheme.deadlines.monthly_due_day,
            "quarterly_due_day": scheme.deadlines.quarterly_due_day,
            "annual_due": scheme.deadlines.annual_due,
        },
        "checks": checks_document(scheme.checks),
        "warnings": warning_rules_document(scheme.warnings),
        "report": report_rules_document(scheme.report),
        "consequences": consequence_rules_document(scheme.consequences),
        **_town_fields(scheme),
        "indicators": [indicator_document(indicator) for indicator in scheme.indicators],
        "composite_inputs": [
            {"code": item.code, "name": item.name, "many": item.many} for item in scheme.composite_inputs
        ],
        "composites": [
            {
                "code": composite.code,
                "name": composite.name,
                "components": [
                    {"source": c.source, "weight": c.weight, "aggregate": c.aggregate} for c in composite.components
                ],
            }
            for composite in scheme.composites
        ],
    }


def _town_fields(scheme: Scheme) -> dict[str, Any]:
    if scheme.object != "town":
        return {}
    return {"object": scheme.object, "verification": verification_document(scheme.verification)}


def indicator_document(indicator: IndicatorDef) -> dict[str, Any]:
    document: dict[str, Any] = {
        "code": indicator.code,
        "name": indicator.name,
        "parent": indicator.parent,
        "kind": indicator.kind,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "weight": indicator.weight,
        "frequency": indicator.frequency,
        "aggregate": indicator.aggregate,
        "range": indicator.range,
        "method": None,
        "retired": indicator.retired,
    }
    if indicator.kind == "bonus_penalty":
        document["sign"] = indicator.sign or None
    if indicator.method is not None:
        method = indicator.method
        document["method"] = {
            "type": method.type,
            "target": method.target,
            "baseline": method.baseline,
            "bands": [{"f": b.f, "min": b.min, "max": b.max} for b in method.bands] or None,
        }
    if indicator.county_adjustable is not None:
        bounds = indicator.county_adjustable
        document["county_adjustable"] = {"min_share": bounds.min_share, "max_share": bounds.max_share}
    return document
