"""What a county's verification year holds besides its registry: teams, absences, samples,
marks of higher-level sampling and recorded scores. ``Member`` is stored inside events (its
topic stays here); the rest is state folded from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.sampling import Drawn, Population
from domain.state import RectificationItem
from domain.verification_rules import SampleRules


@dataclass
class Member:
    """A member of a verification team: where they come from (a town's code, or
    ``county_office``) and the village they help (所帮扶村), if any."""

    name: str
    home: str
    helped_village: str = ""


@dataclass
class Team:
    id: str
    name: str
    members: list[Member]
    town: str | None = None
    assigned_at: datetime | None = None


@dataclass
class Absence:
    id: str
    team: str
    member: str
    kind: str  # absent, late, left_early (缺勤、迟到、早退)
    on: str  # the day, YYYY-MM-DD
    reason: str
    recorded_at: datetime
    actor: str


@dataclass
class Sample:
    town: str
    seed: str
    rules: SampleRules
    population: Population
    drawn: Drawn
    recorded_at: datetime
    actor: str


@dataclass
class ScoreRecord:
    """A sheet's score for a town or a sampled village, under an authority (县级/市级/省级)."""

    id: str
    sheet: str  # the composite input it fills
    object: str  # a town's or a village's code
    town: str
    team: str | None
    authority: str
    checked_on: str
    items: dict[str, Decimal]
    score: Decimal  # as recorded, before deductions for absences
    reason: str
    recorded_at: datetime
    actor: str
    revoked: bool = False
    revoked_at: datetime | None = None
    revoke_reason: str = ""


@dataclass
class HigherSampling:
    """A town or village the province or city sampled (以省或市考核组的考核结果为准)."""

    object: str
    authority: str
    reason: str
    recorded_at: datetime


@dataclass
class TownNotice:
    """A town's issued result notice (核查结果通报): what it showed and the hashes of its bytes."""

    id: str
    town: str
    as_of: datetime
    content_sha256: str
    file_sha256: str
    result: Decimal | None
    grade: str | None
    rank: int | None
    problems: list[dict[str, Any]]
    actor: str
    recorded_at: datetime


@dataclass
class TownConsequence:
    """A decided consequence for a town (表扬、约谈): the rule that gave it and the facts behind it."""

    id: str
    town: str
    kind: str
    rule: str
    causes: dict[str, Any]
    actor: str
    recorded_at: datetime


@dataclass
class VerificationBook:
    teams: dict[str, Team] = field(default_factory=dict)
    absences: list[Absence] = field(default_factory=list)
    samples: dict[str, Sample] = field(default_factory=dict)
    higher: list[HigherSampling] = field(default_factory=list)
    scores: dict[str, ScoreRecord] = field(default_factory=dict)
    # the use of the results (004 八–九): notices, consequences, rectification items and their towns
    notices: dict[str, TownNotice] = field(default_factory=dict)
    consequences: dict[str, TownConsequence] = field(default_factory=dict)
    rectification: dict[str, RectificationItem] = field(default_factory=dict)
    item_towns: dict[str, str] = field(default_factory=dict)

    def team_of_town(self, town: str) -> Team | None:
        return next((team for team in self.teams.values() if team.town == town), None)

    def marked(self, code: str, authority: str) -> bool:
        return any(mark.object == code and mark.authority == authority for mark in self.higher)
