"""The recorded state of a county for one scheme year.

Plain mutable dataclasses of strings, decimals, lists and dicts, so that the
aggregate's snapshot is a faithful copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.decimals import HUNDRED
from domain.scheme import TOTAL, IndicatorDef, Scheme


@dataclass
class Submission:
    """The value currently standing for one indicator and period."""

    value: Decimal
    source: str
    version: int
    corrected: bool = False
    received_at: datetime | None = None  # when the period's value first arrived, kept through corrections


@dataclass
class Override:
    """A result recorded for a node's score, under an authority (县级、市级、省级、中心)."""

    id: str
    node: str
    score: Decimal
    authority: str
    reason: str
    actor: str
    revoked: bool = False
    recorded_at: datetime | None = None  # None only in snapshots taken before it was kept


@dataclass
class Adjustment:
    """A bonus (positive) or penalty (negative) in points, 加减分."""

    id: str
    points: Decimal
    category: str
    reason: str
    actor: str
    revoked: bool = False
    recorded_at: datetime | None = None


@dataclass
class Responsibility:
    """Who answers for an indicator's data: a department and a person in it."""

    department: str
    person: str = ""


@dataclass
class Anomaly:
    """A value that jumped from the indicator's own history: accepted, but to be confirmed."""

    indicator: str
    period: str
    value: Decimal
    method: str  # "robust_z" or "change"
    measure: Decimal  # the z-score, or the change in percent
    message: str
    flagged_at: datetime
    confirmed: bool = False
    comment: str = ""
    resolved_at: datetime | None = None


@dataclass
class Comment:
    actor: str
    side: str  # "county" or "evaluator"
    text: str
    at: datetime
    action: str  # comment, returned, accepted, answered, corrected, closed


@dataclass
class Thread:
    """The conversation about one submission (indicator and period) or one indicator (period "")."""

    indicator: str
    period: str
    status: str = "open"  # open, returned, answered, accepted, closed
    comments: list[Comment] = field(default_factory=list)
    returned_at: datetime | None = None
    answered_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class AttachedFile:
    """A file stored by its content hash; the event records only its identity."""

    name: str
    sha256: str
    size: int
    media_type: str


@dataclass
class ActionPlan:
    """How the county means to reach an indicator's target (行动方案): text and attachments."""

    text: str
    files: list[AttachedFile]
    actor: str
    recorded_at: datetime
    version: int
    first_recorded_at: datetime | None = None  # when the indicator's first plan came, for its deadline


@dataclass
class Proposal:
    """A change of the indicator tree a county asked for (变更申请), and what became of it."""

    id: str
    kind: str  # define_indicator, revise_indicator, retire_indicator, adjust_weights
    change: dict[str, Any]  # the proposed command's content, as read and normalised
    reason: str
    proposed_by: str
    proposed_at: datetime
    status: str = "pending"  # pending, approved, rejected, withdrawn
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""
    effect_version: int | None = None  # the stream version of the event an approval recorded


def thread_key(indicator: str, period: str = "") -> str:
    return f"{indicator}|{period}"


@dataclass
class IssuedReport:
    """An annual report as issued (评估报告, ReportIssued): the instant it reflects, the hash of
    each file issued, the summary it printed and the problems it found, so that rectification
    items and consequences can name it as their cause."""

    id: str
    as_of: datetime
    content_sha256: str  # of the report's content (what the PDF prints as its own hash)
    files: dict[str, str]  # file name (report.pdf, notice.pdf, table.xlsx, ledger.xlsx) -> SHA-256
    total: Decimal
    grade: str
    rank: int | None
    region_rank: int | None
    highlights: list[dict[str, Any]]
    problems: list[dict[str, Any]]  # each: id, rule, indicator, title, serious, advice, numbers
    actor: str
    recorded_at: datetime


@dataclass
class RectificationStep:
    """One step of an item's life: raised, planned, progress, done, verified, rejected."""

    kind: str
    text: str
    files: list[AttachedFile]
    actor: str
    recorded_at: datetime
    version: int  # of the county stream: the event an auditor can open


@dataclass
class RectificationItem:
    """A rectification item (整改事项): from a report's problem or raised by an evaluator."""

    id: str
    source: str  # "report" or "evaluator"
    report_id: str | None
    problem_id: str | None
    indicator: str | None
    problem: str
    requirement: str
    deadline: str  # ISO date, Beijing day: the last day to have it verified
    answerer: str  # who answers for it (责任单位/责任人)
    status: str  # raised, in_progress, awaiting_inspection, verified
    steps: list[RectificationStep] = field(default_factory=list)
    verified_on: str | None = None  # ISO Beijing day of the verification


@dataclass
class Consequence:
    """A decided consequence (一挂钩): its kind, the rule that gave it and the facts behind it."""

    id: str
    kind: str  # commendation, interview_deputy, interview_principal, penalty_points, bonus_points
    rule: str
    causes: dict[str, Any]  # report id, as_of, grade, item ids, the stream versions of the inspections
    points: Decimal | None
    points_year: int | None
    adjustment_id: str | None
    actor: str
    recorded_at: datetime


@dataclass
class CountyYear:
    scheme: Scheme
    indicators: dict[str, IndicatorDef]
    data: dict[str, dict[str, Submission]] = field(default_factory=dict)
    overrides: dict[str, Override] = field(default_factory=dict)
    adjustments: list[Adjustment] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    responsibility: dict[str, Responsibility] = field(default_factory=dict)
    anomalies: dict[str, Anomaly] = field(default_factory=dict)
    threads: dict[str, Thread] = field(default_factory=dict)
    action_plans: dict[str, ActionPlan] = field(default_factory=dict)
    opened_at: datetime | None = None  # when the county took on this year's scheme
    defined_at: dict[str, datetime] = field(default_factory=dict)  # county-specific indicators added later
    proposals: dict[str, Proposal] = field(default_factory=dict)  # the county's change proposals, in order
    reports: dict[str, IssuedReport] = field(default_factory=dict)  # issued annual reports, in order
    rectification: dict[str, RectificationItem] = field(default_factory=dict)  # 整改事项, in order raised
    consequences: dict[str, Consequence] = field(default_factory=dict)  # decided consequences, in order
    composite_inputs: dict[str, list[Decimal]] = field(default_factory=dict)  # recorded inputs of composites

    def input_values(self) -> dict[str, Decimal | list[Decimal]]:
        """The recorded composite inputs as the formulas take them: a list for a many-valued one."""
        many = {item.code: item.many for item in self.scheme.composite_inputs}
        recorded = self.composite_inputs.items()
        return {code: values if many.get(code) else values[0] for code, values in recorded if values}

    def node_maximum(self, node: str) -> Decimal | None:
        """The highest score a node can have: its weight, or 100 for the total; None if it
        is no node of the weighted tree (unknown, retired, or a bonus/penalty category)."""
        if node == TOTAL:
            return HUNDRED
        indicator = self.indicators.get(node)
        if indicator is None or not indicator.weighted:
            return None
        return indicator.weight

    def ranked_overrides(self, node: str) -> list[Override]:
        """The node's overrides not revoked, in precedence: the higher authority first (the
        scheme's order), and among equals the latest first."""
        recorded = [override for override in self.overrides.values() if override.node == node and not override.revoked]
        order = {override.id: index for index, override in enumerate(recorded)}  # the order they were recorded
        return sorted(recorded, key=lambda o: (self.scheme.rank(o.authority), -order[o.id]))

    def fits(self, override: Override) -> bool:
        """Whether an override still fits its node: no more than the node's maximum now."""
        maximum = self.node_maximum(override.node)
        return maximum is not None and override.score <= maximum

    def active_overrides(self) -> dict[str, Override]:
        """The override standing for each node (ADR 19): of its overrides not revoked, the one
        of the highest authority in the scheme's order, the latest among equals.

        Revoking the standing one restores what stands beneath it: the next one by the same
        precedence, else the computed score. An override that no longer fits its node (its
        weight has since fallen below the score) is passed over while it does not fit: it is
        never capped, and never brought back above the node's maximum.
        """
        standing: dict[str, Override] = {}
        for node in dict.fromkeys(override.node for override in self.overrides.values()):
            for override in self.ranked_overrides(node):
                if self.fits(override):
                    standing[node] = override
                    break
        return standing
