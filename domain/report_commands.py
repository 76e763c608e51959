"""Commands on a county's annual report, its rectification items and their consequences (ADR 25, 26)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.state import AttachedFile


@dataclass(frozen=True)
class IssueReport:
    """Record a report built outside the domain (``reports``) as issued; its files are stored
    by hash before this command runs."""

    year: int
    as_of: datetime
    content_sha256: str
    files: dict[str, str]
    total: Decimal
    grade: str
    rank: int | None
    region_rank: int | None
    highlights: list[dict[str, Any]]
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class RaiseRectification:
    """From a report's problem (``report_id`` and ``problem_id``) or by an evaluator (neither)."""

    year: int
    requirement: str
    deadline: str  # ISO date
    answerer: str
    report_id: str | None = None
    problem_id: str | None = None
    indicator: str | None = None
    problem: str = ""


@dataclass(frozen=True)
class RectificationStep:
    """What the county sends at each step of an item: a text and its evidence files."""

    year: int
    item_id: str
    text: str
    files: list[AttachedFile] = field(default_factory=list)
    dry_run: bool = False  # checks the step before its evidence files are stored


# One type per step: the handlers are chosen by the command's own type.
@dataclass(frozen=True)
class FileRectificationPlan(RectificationStep):
    pass


@dataclass(frozen=True)
class ReportRectificationProgress(RectificationStep):
    pass


@dataclass(frozen=True)
class DeclareRectificationDone(RectificationStep):
    pass


@dataclass(frozen=True)
class VerifyRectification:
    year: int
    item_id: str
    comment: str


@dataclass(frozen=True)
class RejectRectification:
    year: int
    item_id: str
    reason: str


@dataclass(frozen=True)
class DecideConsequences:
    """Apply the scheme's consequence rules to the county's year as it stands on ``on``
    (a Beijing day): the latest issued report's grade and problems, and the rectification
    items' outcomes. Records only consequences not decided before (idempotent)."""

    year: int
    on: str  # ISO date
