"""What the clerk's entry form reads: the rows a user answers for in one period, and their state.

The form reads the county's own stream (``service.ledger.county``), the state its rules
judge a new value against, not a read model: right after a save the row shows what the
county now holds (ADR 24's wait concerns read models; the aggregate is current once the
command's events are stored). The rows are the template's (``domain.collection.template_lines``
with the user's data scope), so the form, the workbook and the API's template always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from domain.access import Action, Principal
from domain.collection import TemplateLine, expected, status, template_lines
from domain.county import County
from domain.decimals import plain
from domain.intake import MAX_PLACES
from domain.periods import Period, parse_period
from domain.review import waiting_on
from domain.state import CountyYear, thread_key
from pages.formats import number, period
from ruraleval.platform import Platform

HISTORY = 3  # earlier values shown beside a cell
STATE_LABELS = {
    "due": "待填报",
    "missing": "逾期未报",
    "saved": "已保存",
    "flagged": "异常波动，待确认",
    "returned": "已退回，待答复",
    "closed": "已关账，只读",
    "invalid": "未保存：数值不符合规则",
    "reason": "未保存：更正须填写理由",
}


@dataclass(frozen=True)
class Row:
    """One cell of the form: an indicator's period, what helps to fill it, and where it stands."""

    indicator: str
    name: str
    unit: str
    period: str
    low: Decimal | None
    high: Decimal | None
    department: str
    value: Decimal | None  # the value standing now
    corrected: bool
    history: list[tuple[str, Decimal]]  # earlier periods' values, latest first
    state: str  # a key of STATE_LABELS
    due: date | None
    flag: str = ""  # the jump flag's message, while it waits for confirmation
    returned: str = ""  # the evaluator's comment, while a return waits for the county
    message: str = ""  # why a value was not stored (invalid, reason)
    typed: str = ""  # what the user typed, kept in the cell when it was not stored
    note: str = ""  # the county's word on a jump it confirmed

    @property
    def key(self) -> str:
        """An id fit for HTML: 1.5 in 2023-05 → c-1_5-2023-05."""
        return "c-" + "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in f"{self.indicator}-{self.period}")

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def shown(self) -> str:
        """What the input shows: the typed text of a refused value, else the standing value as written."""
        if self.typed:
            return self.typed
        return plain(self.value) if self.value is not None else ""

    @property
    def rule(self) -> str:
        """The value's rule in words: range and decimals (the domain's ``check_value``)."""
        places = f"小数不超过 {MAX_PLACES} 位"
        if self.low is None or self.high is None:
            return places
        return f"{plain(self.low)} ~ {plain(self.high)}，{places}"

    @property
    def monthly(self) -> bool:
        return parse_period(self.period).frequency == "monthly"

    @property
    def read_only(self) -> bool:
        return self.state == "closed"


@dataclass
class EntrySheet:
    county: dict[str, Any]
    year: int
    period: str
    periods: list[dict[str, Any]]  # the year's months for the picker, with what is owed in each
    rows: list[Row]
    departments: frozenset[str] | None
    may_correct: bool
    counts: dict[str, int] = field(default_factory=dict)


def _closed(book: CountyYear, wanted: Period) -> bool:
    return any(parse_period(closed).contains(wanted) for closed in book.closed)


def _history(county: County, indicator: str, before: str) -> list[tuple[str, Decimal]]:
    values = {
        earlier: submission.value
        for book in county.years.values()
        for earlier, submission in book.data.get(indicator, {}).items()
        if earlier < before  # one frequency per indicator: its periods sort as text
    }
    return [(key, values[key]) for key in sorted(values, reverse=True)[:HISTORY]]


def _row(county: County, book: CountyYear, line: TemplateLine, today: date) -> Row:
    wanted = parse_period(line.period)
    submission = book.data.get(line.indicator, {}).get(line.period)
    anomaly = book.anomalies.get(thread_key(line.indicator, line.period))
    thread = book.threads.get(thread_key(line.indicator, line.period))
    definition = book.indicators[line.indicator]
    owed = expected(book, definition, line.period)
    due = owed[0].due if owed else None
    flag = anomaly.message if anomaly is not None and not anomaly.confirmed and anomaly.resolved_at is None else ""
    returned = ""
    if thread is not None and thread.status == "returned" and waiting_on(thread) == "county":
        returned = next((c.text for c in reversed(thread.comments) if c.action == "returned"), "")
        returned = returned or (thread.comments[-1].text if thread.comments else "")
    if _closed(book, wanted):
        state = "closed"
    elif flag:
        state = "flagged"
    elif thread is not None and thread.status == "returned":
        state = "returned"
    elif submission is not None:
        state = "saved"
    else:
        state = status(due, None, today) if due is not None else "due"
    return Row(
        indicator=line.indicator, name=line.name, unit=line.unit, period=line.period, low=line.low,
        high=line.high, department=line.department, value=line.value,
        corrected=bool(submission and submission.corrected), history=_history(county, line.indicator, line.period),
        state=state, due=due, flag=flag, returned=returned or ("评估组已退回" if state == "returned" else ""),
        note=f"异常波动已说明：{anomaly.comment}" if anomaly is not None and anomaly.confirmed else "",
    )  # fmt: skip


def _lines(book: CountyYear, wanted: Period, principal: Principal, code: str) -> list[TemplateLine]:
    return template_lines(book, wanted, principal.data_scope(Action.SUBMIT_DATA, code))


def default_period(county: County, principal: Principal, year: int, today: date) -> str:
    """The first month of ``year`` the user still owes something for, else the latest month that has ended."""
    book = county.book(year, "period")
    ended = [f"{year}-{month:02d}" for month in range(1, 13) if date(year, month, 1) <= today] or [f"{year}-01"]
    for month in ended:
        wanted = parse_period(month)
        if _closed(book, wanted):
            continue
        if any(line.value is None for line in _lines(book, wanted, principal, county.code)):
            return month
    return ended[-1]


def entry_sheet(
    service: Platform, principal: Principal, meta: dict[str, Any], wanted: Period, today: date
) -> EntrySheet:
    """The rows of ``wanted`` the principal answers for, in the template's order."""
    code = meta["code"]
    county = service.ledger.county(code)
    book = county.book(wanted.year, "period")
    rows = [_row(county, book, line, today) for line in _lines(book, wanted, principal, code)]
    periods = []
    for month in range(1, 13):
        month_period = parse_period(f"{wanted.year}-{month:02d}")
        lines = _lines(book, month_period, principal, code)
        periods.append({"value": str(month_period), "label": period(str(month_period)),
                        "empty": sum(1 for line in lines if line.value is None)})  # fmt: skip
    scope = principal.data_scope(Action.SUBMIT_DATA, code)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return EntrySheet(
        county=meta, year=wanted.year, period=str(wanted), periods=periods, rows=rows,
        departments=scope.departments if scope is not None else None,
        may_correct=principal.may(Action.CORRECT_DATA, code), counts=counts,
    )  # fmt: skip


def entry_row(service: Platform, principal: Principal, code: str, indicator: str, period_key: str,
              today: date) -> Row | None:  # fmt: skip
    """One row as the county holds it now (after a save); None if it is not the user's to fill."""
    county = service.ledger.county(code)
    wanted = parse_period(period_key)
    book = county.book(wanted.year, "period")
    for line in _lines(book, wanted, principal, code):
        if line.indicator == indicator and line.period == period_key:
            return _row(county, book, line, today)
    return None


def entry_period(text: str) -> str:
    """The month whose form asks for ``text``: a month itself, a quarter its last month, a year December."""
    found = parse_period(text)
    return f"{found.year}-{found.last_month:02d}"


def refused(row: Row, state: str, message: str, typed: str) -> Row:
    """The row with a value that was not stored: the message beside it, the typed text kept."""
    return replace(row, state=state, message=message, typed=typed)


def history_text(row: Row) -> str:
    """Earlier values in words: 2023年4月 12.00 万元；…"""
    return "；".join(f"{period(key)} {number(value, row.unit)}" for key, value in row.history) or "无"
