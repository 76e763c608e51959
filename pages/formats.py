"""How the pages write numbers, dates and periods: in Chinese, numbers to two places."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from domain.decimals import figure
from domain.periods import day_words, period_words
from domain.recorded_time import CHINA


def number(value: object, unit: str = "") -> str:
    """``92.875`` → ``92.88``; with a unit, ``92.88 分``; nothing known → ``—``."""
    if value is None or value == "":
        return "—"
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return figure(exact, unit) if exact.is_finite() else str(value)


def period(text: str | None) -> str:
    """``2023-05`` → 2023年5月, ``2023-Q2`` → 2023年第二季度, ``2023`` → 2023年."""
    return period_words(text)


def day(value: date | datetime | str | None) -> str:
    """A Beijing date: 2023年6月10日."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(CHINA).date() if value.tzinfo else value.date()
    return day_words(value)


def moment(value: datetime | str | None) -> str:
    """A Beijing date and time: 2023年6月10日 09:30."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(CHINA) if value.tzinfo else value
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


FILTERS = {"number": number, "period": period, "day": day, "moment": moment}
