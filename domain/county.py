"""The county stream: one aggregate per enrolled county, its consistency boundary.

Every command is checked against the county's whole recorded state before any event
is triggered, so a refused command leaves no trace and an accepted one is complete.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import commands as c
from domain import consequences, indicators, intake, overrides, proposals, rectification, reports, review
from domain.chain import GENESIS, digest
from domain.errors import InvalidCommand
from domain.handlers import COMMAND_HANDLERS, check_enrolment
from domain.scheme import TOTAL, IndicatorDef, Scheme
from domain.state import (
    AttachedFile,
    CountyYear,
)

COUNTY_NAMESPACE = uuid5(NAMESPACE_URL, "https://ruraleval.cn/county")


@lru_cache(maxsize=8192)  # every request names a county: SHA-1 once per code, not per request
def county_id(code: str) -> UUID:
    """The stream id of a county, derived from its 6-digit administrative code."""
    return uuid5(COUNTY_NAMESPACE, code)


class County(Aggregate):
    """A county enrolled in the evaluation, with one book per scheme year."""

    class Event(Aggregate.Event):
        actor: str
        correlation_id: str
        previous_hash: str
        event_hash: str

        def mutate(self, aggregate: Any) -> Any:
            changed: Any = super().mutate(aggregate)
            changed.chain_head = self.event_hash
            return changed

    class Enrolled(Event, Aggregate.Created):
        code: str
        name: str
        province: str
        region: str
        scheme: Scheme

    def __init__(self, code: str, name: str, province: str, region: str, scheme: Scheme) -> None:
        self.code = code
        self.name = name
        self.province = province
        self.region = region
        self.years: dict[str, CountyYear] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}
        # [key, correlation id, instant] of the latest submission, if keyed: what its command records
        # after it is noted on the key (``intake.note_follow_up``). A list, as a snapshot gives it
        # back; absent from snapshots taken before it was kept.
        self.keyed_submission: list[str] | None = None
        self.chain_head = GENESIS  # the event_hash of the latest event
        self._open_year(scheme, self.created_on)

    @classmethod
    def enrol(cls, command: c.EnrolCounty, context: c.Context) -> County:
        check_enrolment(command)
        stream = county_id(command.code)
        timestamp = context.recorded_at or cls.Enrolled.create_timestamp()
        fields: dict[str, Any] = {
            "actor": context.actor,
            "correlation_id": context.correlation_id,
            "previous_hash": GENESIS,
            "code": command.code,
            "name": command.name.strip(),
            "province": command.province.strip(),
            "region": command.region,
            "scheme": command.scheme,
        }
        chained = digest(cls.Enrolled.__qualname__, stream, 1, timestamp, fields)
        return cls._create(cls.Enrolled, id=stream, timestamp=timestamp, event_hash=chained, **fields)

    def _open_year(self, scheme: Scheme, opened_at: datetime) -> None:
        self.years[str(scheme.year)] = CountyYear(
            scheme=scheme,
            indicators={indicator.code: replace(indicator) for indicator in scheme.indicators},
            opened_at=opened_at,
        )

    # ----------------------------------------------------------------- lookups

    def book(self, year: int | None, field: str = "year") -> CountyYear:
        """The book of a scheme year; the latest adopted year when none is named."""
        if year is None:
            year = self.latest_year
        book = self.years.get(str(year))
        if book is None:
            adopted = "、".join(sorted(self.years)) or "无"
            raise InvalidCommand.of(
                field, "scheme_year", f"{self.name}没有 {year} 年度的评估方案（已采用年度：{adopted}）"
            )
        return book

    @property
    def latest_year(self) -> int:
        return max(int(year) for year in self.years)

    # ---------------------------------------------------------------- commands

    def handle(self, command: c.CountyCommand, context: c.Context) -> dict[str, Any]:
        """Checks a command against the recorded state and records its events."""
        handler = COMMAND_HANDLERS[type(command)]
        result: dict[str, Any] = handler(self, command, context) or {}
        return result

    def record(self, event_class: type[Event], context: c.Context, **fields: Any) -> None:
        # Recorded time never runs backwards within a stream, whatever the writers' clocks.
        timestamp = max(context.recorded_at or event_class.create_timestamp(), self.modified_on)
        fields.update(actor=context.actor, correlation_id=context.correlation_id, previous_hash=self.chain_head)
        chained = digest(event_class.__qualname__, self.id, self.version + 1, timestamp, fields)
        self.trigger_event(event_class, timestamp=timestamp, event_hash=chained, **fields)

    # ------------------------------------------------------------------ events
    # Nested here for good: their topics (domain.county:County.<Event>) and qualnames are
    # stored and hashed by the chain. What each one changes lives beside its commands.

    class SchemeAdopted(Event):
        scheme: Scheme

        def apply(self, county: County) -> None:
            county._open_year(self.scheme, self.timestamp)

    class IndicatorDefined(Event):
        year: int
        indicator: IndicatorDef
        sibling_weights: dict[str, Decimal]
        reason: str

        def apply(self, county: County) -> None:
            indicators.apply_defined(county.years[str(self.year)], self)

    class IndicatorRevised(Event):
        year: int
        indicator: IndicatorDef
        reason: str

        def apply(self, county: County) -> None:
            county.years[str(self.year)].indicators[self.indicator.code] = replace(self.indicator)

    class IndicatorRetired(Event):
        year: int
        code: str
        sibling_weights: dict[str, Decimal]
        reason: str

        def apply(self, county: County) -> None:
            indicators.apply_retired(county.years[str(self.year)], self)

    class WeightsAdjusted(Event):
        year: int
        parent: str | None
        weights: dict[str, Decimal]
        previous: dict[str, Decimal]
        reason: str

        def apply(self, county: County) -> None:
            indicators.set_weights(county.years[str(self.year)], self.weights)

    class ResponsibilityAssigned(Event):
        year: int
        indicator: str
        department: str
        person: str

        def apply(self, county: County) -> None:
            indicators.apply_responsibility(county.years[str(self.year)], self)

    class DataSubmitted(Event):
        indicator: str
        period: str
        value: Decimal
        source: str
        idempotency_key: str | None

        def apply(self, county: County) -> None:
            intake.apply_submitted(county, self)

    class DataCorrected(Event):
        indicator: str
        period: str
        value: Decimal
        previous: Decimal
        reason: str

        def apply(self, county: County) -> None:
            intake.apply_corrected(county.years[self.period[:4]], self)

    class SubmissionWithdrawn(Event):
        indicator: str
        period: str
        previous: Decimal
        reason: str

        def apply(self, county: County) -> None:
            intake.apply_withdrawn(county.years[self.period[:4]], self)

    class ScoreOverridden(Event):
        year: int
        override_id: str
        node: str
        score: Decimal
        authority: str
        reason: str

        def apply(self, county: County) -> None:
            overrides.apply_overridden(county.years[str(self.year)], self)

    class OverrideRevoked(Event):
        year: int
        override_id: str
        node: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[str(self.year)].overrides[self.override_id].revoked = True

    class PointsAdjusted(Event):
        year: int
        adjustment_id: str
        points: Decimal
        category: str
        reason: str

        def apply(self, county: County) -> None:
            overrides.apply_points(county.years[str(self.year)], self)

    class PointsRevoked(Event):
        year: int
        adjustment_id: str
        points: Decimal
        category: str
        reason: str

        def apply(self, county: County) -> None:
            overrides.apply_points_revoked(county.years[str(self.year)], self)

    class CompositeInputRecorded(Event):
        year: int
        input: str
        values: list[Decimal]
        reason: str

        def apply(self, county: County) -> None:
            county.years[str(self.year)].composite_inputs[self.input] = list(self.values)

    class AnomalyFlagged(Event):
        indicator: str
        period: str
        value: Decimal
        method: str
        measure: Decimal
        message: str

        def apply(self, county: County) -> None:
            intake.apply_flagged(county.years[self.period[:4]], self)
            intake.note_follow_up(county, self)

    class AnomalyConfirmed(Event):
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            intake.apply_confirmed(county.years[self.period[:4]], self)
            intake.note_follow_up(county, self)

    class SubmissionAccepted(Event):
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            review.apply_accepted(county.years[self.period[:4]], self)

    class SubmissionReturned(Event):
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            review.apply_returned(county.years[self.period[:4]], self)

    class FeedbackPosted(Event):
        year: int
        indicator: str
        period: str
        side: str
        comment: str

        def apply(self, county: County) -> None:
            review.apply_feedback(county.years[str(self.year)], self)
            intake.note_follow_up(county, self)

    class FeedbackThreadClosed(Event):
        year: int
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            review.apply_closed(county.years[str(self.year)], self)

    class ActionPlanRecorded(Event):
        year: int
        indicator: str
        text: str
        files: list[AttachedFile]

        def apply(self, county: County) -> None:
            review.apply_action_plan(county.years[str(self.year)], self)

    class BatchReceived(Event):
        channel: str
        key: str
        fingerprint: str
        filename: str
        rows: int
        submitted: int
        corrected: int
        unchanged: int
        flagged: int
        confirmed: int

        def apply(self, county: County) -> None:
            intake.apply_batch(county, self)

    class PeriodClosed(Event):
        period: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[self.period[:4]].closed.append(self.period)

    class PeriodReopened(Event):
        period: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[self.period[:4]].closed.remove(self.period)

    class ChangeProposed(Event):
        year: int
        proposal_id: str
        kind: str
        change: dict[str, Any]
        reason: str

        def apply(self, county: County) -> None:
            proposals.apply_proposed(county.years[str(self.year)], self)

    class ProposalApproved(Event):
        year: int
        proposal_id: str
        reason: str

        def apply(self, county: County) -> None:
            proposals.apply_decided(county.years[str(self.year)], self, "approved")

    class ProposalRejected(Event):
        year: int
        proposal_id: str
        reason: str

        def apply(self, county: County) -> None:
            proposals.apply_decided(county.years[str(self.year)], self, "rejected")

    class ProposalWithdrawn(Event):
        year: int
        proposal_id: str
        reason: str

        def apply(self, county: County) -> None:
            proposals.apply_decided(county.years[str(self.year)], self, "withdrawn")

    # The annual report, rectification and consequences (数据分析及应用; ADR 25, 26).

    class ReportIssued(Event):
        year: int
        report_id: str
        as_of: datetime
        content_sha256: str
        files: dict[str, str]
        total: Decimal
        grade: str
        rank: int | None
        region_rank: int | None
        highlights: list[dict[str, Any]]
        problems: list[dict[str, Any]]

        def apply(self, county: County) -> None:
            reports.apply_issued(county.years[str(self.year)], self)

    class RectificationRaised(Event):
        year: int
        item_id: str
        source: str
        report_id: str | None
        problem_id: str | None
        indicator: str | None
        problem: str
        requirement: str
        deadline: str
        answerer: str

        def apply(self, county: County) -> None:
            rectification.apply_raised(county.years[str(self.year)], self)

    class RectificationPlanFiled(Event):
        year: int
        item_id: str
        text: str
        files: list[AttachedFile]

        def apply(self, county: County) -> None:
            rectification.apply_step(county.years[str(self.year)], self, "plan")

    class RectificationProgressReported(Event):
        year: int
        item_id: str
        text: str
        files: list[AttachedFile]

        def apply(self, county: County) -> None:
            rectification.apply_step(county.years[str(self.year)], self, "progress")

    class RectificationDeclaredDone(Event):
        year: int
        item_id: str
        text: str
        files: list[AttachedFile]

        def apply(self, county: County) -> None:
            rectification.apply_step(county.years[str(self.year)], self, "done")

    class RectificationVerified(Event):
        year: int
        item_id: str
        comment: str
        verified_on: str

        def apply(self, county: County) -> None:
            rectification.apply_verified(county.years[str(self.year)], self)

    class RectificationRejected(Event):
        year: int
        item_id: str
        reason: str

        def apply(self, county: County) -> None:
            rectification.apply_step(county.years[str(self.year)], self, "rejected")

    class ConsequenceDecided(Event):
        year: int
        consequence_id: str
        kind: str
        rule: str
        causes: dict[str, Any]
        points: Decimal | None
        points_year: int | None
        adjustment_id: str | None

        def apply(self, county: County) -> None:
            consequences.apply_decided(county.years[str(self.year)], self)


# Events about the conversation around data, not the data: no score moves with them.
SCORELESS_EVENTS: tuple[type[County.Event], ...] = (
    County.AnomalyFlagged,
    County.AnomalyConfirmed,
    County.SubmissionAccepted,
    County.SubmissionReturned,
    County.FeedbackPosted,
    County.FeedbackThreadClosed,
    County.ActionPlanRecorded,
    County.BatchReceived,
    County.ChangeProposed,
    County.ProposalApproved,  # the approved change follows as its own event
    County.ProposalRejected,
    County.ProposalWithdrawn,
    County.ReportIssued,
    County.RectificationRaised,
    County.RectificationPlanFiled,
    County.RectificationProgressReported,
    County.RectificationDeclaredDone,
    County.RectificationVerified,
    County.RectificationRejected,
    County.ConsequenceDecided,  # its points follow as their own PointsAdjusted in the next year
)
# Events about proposals: shown in the score history of the nodes they concern.
PROPOSAL_EVENTS: tuple[type[County.Event], ...] = (
    County.ChangeProposed,
    County.ProposalApproved,
    County.ProposalRejected,
    County.ProposalWithdrawn,
)


__all__ = ["COMMAND_HANDLERS", "TOTAL", "County", "county_id"]
