"""The collection schedule (跟踪数据采集): which data a county owes, by when, and where it stands.

Deadlines are Beijing dates. Monthly data is due by day ``monthly_due_day`` of the next
month, a quarter by day ``quarterly_due_day`` of the month after it, a year by
``annual_due`` (MM-DD) of the next year. Data due by day 10 is on time all of day 10
(Beijing time) and overdue from day 11.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from domain.commands import DataScope
from domain.periods import Period, parse_period, periods_asked_with
from domain.recorded_time import CHINA
from domain.scheme import Deadlines, IndicatorDef
from domain.state import CountyYear

STATUSES = ("due", "received", "late", "missing", "waived")
STATUS_LABELS = {"due": "待报送", "received": "按时报送", "late": "逾期报送", "missing": "逾期未报",
                 "waived": "免报（期间已关账）"}  # fmt: skip


def _day_of(year: int, month: int, day: int) -> date:
    """The day, or the month's last day when the month is shorter (a deadline of 02-30)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_date(period: Period, deadlines: Deadlines) -> date:
    """The last Beijing date on which the period's data is on time."""
    if period.frequency == "annual":
        month, day = (int(part) for part in deadlines.annual_due.split("-"))
        return _day_of(period.year + 1, month, day)
    due_day = deadlines.monthly_due_day if period.frequency == "monthly" else deadlines.quarterly_due_day
    following = period.last_month + 1
    year = period.year + (following - 1) // 12
    return _day_of(year, (following - 1) % 12 + 1, due_day)


def period_end(period: Period) -> date:
    """The period's last day."""
    return _day_of(period.year, period.last_month, 31)


def start_of_day(day: date) -> datetime:
    """The first instant of a Beijing day."""
    return datetime.combine(day, time.min, tzinfo=CHINA)


def beijing_date(instant: datetime) -> date:
    return instant.astimezone(CHINA).date()


def judged_on(as_of: datetime | None, now: datetime) -> date:
    """The Beijing day deadlines are judged on when no day is named: the day of the instant
    read (``as_of``), else today. Warnings "as of D" are then those standing on day D, not
    today's deadlines applied to what was known on D."""
    return beijing_date(as_of if as_of is not None else now)


def periods_of(frequency: str, year: int) -> list[Period]:
    if frequency == "monthly":
        return [Period(year, month, 1) for month in range(1, 13)]
    if frequency == "quarterly":
        return [Period(year, month, 3) for month in (1, 4, 7, 10)]
    return [Period(year, 1, 12)]


def takes_data(book: CountyYear, indicator: IndicatorDef) -> bool:
    """A leaf in the weighted tree: not retired, not bonus/penalty, no weighted children."""
    if not indicator.weighted:
        return False
    code = indicator.code
    for node in book.indicators.values():  # noqa: SIM110 (a loop, not any(): it runs for every data event)
        if node.parent == code and node.weighted:
            return False
    return True


def data_indicators(book: CountyYear) -> list[IndicatorDef]:
    return [indicator for indicator in book.indicators.values() if takes_data(book, indicator)]


def dimension_of(book: CountyYear, code: str) -> str:
    """The top-level indicator (一级指标) above ``code``."""
    current = book.indicators[code]
    while current.parent is not None and current.parent in book.indicators:
        current = book.indicators[current.parent]
    return current.code


@dataclass(frozen=True)
class Expected:
    """One submission a county owes: an indicator's period, its deadline, and when it came."""

    indicator: str
    period: str
    due: date
    received_at: datetime | None
    waived: bool = False  # in a closed period: no longer asked for


def expected(book: CountyYear, indicator: IndicatorDef, only: str | None = None) -> list[Expected]:
    """Every period of the book's year that ``indicator`` must be reported for (or just ``only``).

    Periods whose deadline had passed when the obligation began (the county took on the
    year's scheme, or defined the indicator, later) are due as many days after that as
    monthly data is after its month: nobody is late for a deadline before their time.
    """
    deadlines = book.scheme.deadlines
    periods = book.data.get(indicator.code, {})
    owed = []
    year = (indicator.frequency, book.scheme.year, deadlines.monthly_due_day, deadlines.quarterly_due_day,
            deadlines.annual_due)  # fmt: skip
    schedule: tuple[tuple[str, date], ...] = _schedule(*year)
    if only is not None:  # one period (a data event's): its deadline without walking the year's
        due = _deadline_of(*year).get(only)
        schedule = () if due is None else ((only, due),)
    began = _obligation_began(book, indicator.code)
    catch_up = began + timedelta(days=deadlines.monthly_due_day)
    closed = [parse_period(period) for period in book.closed]
    for key, due in schedule:
        submission = periods.get(key)
        # (Most years close no period: no generator for each data event then.)
        waived = bool(closed) and any(period.contains(parse_period(key)) for period in closed)
        received_at = None if submission is None else submission.received_at
        owed.append(Expected(indicator.code, key, due if due >= began else catch_up, received_at, waived))
    return owed


def _obligation_began(book: CountyYear, code: str) -> date:
    """The Beijing day the county took on the year's scheme, or defined the indicator, if later."""
    opened, defined = book.opened_at, book.defined_at.get(code)
    if opened is None or defined is None:
        began = opened or defined
        return date.min if began is None else _day_began(began)
    return _day_began(max(opened, defined))


# The same few instants (a county's adoption of its scheme) are asked for with every data event.
_day_began = lru_cache(maxsize=1024)(beijing_date)


@lru_cache(maxsize=256)
def _schedule(frequency: str, year: int, monthly: int, quarterly: int, annual: str) -> tuple[tuple[str, date], ...]:
    """The periods of a year and their deadlines (asked for after every data event: kept)."""
    deadlines = Deadlines(monthly, quarterly, annual)
    return tuple((str(period), due_date(period, deadlines)) for period in periods_of(frequency, year))


@lru_cache(maxsize=256)
def _deadline_of(frequency: str, year: int, monthly: int, quarterly: int, annual: str) -> dict[str, date]:
    return dict(_schedule(frequency, year, monthly, quarterly, annual))


ACTION_PLAN_DUE = (6, 30)  # 行动计划: each indicator's plan uploaded by 30 June, once a year (000_*.txt)


def action_plan_due(book: CountyYear, code: str) -> date:
    """30 June of the year, or, for a county (or indicator) that came later, as its data catches up."""
    due = date(book.scheme.year, *ACTION_PLAN_DUE)
    began = _obligation_began(book, code)
    return due if due >= began else began + timedelta(days=book.scheme.deadlines.monthly_due_day)


def action_plan_status(book: CountyYear, code: str, at: date) -> tuple[date, str]:
    """The deadline of an indicator's action plan and where it stands on day ``at``."""
    due = action_plan_due(book, code)
    plan = book.action_plans.get(code)
    return due, status(due, plan.first_recorded_at if plan is not None else None, at)


def status(due: date, received_at: datetime | None, at: date, waived: bool = False) -> str:
    """due: not yet late, nothing received; received: on time; late: after the deadline;
    missing: the deadline has passed and nothing has come; waived: nothing came and the
    period was closed, so nothing is asked any more."""
    if received_at is not None:
        return "received" if beijing_date(received_at) <= due else "late"
    if waived:
        return "waived"
    return "due" if at <= due else "missing"


def has_ended(period: str, at: date) -> bool:
    """Whether the period is over on day ``at`` (its data can be expected)."""
    return period_end(parse_period(period)) < at


def days_late(due: date, at: date) -> int:
    return (at - due).days


@dataclass(frozen=True)
class TemplateLine:
    """One row of a data template (数据报送模板): an indicator's period to report, and what helps fill it in."""

    indicator: str
    name: str
    unit: str
    period: str
    low: Decimal | None
    high: Decimal | None
    department: str
    value: Decimal | None  # the value standing now, so that an unchanged re-upload changes nothing


def template_lines(book: CountyYear, wanted: Period, scope: DataScope | None = None) -> list[TemplateLine]:
    """The rows of the template for ``wanted``: every data indicator's periods collected with it
    (a quarter-end month brings the quarter, December also the year), only the indicators
    ``scope`` may write (None: all), in indicator-code order (1.2 before 1.10), then by period."""
    lines = []
    for indicator in data_indicators(book):
        responsible = book.responsibility.get(indicator.code)
        department = responsible.department if responsible else None
        if scope is not None and not scope.allows(indicator.code, department):
            continue
        low, high = (indicator.range[0], indicator.range[1]) if indicator.range else (None, None)
        standing = book.data.get(indicator.code, {})
        for due in periods_asked_with(wanted, indicator.frequency):
            submission = standing.get(str(due))
            line = TemplateLine(
                indicator=indicator.code,
                name=indicator.name,
                unit=indicator.unit,
                period=str(due),
                low=low,
                high=high,
                department=department or "",
                value=submission.value if submission else None,
            )
            lines.append((code_order(indicator.code), due, line))
    lines.sort(key=lambda item: item[:2])
    return [line for *_, line in lines]


def code_order(code: str) -> tuple[Any, ...]:
    """Sort key of an indicator code: numeric parts as numbers (1.2 before 1.10), others after them."""
    return tuple((0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part) for part in code.split("."))
