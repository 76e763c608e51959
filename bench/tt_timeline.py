"""Three years of recorded time for the time-travel bench, and loading it through the ledger.

Every command carries an explicit recorded instant. The centre publishes the first
scheme and enrols the counties in December 2022, and each later scheme in mid-December
before its year (every county adopts it at once). Each month's data is recorded between
the 5th and the 12th of the following month; a share of the submissions is corrected
one day to three months later; a few overrides per year are recorded (some revoked
later). The steps are loaded in recorded-time order, so the log's order is the
recorded order.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench import scheme
from domain import commands as c
from domain.errors import DomainError
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from ruraleval.ledger import Ledger, Outcome

FIRST_YEAR = 2023
SETUP_AT = datetime(FIRST_YEAR - 1, 12, 1, 1, tzinfo=UTC)
CENTRE = "bench.centre"
DIMENSION_CODES = tuple(str(d) for d in range(1, scheme.DIMENSIONS + 1))
CHUNK = 5_000  # futures awaited at a time while loading

Command = c.CountyCommand | c.EnrolCounty | Scheme


@dataclass(frozen=True)
class Step:
    at: datetime
    code: str  # the county ("" for a scheme publication)
    command: Command
    actor: str


@dataclass
class Timeline:
    steps: list[Step]
    years: list[int]
    counts: Counter[str] = field(default_factory=Counter)  # steps by command type

    @property
    def first(self) -> datetime:
        return self.steps[0].at

    @property
    def last(self) -> datetime:
        return self.steps[-1].at


def years_of(months: int) -> list[int]:
    return sorted({FIRST_YEAR + index // 12 for index in range(months)})


def build(codes: list[str], months: int, seed: int, correction_rate: float, overrides_per_year: int) -> Timeline:
    """Every step of the run, sorted by recorded instant (ties keep their order of creation)."""
    rng = random.Random(seed)
    years = years_of(months)
    schemes = {year: parse_scheme(scheme.scheme_document(year)) for year in years}
    steps = _setup(codes, schemes)
    for index in range(months):
        year, month = FIRST_YEAR + index // 12, index % 12 + 1
        steps += _month(rng, codes, year, month, correction_rate)
    for year in years:
        steps += _overrides(rng, codes, year, overrides_per_year, schemes[year])
    steps.sort(key=lambda step: step.at)
    return Timeline(steps, years, Counter(type(step.command).__name__ for step in steps))


def _setup(codes: list[str], schemes: dict[int, Scheme]) -> list[Step]:
    first = schemes[FIRST_YEAR]
    steps = [Step(SETUP_AT, "", first, CENTRE)]
    for number, code in enumerate(codes, start=1):
        body = scheme.county_body(code)
        enrol = c.EnrolCounty(code, body["name"], body["province"], body["region"], first)
        steps.append(Step(SETUP_AT + timedelta(seconds=number), code, enrol, CENTRE))
    for year, published in schemes.items():
        if year == FIRST_YEAR:
            continue
        at = datetime(year - 1, 12, 15, 2, tzinfo=UTC)
        steps.append(Step(at, "", published, CENTRE))
        steps += [
            Step(at + timedelta(seconds=number), code, c.AdoptScheme(published), CENTRE)
            for number, code in enumerate(codes, start=1)
        ]
    return steps


def _month(rng: random.Random, codes: list[str], year: int, month: int, correction_rate: float) -> list[Step]:
    """A month's submissions, recorded on the 5th-12th of the next month, and their corrections."""
    period = f"{year}-{month:02d}"
    opens = datetime(year + month // 12, month % 12 + 1, 5, tzinfo=UTC)
    window = timedelta(days=8).total_seconds()
    steps = []
    for code in codes:
        for indicator in scheme.indicator_codes():
            at = opens + timedelta(seconds=rng.uniform(0, window))
            value = Decimal(scheme.value(rng, indicator))
            steps.append(Step(at, code, c.SubmitData(indicator, period, value), f"county.{code}"))
            if rng.random() < correction_rate:
                later = at + timedelta(days=rng.uniform(1, 90))
                corrected = Decimal(scheme.value(rng, indicator))
                correct = c.CorrectData(indicator, period, corrected, "核查更正")
                steps.append(Step(later, code, correct, CENTRE))
    return steps


def _overrides(rng: random.Random, codes: list[str], year: int, count: int, published: Scheme) -> list[Step]:
    """Overrides of the total, a dimension or an indicator during the year; about 40% revoked later."""
    weights = {indicator.code: indicator.weight for indicator in published.indicators}
    start = datetime(year, 3, 1, tzinfo=UTC)
    span = (datetime(year + 1, 2, 28, tzinfo=UTC) - start).total_seconds()
    steps = []
    for number in range(count):
        code = rng.choice(codes)
        node = rng.choice(["total", rng.choice(DIMENSION_CODES), rng.choice(scheme.indicator_codes())])
        maximum = Decimal(100) if node == "total" else weights[node]
        score = min(maximum, (maximum * Decimal(str(rng.uniform(0.6, 1.0)))).quantize(Decimal("0.01")))
        override_id = f"tt-{year}-{number}"
        at = start + timedelta(seconds=rng.uniform(0, span))
        override = c.OverrideScore(year, node, score, "province", "省级核查调整", override_id)
        steps.append(Step(at, code, override, CENTRE))
        if rng.random() < 0.4:
            later = at + timedelta(days=rng.uniform(7, 120))
            steps.append(Step(later, code, c.RevokeOverride(override_id, "复核后撤销"), CENTRE))
    return steps


@dataclass
class LoadResult:
    seconds: float
    outcomes: Counter[str]

    @property
    def rate(self) -> float:
        return self.outcomes["ok"] / self.seconds if self.seconds > 0 else 0.0


def load(ledger: Ledger, timeline: Timeline) -> LoadResult:
    """Sends every step to the ledger in order: county commands as futures, awaited in chunks."""
    outcomes: Counter[str] = Counter()
    pending: list[Future[Outcome]] = []
    began = time.perf_counter()
    for number, step in enumerate(timeline.steps):
        context = c.Context(step.actor, f"bench-tt-{number}", step.at)
        if isinstance(step.command, Scheme):
            ledger.publish_scheme(step.command, context)
            outcomes["ok"] += 1
        elif isinstance(step.command, c.EnrolCounty):
            ledger.enrol(step.command, context)
            outcomes["ok"] += 1
        else:
            pending.append(ledger.submit(step.code, step.command, context))
        if len(pending) >= CHUNK:
            _settle(pending, outcomes)
    _settle(pending, outcomes)
    return LoadResult(time.perf_counter() - began, outcomes)


def _settle(pending: list[Future[Outcome]], outcomes: Counter[str]) -> None:
    for future in pending:
        try:
            future.result(timeout=600)
            outcomes["ok"] += 1
        except DomainError as error:
            outcomes[type(error).__name__] += 1
    pending.clear()
