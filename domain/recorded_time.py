"""Recorded time (transaction time): what "as of D" means.

An instant with an offset means itself. A date means the end of that day in China
Standard Time (UTC+08:00, no daylight saving): "as of 2024-01-15" includes everything
recorded on the 15th, Beijing time. Instants in the future are refused: the platform
cannot know what it has not yet recorded.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta, timezone

from domain.errors import InvalidCommand
from domain.inputs import normalise

CHINA = timezone(timedelta(hours=8), "CST")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
EARLIEST_YEAR = 2000  # as scheme years: nothing can have been recorded before


def parse_as_of(text: str, now: datetime, field: str = "as_of") -> datetime:
    """The instant ``text`` names, refusing malformed, offset-less and future ones.

    Today's date means ``now``. However recent the instant, it is answered as itself: the
    reader settles it first (ADR 16), so the answer is final.
    """
    value = normalise(text)  # ２０２４-01-15 is 2024-01-15 (ADR 17); fromisoformat takes ASCII digits only
    try:
        if _DATE.match(value):
            moment = datetime.combine(date.fromisoformat(value), time.max, tzinfo=CHINA)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        missing = missing_day(value)
        if missing is not None:  # well written, but no such day: say so, not "write a date"
            raise InvalidCommand.of(field, "real_date", f"{field} {value} 不是实际存在的日期：{missing}") from None
        raise InvalidCommand.of(
            field, "iso_instant", f"{field} 应为日期（2024-01-15）或带时区的时刻（2024-01-15T08:00:00+08:00）"
        ) from None
    if moment.tzinfo is None:
        raise InvalidCommand.of(field, "offset_required", f"{field} 必须带时区，例如 2024-01-15T08:00:00+08:00")
    if moment.year < EARLIEST_YEAR:
        raise InvalidCommand.of(field, "after_2000", f"{field} 不能早于 {EARLIEST_YEAR} 年：平台此前没有任何记录")
    if moment > now and not _DATE.match(value):
        raise InvalidCommand.of(field, "not_future", f"{field} 不能晚于当前时刻：平台不知道尚未记录的事")
    if _DATE.match(value) and moment.date() > now.astimezone(CHINA).date():
        raise InvalidCommand.of(field, "not_future", f"{field} 不能晚于今天：平台不知道尚未记录的事")
    return min(moment, now)


def missing_day(value: str) -> str | None:
    """Why a date written as YYYY-MM-DD names no day (2023-02-30), or None if it is not that case."""
    found = re.match(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})", value)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    if not 1 <= month <= 12:
        return "月份应在 1 至 12 之间"
    days = monthrange(year, month)[1] if year >= 1 else 31
    if day == 0:
        return f"日应在 1 至 {days} 之间"
    return f"{year}年{month}月只有 {days} 天" if day > days else None
