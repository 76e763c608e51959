"""Early warnings (预警): facts of a county's year, and warnings judged from them on a day.

Two steps keep the read model a function of the log alone. ``facts`` says, for a county
year as folded after some event, what stands: each submission owed (with its deadline
and when it came), each unconfirmed anomaly, each return awaiting an answer, each
indicator behind its path, and the dimensions (一级指标). ``judge`` then turns a fact,
the instant its condition began (``since``) and a Beijing day ``at`` into a warning with
a kind, a level and the reason in words, or into nothing. Facts never depend on the
wall clock; only ``judge`` does, through ``at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from domain import rectification_warnings
from domain.collection import (
    beijing_date,
    data_indicators,
    days_late,
    dimension_of,
    expected,
    start_of_day,
    takes_data,
)
from domain.decimals import HUNDRED, ZERO, divide, figure, plain, round2
from domain.monitoring_rules import WarningRules
from domain.periods import FREQUENCY_LABELS, day_words, parse_period, period_words
from domain.scheme import IndicatorDef
from domain.scoring import year_value
from domain.state import CountyYear, thread_key

KINDS = ("overdue", "off_track", "anomaly", "unanswered", "rectification_overdue")
KIND_LABELS = {"overdue": "逾期未报", "off_track": "进度滞后", "anomaly": "异常待确认", "unanswered": "退回未答复",
               "rectification_overdue": "整改逾期"}  # fmt: skip
LEVELS = ("red", "orange", "yellow")
LEVEL_LABELS = {"red": "红色", "orange": "橙色", "yellow": "黄色"}
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
# The fact behind each kind of warning; "dimension" facts only name the grid's columns.
FACT_KIND = {"overdue": "expected", "off_track": "off_track", "anomaly": "anomaly", "unanswered": "returned",
             "rectification_overdue": rectification_warnings.FACT_KIND}  # fmt: skip
WARNING_KIND = {fact: kind for kind, fact in FACT_KIND.items()}
AGGREGATE_LABELS = {"sum": "累计值", "mean": "平均值", "latest": "最新值"}

FactKey = tuple[str, str, str]  # (fact kind, indicator, period; a rectification item's id for its fact)
RECTIFICATION = rectification_warnings.FACT_KIND


@dataclass(frozen=True)
class Fact:
    """What stands for one key. ``pending``: the condition of a warning holds (nothing
    received, not confirmed, not answered, behind the path). ``ripe``: the first Beijing
    day (ISO) on which a pending fact is a warning; "" when it is one at once."""

    kind: str
    indicator: str
    period: str
    pending: bool
    ripe: str
    data: dict[str, str | None]

    @property
    def key(self) -> FactKey:
        return (self.kind, self.indicator, self.period)


@dataclass(frozen=True)
class Warning:
    county: str
    indicator: str
    indicator_name: str
    dimension: str
    period: str
    kind: str
    level: str
    reason: str
    raised_at: datetime
    department: str | None = None
    person: str | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (LEVEL_RANK[self.level], self.county, self.indicator, self.period, KINDS.index(self.kind))


# ------------------------------------------------------------------------------- facts


def facts(book: CountyYear, indicators: set[str] | None = None, period: str | None = None) -> dict[FactKey, Fact]:
    """The facts of a county year; of some indicators only when ``indicators`` is given
    (dimension facts then left out), and of one period of theirs when ``period`` is
    (with the indicators' off-track facts, which every period moves). ``in_scope`` says
    which keys such a narrower call answers for."""
    found: dict[FactKey, Fact] = {}
    rules = book.scheme.warnings
    if indicators is None:
        for ordinal, node in enumerate(n for n in book.indicators.values() if n.parent is None and n.weighted):
            fact = Fact("dimension", node.code, "", False, "", {"name": node.name, "ordinal": str(ordinal)})
            found[fact.key] = fact
    if indicators is None:
        chosen = data_indicators(book)
    else:  # one indicator's facts, without walking the whole tree for every data event
        chosen = [book.indicators[code] for code in sorted(indicators) if code in book.indicators]
        chosen = [indicator for indicator in chosen if takes_data(book, indicator)]
    for indicator in chosen:
        for fact in indicator_facts(book, indicator, rules, period):
            found[fact.key] = fact
    if indicators is None:  # rectification items: only with the whole year (their events ask for it)
        for indicator_code, item_id, pending, ripe, data in rectification_warnings.item_facts(book, rules):
            fact = Fact(RECTIFICATION, indicator_code, item_id, pending, ripe, data)
            found[fact.key] = fact
    return found


def in_scope(key: FactKey, indicators: set[str] | None, period: str | None) -> bool:
    if indicators is None:
        return True
    if key[0] in ("dimension", RECTIFICATION) or key[1] not in indicators:
        return False
    return period is None or key[2] == period or key[0] == "off_track"


def indicator_facts(
    book: CountyYear, indicator: IndicatorDef, rules: WarningRules, period: str | None = None
) -> list[Fact]:
    code = indicator.code
    responsible = book.responsibility.get(code)
    common = {
        "name": indicator.name,
        "dimension": dimension_of(book, code),
        "department": responsible.department if responsible else None,
        "person": (responsible.person or None) if responsible else None,
        "frequency": indicator.frequency,
    }
    overdue_days = {"orange_days": str(rules.overdue_orange_days), "red_days": str(rules.overdue_red_days)}
    answer_days = {"answer_days": str(rules.answer_days)}
    found = []
    for owed in expected(book, indicator, period):
        received = None if owed.received_at is None else owed.received_at.isoformat()
        found.append(
            Fact(
                "expected",
                code,
                owed.period,
                owed.received_at is None and not owed.waived,
                (owed.due + timedelta(days=1)).isoformat(),
                common
                | {
                    "due": owed.due.isoformat(),
                    "received_at": received,
                    "waived": "1" if owed.waived else None,
                    **overdue_days,
                },
            )
        )
    anomalies = book.anomalies.values() if period is None else [book.anomalies.get(thread_key(code, period))]
    for anomaly in anomalies:
        if anomaly is not None and anomaly.indicator == code and not anomaly.confirmed:
            data = common | {"value": plain(anomaly.value), "method": anomaly.method,
                             "measure": plain(round2(anomaly.measure) or ZERO), "message": anomaly.message,
                             "flagged_at": anomaly.flagged_at.isoformat(), **answer_days}  # fmt: skip
            found.append(Fact("anomaly", code, anomaly.period, True, "", data))
    threads = book.threads.values() if period is None else [book.threads.get(thread_key(code, period))]
    for thread in threads:
        if thread is not None and thread.indicator == code and thread.status == "returned" and thread.returned_at:
            # Answered "within N days" of the return means by the end of day N, as deadlines are met.
            ripe = beijing_date(thread.returned_at) + timedelta(days=rules.answer_days + 1)
            comment = next((c.text for c in reversed(thread.comments) if c.action == "returned"), "")
            data = common | {"returned_at": thread.returned_at.isoformat(), "comment": comment, **answer_days}
            found.append(Fact("returned", code, thread.period, True, ripe.isoformat(), data))
    track = off_track(book, indicator, rules)
    if track is not None:
        found.append(Fact("off_track", code, "", True, "", common | track))
    return found


def off_track(book: CountyYear, indicator: IndicatorDef, rules: WarningRules) -> dict[str, str | None] | None:
    """The indicator's year-to-date value against the straight line from its start (the
    baseline; 0 for a sum; the target itself when there is no baseline) to the year's
    target, at the latest period with data. Behind by at least a margin (percent of the
    path's span) is off track; None when on track or when there is no path."""
    method = indicator.method
    periods = book.data.get(indicator.code) or {}
    if method is None or method.type != "attainment" or method.target is None or not periods:
        return None
    actual = year_value(indicator, periods)
    if actual is None:
        return None
    latest = max(periods)  # periods of one indicator sort chronologically as text
    target = method.target
    # A sum starts the year at 0; a level starts at its baseline, or is held to the target throughout.
    start = ZERO if indicator.aggregate == "sum" else target if method.baseline is None else method.baseline
    span = abs(target - start) if start != target else abs(target)
    if span == ZERO:
        return None
    share = divide(Decimal(parse_period(latest).last_month), Decimal(12))
    path = start + (target - start) * share
    shortfall = path - actual if indicator.direction == "higher_better" else actual - path
    percent = divide(shortfall * HUNDRED, span)
    level = off_track_level(percent, rules) if shortfall > ZERO else None
    if level is None:
        return None
    return {
        "level": level,
        "margin": plain(_margin(level, rules)),
        "actual": plain(actual),
        "expected": plain(path),
        "start": plain(start),
        "target": plain(target),
        "shortfall_pct": plain(percent),
        "latest": latest,
        "aggregate": indicator.aggregate,
        "direction": indicator.direction,
        "unit": indicator.unit,
    }


def _margin(level: str, rules: WarningRules) -> Decimal:
    return {"red": rules.off_track_red, "orange": rules.off_track_orange, "yellow": rules.off_track_yellow}[level]


def off_track_level(percent: Decimal, rules: WarningRules) -> str | None:
    if percent >= rules.off_track_red:
        return "red"
    if percent >= rules.off_track_orange:
        return "orange"
    if percent >= rules.off_track_yellow:
        return "yellow"
    return None


# ------------------------------------------------------------------------------- judging


NEVER = "9999-12-31"


def level_dates(fact: Fact, since: datetime) -> tuple[str, str, str]:
    """The Beijing days (ISO) from which a fact is a yellow, an orange and a red warning
    ("" from the start, NEVER if not at all). The read model stores them, so that the
    grid counts levels in SQL; ``judge`` reads levels from them too."""
    if not fact.pending or fact.kind not in WARNING_KIND:
        return NEVER, NEVER, NEVER
    dates = _level_dates(fact, since)
    # No warning stands on a day before its condition began (a flag raised in June is not
    # a warning on 1 March, whatever was recorded since).
    began = _day_of(since)
    yellow, orange, red = dates  # (unrolled: a rebuild asks this for every pending fact's row)
    return (
        NEVER if yellow == NEVER else max(yellow, began),
        NEVER if orange == NEVER else max(orange, began),
        NEVER if red == NEVER else max(red, began),
    )


@lru_cache(maxsize=8192)  # a condition's start is carried across the rows of its fact
def _day_of(since: datetime) -> str:
    return beijing_date(since).isoformat()


def _level_dates(fact: Fact, since: datetime) -> tuple[str, str, str]:
    data = fact.data
    if fact.kind == "expected":
        due = date.fromisoformat(str(data["due"]))
        orange, red = int(str(data["orange_days"])), int(str(data["red_days"]))
        return fact.ripe, _later(due, orange), _later(due, red)
    if fact.kind == RECTIFICATION:
        return rectification_warnings.level_days(fact.ripe, data)
    if fact.kind == "off_track":
        level = data["level"]
        return "", "" if level in ("orange", "red") else NEVER, "" if level == "red" else NEVER
    # An unanswered return ages from the day after its answer was due; an anomaly from when
    # it was flagged, yellow at once, then orange and red after twice and three times answer_days.
    days = int(str(data["answer_days"]))
    if fact.kind == "returned":
        start = beijing_date(datetime.fromisoformat(str(data["returned_at"]))) + timedelta(days=1)
    else:
        start = beijing_date(since)
    return fact.ripe, _later(start, 2 * days), _later(start, 3 * days)


@lru_cache(maxsize=4096)
def _later(day: date, days: int) -> str:
    return (day + timedelta(days=days)).isoformat()


def level_on(dates: tuple[str, str, str], at: date) -> str | None:
    yellow, orange, red = dates
    day = at.isoformat()
    if yellow > day:
        return None
    return "red" if red <= day else "orange" if orange <= day else "yellow"


def judge(county: str, fact: Fact, since: datetime, at: date) -> Warning | None:
    """The warning a pending fact is on day ``at``, or None (not pending, not yet ripe).

    A fact carries the scheme's numbers it is judged by, so rows of the read model are
    judged alone."""
    found = level_on(level_dates(fact, since), at)
    if found is None:
        return None
    level: str = found
    data = fact.data
    raised = since if not fact.ripe else max(since, start_of_day(date.fromisoformat(fact.ripe)))
    who = _responsible(data)
    name = data["name"] or ""
    if fact.kind == "expected":
        due = date.fromisoformat(str(data["due"]))
        days = days_late(due, at)
        reason = (f"{fact.indicator} {name} {period_words(fact.period)}的{FREQUENCY_LABELS[str(data['frequency'])]}数据"
                  f"应于 {day_words(due)}前报送，截至 {day_words(at)}仍未收到，已逾期 {days} 天{who}")  # fmt: skip
    elif fact.kind == "returned":
        returned = beijing_date(datetime.fromisoformat(str(data["returned_at"])))
        days = (at - returned).days
        answer_days = int(str(data["answer_days"]))
        comment = f"（退回意见：{data['comment']}）" if data.get("comment") else ""
        what = period_words(fact.period) if fact.period else "指标"
        reason = (f"{fact.indicator} {name} {what}的数据于 {day_words(returned)}被退回{comment}，"
                  f"已 {days} 天未答复（应在 {answer_days} 天内答复）{who}")  # fmt: skip
    elif fact.kind == RECTIFICATION:
        reason = rectification_warnings.reason(fact.period, fact.indicator, data, at)
    elif fact.kind == "anomaly":
        days = max((at - beijing_date(since)).days, 0)
        reason = (f"{fact.indicator} {name} {period_words(fact.period)}报送值 {_figure(data['value'])} 波动异常："
                  f"{data['message']}；已 {days} 天尚未确认或审核{who}")  # fmt: skip
    else:
        reason = f"{fact.indicator} {name} {_off_track_words(data, level)}{who}"
    return Warning(
        county=county,
        indicator=fact.indicator,
        indicator_name=name,
        dimension=str(data["dimension"]),
        period=fact.period,
        kind=WARNING_KIND[fact.kind],
        level=level,
        reason=reason,
        raised_at=raised,
        department=data.get("department"),
        person=data.get("person"),
    )


def _figure(text: str | None, unit: str = "") -> str:
    """A figure as the pages show it: two places, a space before the unit."""
    return figure(Decimal(str(text)), unit)


def _off_track_words(data: dict[str, str | None], level: str) -> str:
    """Why an indicator is behind its path. The percentage is of the year's planned change
    (start to target), so it exceeds 100% when the value moved away from the target, or
    fell short by more than the whole year's change: the shortfall itself is said too, so
    a 1033.33% reads as what it is. Without a baseline a level is held to the target all
    year (start = target): then the path is the target and the percentage is of it."""
    unit = data.get("unit") or ""
    what = AGGREGATE_LABELS.get(str(data["aggregate"]), "值")
    behind = "低于" if data["direction"] == "higher_better" else "高于"
    actual, expected = Decimal(str(data["actual"])), Decimal(str(data["expected"]))
    start, target = Decimal(str(data["start"])), Decimal(str(data["target"]))
    shortfall = abs(expected - actual)
    percent, margin = _figure(data["shortfall_pct"]), _figure(data["margin"])
    reached = f"达到{LEVEL_LABELS[level]}预警线 {margin}%"
    head = f"截至 {period_words(str(data['latest']))}的年度{what}为 {_figure(data['actual'], unit)}"
    if start == target:
        return (f"{head}，未设基期值，全年按目标 {_figure(data['target'], unit)} 衡量，"
                f"{behind}目标 {_figure(str(shortfall), unit)}（目标值的 {percent}%），{reached}")  # fmt: skip
    origin = "年初" if data["aggregate"] == "sum" else "基期值"
    change = _figure(str(abs(target - start)), unit)
    return (f"{head}；按从{origin} {_figure(data['start'], unit)} 到目标 {_figure(data['target'], unit)} 的直线进度，"
            f"此时应为 {_figure(data['expected'], unit)}，{behind}进度 {_figure(str(shortfall), unit)}，"
            f"为全年计划变动幅度 {change} 的 {percent}%，{reached}")  # fmt: skip


def _responsible(data: dict[str, str | None]) -> str:
    if not data.get("department"):
        return "；尚未分配责任部门"
    person = f"，责任人：{data['person']}" if data.get("person") else ""
    return f"；责任部门：{data['department']}{person}"


def worst(levels: list[str]) -> str | None:
    return min(levels, key=LEVEL_RANK.__getitem__) if levels else None
