"""The fifth kind of early warning: a rectification item past its deadline (整改逾期, ADR 26).

An item's fact is pending while it is not verified: declaring it done or having it rejected
changes nothing, only the evaluators' verification (销号) clears it. It is a warning from the
day after the deadline (yellow), orange from ``orange_days`` and red from ``red_days`` after
it (the scheme's ``warnings.rectification``). Facts here are plain tuples; ``domain.warnings``
makes them its ``Fact`` and judges them with the other kinds.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.collection import dimension_of
from domain.monitoring_rules import WarningRules
from domain.periods import day_words
from domain.state import CountyYear, RectificationItem

FACT_KIND = "rectification"  # the fact behind the warning kind ``rectification_overdue``
# The grid's column of items that name no indicator (an evaluator's own, about the county as a whole).
NO_DIMENSION = "整改"
NO_DIMENSION_NAME = "其他整改事项"
STATUS_WORDS = {"raised": "尚未制定整改方案", "in_progress": "正在整改", "awaiting_inspection": "已申报完成、待核验"}


def item_facts(book: CountyYear, rules: WarningRules) -> list[tuple[str, str, bool, str, dict[str, str | None]]]:
    """(indicator, item id, pending, ripe, data) of every item of the year."""
    found = []
    for item in book.rectification.values():
        found.append((item.indicator or "", item.id, item.status != "verified", _day_after(item.deadline),
                      _data(book, item, rules)))  # fmt: skip
    return found


def _day_after(deadline: str) -> str:
    return (date.fromisoformat(deadline) + timedelta(days=1)).isoformat()


def _data(book: CountyYear, item: RectificationItem, rules: WarningRules) -> dict[str, str | None]:
    indicator = book.indicators.get(item.indicator or "")
    # The item's 责任单位 answers for it; its person is the indicator's, when that unit answers for the indicator.
    responsible = book.responsibility.get(item.indicator or "")
    person = responsible.person if responsible is not None and responsible.department == item.answerer else ""
    return {
        "name": indicator.name if indicator is not None else "",
        "dimension": dimension_of(book, indicator.code) if indicator is not None else NO_DIMENSION,
        "department": item.answerer or None,
        "person": person or None,
        "due": item.deadline,
        "status": item.status,
        "problem": item.problem,
        "answerer": item.answerer,
        "orange_days": str(rules.rectification_orange_days),
        "red_days": str(rules.rectification_red_days),
    }


def level_days(ripe: str, data: dict[str, str | None]) -> tuple[str, str, str]:
    """Yellow from the day after the deadline, orange and red the scheme's days after it."""
    due = date.fromisoformat(str(data["due"]))
    orange, red = int(str(data["orange_days"])), int(str(data["red_days"]))
    return ripe, (due + timedelta(days=orange)).isoformat(), (due + timedelta(days=red)).isoformat()


def reason(item_id: str, indicator: str, data: dict[str, str | None], at: date) -> str:
    due = date.fromisoformat(str(data["due"]))
    about = f"（指标 {indicator} {data['name']}）" if indicator else ""
    status = STATUS_WORDS.get(str(data["status"]), str(data["status"]))
    return (f"整改事项 {item_id}{about}“{data['problem']}”的整改期限为 {day_words(due)}，截至 {day_words(at)}"
            f"{status}，已逾期 {(at - due).days} 天；责任单位：{data['answerer']}")  # fmt: skip
