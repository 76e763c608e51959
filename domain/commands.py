"""Commands: what users ask of a county stream. Imperative names; plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.inputs import is_county_code as is_county_code  # the rule lives with the others (ADR 17)

# Imported for CountyCommand below; everyone else imports them from domain.report_commands.
from domain.report_commands import (
    DecideConsequences,
    DeclareRectificationDone,
    FileRectificationPlan,
    IssueReport,
    RaiseRectification,
    RejectRectification,
    ReportRectificationProgress,
    VerifyRectification,
)
from domain.scheme import AUTHORITIES as AUTHORITIES  # re-exported: defined here at first
from domain.scheme import AUTHORITY_LABELS as AUTHORITY_LABELS
from domain.scheme import Scheme
from domain.state import AttachedFile

REGIONS = ("east", "central", "west")
REGION_LABELS = {"east": "东部", "central": "中部", "west": "西部"}


@dataclass(frozen=True)
class DataScope:
    """Inside a county: only the indicators of these departments, or of this list.

    A caller may write an indicator named in ``indicators`` or one whose responsible
    department is among ``departments`` (a person may answer for several).
    """

    departments: frozenset[str] = frozenset()
    indicators: frozenset[str] = frozenset()

    def allows(self, indicator: str, department: str | None) -> bool:
        """May write ``indicator``, for which ``department`` answers (None: nobody yet)?"""
        return indicator in self.indicators or (department is not None and department in self.departments)


@dataclass(frozen=True)
class Context:
    """Who asks, under which correlation id, within which data scope, recorded when."""

    actor: str
    correlation_id: str
    recorded_at: datetime | None = None
    data_scope: DataScope | None = None


@dataclass(frozen=True)
class EnrolCounty:
    code: str
    name: str
    province: str
    region: str
    scheme: Scheme


@dataclass(frozen=True)
class AdoptScheme:
    scheme: Scheme


@dataclass(frozen=True)
class DefineIndicator:
    definition: dict[str, Any]
    reason: str
    sibling_weights: dict[str, Decimal] = field(default_factory=dict)
    year: int | None = None


@dataclass(frozen=True)
class ReviseIndicator:
    code: str
    changes: dict[str, Any]
    reason: str
    year: int | None = None


@dataclass(frozen=True)
class RetireIndicator:
    code: str
    reason: str
    sibling_weights: dict[str, Decimal] = field(default_factory=dict)
    year: int | None = None


@dataclass(frozen=True)
class AdjustWeights:
    parent: str | None
    weights: dict[str, Decimal]
    reason: str
    year: int | None = None


@dataclass(frozen=True)
class AssignResponsibility:
    indicator: str
    department: str
    person: str = ""
    year: int | None = None


@dataclass(frozen=True)
class SubmitData:
    indicator: str
    period: str
    value: Decimal
    source: str = "form"
    idempotency_key: str | None = None
    comment: str = ""  # given with a value that is flagged, it confirms the value at once
    reason: str = ""  # a value that replaces a standing one is a correction: it needs a reason
    may_correct: bool = False  # whether the caller holds the correction right for this county


@dataclass(frozen=True)
class BatchRow:
    """One row of a file or of a JSON batch; ``row`` is its number there, for reports."""

    row: int
    indicator: str
    period: str
    value: Decimal
    comment: str = ""
    reason: str = ""  # required when the row changes a value already standing


@dataclass(frozen=True)
class SubmitBatch:
    """Many values at once, all or nothing (a workbook, a CSV file, a machine batch).

    ``key`` names the batch (the file's hash, or the client's idempotency key); the same
    key with the same ``fingerprint`` again is answered as before and stores nothing.
    """

    rows: tuple[BatchRow, ...]
    channel: str  # "import" or "api"
    key: str
    fingerprint: str
    filename: str = ""
    dry_run: bool = False
    may_correct: bool = False


@dataclass(frozen=True)
class ConfirmAnomaly:
    indicator: str
    period: str
    comment: str


@dataclass(frozen=True)
class ReviewSubmission:
    indicator: str
    period: str
    decision: str  # "accept" or "return"
    comment: str = ""


@dataclass(frozen=True)
class PostFeedback:
    indicator: str
    period: str  # "" for a thread about the indicator as a whole
    side: str  # "county" or "evaluator"
    comment: str
    year: int | None = None


@dataclass(frozen=True)
class CloseThread:
    indicator: str
    period: str
    comment: str = ""
    year: int | None = None


@dataclass(frozen=True)
class RecordActionPlan:
    indicator: str
    text: str
    files: tuple[AttachedFile, ...] = ()
    year: int | None = None
    dry_run: bool = False  # checks the plan before its files are stored


@dataclass(frozen=True)
class CorrectData:
    indicator: str
    period: str
    value: Decimal
    reason: str


@dataclass(frozen=True)
class WithdrawSubmission:
    indicator: str
    period: str
    reason: str


@dataclass(frozen=True)
class OverrideScore:
    year: int
    node: str
    score: Decimal
    authority: str
    reason: str
    override_id: str


@dataclass(frozen=True)
class RevokeOverride:
    override_id: str
    reason: str


@dataclass(frozen=True)
class AdjustPoints:
    year: int
    points: Decimal
    category: str
    reason: str
    adjustment_id: str


@dataclass(frozen=True)
class RevokePoints:
    adjustment_id: str
    reason: str


@dataclass(frozen=True)
class RecordCompositeInput:
    """A score from outside the indicator tree that the scheme's composites use (ADR 4, 27)."""

    input: str
    values: list[Decimal]
    reason: str = ""
    year: int | None = None


@dataclass(frozen=True)
class ClosePeriod:
    period: str
    reason: str = ""


@dataclass(frozen=True)
class ReopenPeriod:
    period: str
    reason: str


@dataclass(frozen=True)
class ProposeChange:
    """A county asks for a change of its indicator tree; it counts once an evaluator approves it.

    ``kind``: define_indicator, revise_indicator, retire_indicator or adjust_weights;
    ``change``: that command's content (``domain.proposals.read_change``).
    """

    kind: str
    change: dict[str, Any]
    reason: str
    year: int | None = None


@dataclass(frozen=True)
class ApproveProposal:
    proposal_id: str
    reason: str


@dataclass(frozen=True)
class RejectProposal:
    proposal_id: str
    reason: str


@dataclass(frozen=True)
class WithdrawProposal:
    proposal_id: str
    reason: str


CountyCommand = (
    AdoptScheme
    | DefineIndicator
    | ReviseIndicator
    | RetireIndicator
    | AdjustWeights
    | AssignResponsibility
    | SubmitData
    | SubmitBatch
    | ConfirmAnomaly
    | ReviewSubmission
    | PostFeedback
    | CloseThread
    | RecordActionPlan
    | CorrectData
    | WithdrawSubmission
    | OverrideScore
    | RevokeOverride
    | AdjustPoints
    | RevokePoints
    | RecordCompositeInput
    | ClosePeriod
    | ReopenPeriod
    | ProposeChange
    | ApproveProposal
    | RejectProposal
    | WithdrawProposal
    | IssueReport
    | RaiseRectification
    | FileRectificationPlan
    | ReportRectificationProgress
    | DeclareRectificationDone
    | VerifyRectification
    | RejectRectification
    | DecideConsequences
)
