"""A county's verification of its towns in one year (核查, 004): one aggregate per county and
year (ADR 27), hash-chained like the county stream (ADR 11).

It holds the year's verification scheme, the registry (towns, villages, households), the
teams and their assignments, absences, samples, marks of higher-level sampling and scores.
Every rule that spans them (a team never checks a town its members come from; one team per
town; a sample draws from the town's registered villages; a score needs the town's team and
its sample) is judged here, against the whole year, before any event is recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import rectification
from domain.chain import GENESIS, digest
from domain.commands import Context
from domain.sampling import Drawn, Population
from domain.scheme import Scheme
from domain.state import AttachedFile
from domain.towns import Household, Registry, Town, Village
from domain.verification_rules import SampleRules
from domain.verification_state import (
    Absence,
    HigherSampling,
    Member,
    Sample,
    ScoreRecord,
    Team,
    TownConsequence,
    TownNotice,
    VerificationBook,
)

VERIFICATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://ruraleval.cn/town-verification")


def verification_id(code: str, year: int) -> UUID:
    """The stream of a county's verification year, derived from its code and the year."""
    return uuid5(VERIFICATION_NAMESPACE, f"{code}/{year}")


class TownVerification(Aggregate):
    """A county's verification of its towns in one year."""

    class Event(Aggregate.Event):
        actor: str
        correlation_id: str
        previous_hash: str
        event_hash: str

        def mutate(self, aggregate: Any) -> Any:
            changed: Any = super().mutate(aggregate)
            changed.chain_head = self.event_hash
            return changed

    class Opened(Event, Aggregate.Created):
        county_code: str
        county_name: str
        year: int
        scheme: Scheme

    def __init__(self, county_code: str, county_name: str, year: int, scheme: Scheme) -> None:
        self.county_code = county_code
        self.county_name = county_name
        self.year = year
        self.scheme = scheme
        self.registry = Registry()
        self.book = VerificationBook()
        self.chain_head = GENESIS

    @classmethod
    def open(cls, county_code: str, county_name: str, scheme: Scheme, context: Context) -> TownVerification:
        stream = verification_id(county_code, scheme.year)
        timestamp = context.recorded_at or cls.Opened.create_timestamp()
        fields: dict[str, Any] = {
            "actor": context.actor,
            "correlation_id": context.correlation_id,
            "previous_hash": GENESIS,
            "county_code": county_code,
            "county_name": county_name,
            "year": scheme.year,
            "scheme": scheme,
        }
        chained = digest(cls.Opened.__qualname__, stream, 1, timestamp, fields)
        return cls._create(cls.Opened, id=stream, timestamp=timestamp, event_hash=chained, **fields)

    def record(self, event_class: type[Event], context: Context, **fields: Any) -> None:
        timestamp = max(context.recorded_at or event_class.create_timestamp(), self.modified_on)
        fields.update(actor=context.actor, correlation_id=context.correlation_id, previous_hash=self.chain_head)
        chained = digest(event_class.__qualname__, self.id, self.version + 1, timestamp, fields)
        self.trigger_event(event_class, timestamp=timestamp, event_hash=chained, **fields)

    # ------------------------------------------------------------------ events

    class ObjectsRegistered(Event):
        towns: list[Town]
        villages: list[Village]
        households: list[Household]
        source: str  # form or workbook
        filename: str

        def apply(self, verification: TownVerification) -> None:
            registry = verification.registry
            registry.towns.update({town.code: replace(town) for town in self.towns})
            registry.villages.update({village.code: replace(village) for village in self.villages})
            registry.households.update({h.code: replace(h, flags=list(h.flags)) for h in self.households})

    class ObjectCorrected(Event):
        """A registered entry corrected, with a reason (``domain.registry_correction``)."""

        kind: str  # town, village or household
        code: str
        changes: dict[str, Any]
        reason: str

        def apply(self, verification: TownVerification) -> None:
            verification.registry.correct(self.kind, self.code, self.changes)

    class TeamFormed(Event):
        team_id: str
        name: str
        members: list[Member]

        def apply(self, verification: TownVerification) -> None:
            members = [replace(member) for member in self.members]
            verification.book.teams[self.team_id] = Team(self.team_id, self.name, members)

    class TeamAssigned(Event):
        team_id: str
        town: str

        def apply(self, verification: TownVerification) -> None:
            team = verification.book.teams[self.team_id]
            team.town, team.assigned_at = self.town, self.timestamp

    class AbsenceRecorded(Event):
        absence_id: str
        team_id: str
        member: str
        kind: str
        on: str
        reason: str

        def apply(self, verification: TownVerification) -> None:
            verification.book.absences.append(
                Absence(
                    self.absence_id,
                    self.team_id,
                    self.member,
                    self.kind,
                    self.on,
                    self.reason,
                    self.timestamp,
                    self.actor,
                )
            )

    class SampleDrawn(Event):
        town: str
        seed: str
        rules: SampleRules
        population: Population
        drawn: Drawn

        def apply(self, verification: TownVerification) -> None:
            verification.book.samples[self.town] = Sample(
                self.town, self.seed, self.rules, self.population, self.drawn, self.timestamp, self.actor
            )

    class SampledByHigherLevel(Event):
        object: str
        authority: str
        reason: str

        def apply(self, verification: TownVerification) -> None:
            verification.book.higher.append(HigherSampling(self.object, self.authority, self.reason, self.timestamp))

    class ScoreRecorded(Event):
        score_id: str
        sheet: str
        object: str
        town: str
        team_id: str | None
        authority: str
        checked_on: str
        items: dict[str, Decimal]
        score: Decimal
        reason: str

        def apply(self, verification: TownVerification) -> None:
            verification.book.scores[self.score_id] = ScoreRecord(
                self.score_id,
                self.sheet,
                self.object,
                self.town,
                self.team_id,
                self.authority,
                self.checked_on,
                dict(self.items),
                self.score,
                self.reason,
                self.timestamp,
                self.actor,
            )

    class ScoreRevoked(Event):
        score_id: str
        reason: str

        def apply(self, verification: TownVerification) -> None:
            record = verification.book.scores[self.score_id]
            record.revoked, record.revoked_at, record.revoke_reason = True, self.timestamp, self.reason

    # ------------------------------------------- use of the results (004 八–九; ADR 26, 27)

    class TownNoticeIssued(Event):
        """A town's result notice (核查结果通报), stored by hash before this event."""

        notice_id: str
        town: str
        as_of: datetime
        content_sha256: str
        file_sha256: str
        result: Decimal | None
        grade: str | None
        rank: int | None
        problems: list[dict[str, Any]]

        def apply(self, verification: TownVerification) -> None:
            verification.book.notices[self.notice_id] = TownNotice(
                self.notice_id, self.town, self.as_of, self.content_sha256, self.file_sha256, self.result,
                self.grade, self.rank, [dict(p) for p in self.problems], self.actor, self.timestamp,
            )  # fmt: skip

    class TownConsequenceDecided(Event):
        consequence_id: str
        town: str
        kind: str
        rule: str
        causes: dict[str, Any]

        def apply(self, verification: TownVerification) -> None:
            verification.book.consequences[self.consequence_id] = TownConsequence(
                self.consequence_id, self.town, self.kind, self.rule, dict(self.causes), self.actor, self.timestamp
            )

    class TownRectificationRaised(Event):
        town: str
        item_id: str
        source: str  # notice or county
        report_id: str | None  # the town's result notice it follows from
        problem_id: str | None
        indicator: str | None
        problem: str
        requirement: str
        deadline: str
        answerer: str

        def apply(self, verification: TownVerification) -> None:
            rectification.apply_raised(verification.book, self)
            verification.book.item_towns[self.item_id] = self.town

    class TownRectificationPlanFiled(Event):
        item_id: str
        text: str
        files: list[AttachedFile]

        def apply(self, verification: TownVerification) -> None:
            rectification.apply_step(verification.book, self, "plan")

    class TownRectificationProgressReported(Event):
        item_id: str
        text: str
        files: list[AttachedFile]

        def apply(self, verification: TownVerification) -> None:
            rectification.apply_step(verification.book, self, "progress")

    class TownRectificationDeclaredDone(Event):
        item_id: str
        text: str
        files: list[AttachedFile]

        def apply(self, verification: TownVerification) -> None:
            rectification.apply_step(verification.book, self, "done")

    class TownRectificationVerified(Event):
        item_id: str
        comment: str
        verified_on: str

        def apply(self, verification: TownVerification) -> None:
            rectification.apply_verified(verification.book, self)

    class TownRectificationRejected(Event):
        item_id: str
        reason: str

        def apply(self, verification: TownVerification) -> None:
            rectification.apply_step(verification.book, self, "rejected")
