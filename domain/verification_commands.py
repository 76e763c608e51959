"""Commands on a county's verification year (ADR 27). Imperative names; plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain import report_commands as rc
from domain.scheme import Scheme
from domain.towns import Household, Town, Village
from domain.verification_state import Member


@dataclass(frozen=True)
class OpenVerification:
    """Start a verification year with the county's own scheme (object ``town``)."""

    scheme: Scheme


@dataclass(frozen=True)
class RegisterObjects:
    """Register towns, villages and households: all of them, or none (a workbook at once)."""

    towns: list[Town] = field(default_factory=list)
    villages: list[Village] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    source: str = "form"
    filename: str = ""
    places: dict[str, str] = field(default_factory=dict)  # entry → "sheet, row" for a workbook's refusals


@dataclass(frozen=True)
class CorrectRegisteredObject:
    """Correct a registered entry, with a reason: a town's name, a village's name or poverty-relief
    mark, a household's head or flags (``None``: unchanged)."""

    code: str
    reason: str
    name: str | None = None
    poverty_relief: bool | None = None
    head: str | None = None
    flags: list[str] | None = None


@dataclass(frozen=True)
class FormTeam:
    team_id: str
    name: str
    members: list[Member]


@dataclass(frozen=True)
class AssignTeam:
    team_id: str
    town: str


@dataclass(frozen=True)
class RecordAbsence:
    absence_id: str
    team_id: str
    member: str
    kind: str
    on: str
    reason: str


@dataclass(frozen=True)
class DrawSample:
    town: str
    seed: str


@dataclass(frozen=True)
class MarkSampledByHigherLevel:
    object: str  # a town's or a village's code
    authority: str
    reason: str


@dataclass(frozen=True)
class RecordTownScore:
    """A sheet's score for a town or a sampled village: every item's points, or the score itself."""

    score_id: str
    sheet: str
    object: str
    authority: str
    checked_on: str
    team_id: str | None = None
    items: dict[str, Decimal] = field(default_factory=dict)
    score: Decimal | None = None
    reason: str = ""


@dataclass(frozen=True)
class RevokeTownScore:
    score_id: str
    reason: str


# ------------------------------------------------- use of the results (004 八–九)


@dataclass(frozen=True)
class IssueTownNotice:
    """Record a town's result notice built outside the domain (``reports``), stored by hash first."""

    town: str
    as_of: datetime
    content_sha256: str
    file_sha256: str
    result: Decimal | None
    grade: str | None
    rank: int | None
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class DecideTownConsequences:
    """Apply the scheme's grade rules (``consequences.by_report``) to the town's latest notice."""

    town: str


@dataclass(frozen=True)
class RaiseTownRectification:
    """An item for a town: from a problem of its latest notice (``problem_id``) or in words."""

    town: str
    requirement: str
    deadline: str
    answerer: str
    problem_id: str | None = None
    problem: str = ""


VerificationCommand = (
    IssueTownNotice
    | DecideTownConsequences
    | RaiseTownRectification
    | rc.FileRectificationPlan
    | rc.ReportRectificationProgress
    | rc.DeclareRectificationDone
    | rc.VerifyRectification
    | rc.RejectRectification
    | RegisterObjects
    | CorrectRegisteredObject
    | FormTeam
    | AssignTeam
    | RecordAbsence
    | DrawSample
    | MarkSampledByHigherLevel
    | RecordTownScore
    | RevokeTownScore
)
