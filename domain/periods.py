"""Periods (valid time): a month ``2023-05``, a quarter ``2023-Q2`` or a year ``2023``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from domain.errors import InvalidCommand
from domain.inputs import ascii_digits_words, normalise, shown

FREQUENCIES = ("monthly", "quarterly", "annual")
# The platform's own forms, as ``str(Period)`` writes them: ASCII digits only (never ``\d``, which
# takes ٢٠٢٣ for 2023), and the whole text (``$`` would let a trailing newline through).
_PATTERNS = {
    "monthly": re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])"),
    "quarterly": re.compile(r"([0-9]{4})-Q([1-4])"),
    "annual": re.compile(r"([0-9]{4})"),
}
FREQUENCY_LABELS = {"monthly": "月度", "quarterly": "季度", "annual": "年度"}
QUARTER_WORDS = {"1": "一", "2": "二", "3": "三", "4": "四"}


@dataclass(frozen=True, order=True)
class Period:
    """A period, ordered by its first month, then by length (month < quarter < year)."""

    year: int
    first_month: int
    months: int

    @property
    def frequency(self) -> str:
        return {1: "monthly", 3: "quarterly", 12: "annual"}[self.months]

    @property
    def last_month(self) -> int:
        return self.first_month + self.months - 1

    def contains(self, other: Period) -> bool:
        return self.year == other.year and self.first_month <= other.first_month and other.last_month <= self.last_month

    def __str__(self) -> str:
        if self.months == 12:
            return f"{self.year}"
        if self.months == 3:
            return f"{self.year}-Q{(self.first_month - 1) // 3 + 1}"
        return f"{self.year}-{self.first_month:02d}"


def period_text(text: str) -> str:
    """A period as typed, normalised (ADR 17): ``"２０２３-０５ "`` → ``"2023-05"``. The edges pass
    what they receive through this before building a command; ``parse_period`` then judges it."""
    return normalise(text)


@lru_cache(maxsize=4096)  # Periods are immutable; the log repeats the same few hundred texts
def parse_period(text: str, field: str = "period") -> Period:
    """Parses a period in the platform's form, refusing anything else with the accepted forms named.

    No normalisation here: a command stores the text it carries, so the text must already be
    the period's own form (``period_text`` at the edges makes it so).
    """
    for frequency, pattern in _PATTERNS.items():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = int(match.group(1))
        if frequency == "annual":
            return Period(year, 1, 12)
        if frequency == "quarterly":
            return Period(year, (int(match.group(2)) - 1) * 3 + 1, 3)
        return Period(year, int(match.group(2)), 1)
    foreign = ascii_digits_words(text, "期间")
    if foreign is not None:
        raise InvalidCommand.of(field, "ascii_digits", foreign)
    raise InvalidCommand.of(
        field,
        "period_format",
        f"期间“{shown(text)}”格式不正确，应为月度 2023-05、季度 2023-Q2 或年度 2023",
    )


def periods_asked_with(wanted: Period, frequency: str) -> list[Period]:
    """The periods of ``frequency`` collected together with ``wanted`` (a template's rows).

    Those within it, and a longer one ending with it: June brings its quarter, December
    its quarter and its year; a quarter brings its months; a year everything in it.
    """
    step = {"monthly": 1, "quarterly": 3, "annual": 12}[frequency]
    found = []
    for first in range(1, 13, step):
        candidate = Period(wanted.year, first, step)
        if wanted.contains(candidate) or candidate.last_month == wanted.last_month:
            found.append(candidate)
    return found


def period_words(text: str | None) -> str:
    """A period as people read it (pages and the API's messages alike): ``2023-05`` → 2023年5月,
    ``2023-Q2`` → 2023年第二季度, ``2023`` → 2023年; text of another form as it is."""
    if not text:
        return "整个指标"
    year, _, rest = text.partition("-")
    if not rest:
        return f"{year}年"
    if rest.startswith("Q") and rest[1:] in QUARTER_WORDS:
        return f"{year}年第{QUARTER_WORDS[rest[1:]]}季度"
    return f"{year}年{int(rest)}月" if rest.isascii() and rest.isdigit() else text


def day_words(day: date) -> str:
    """A day as people read it: 2023年10月20日."""
    return f"{day.year}年{day.month}月{day.day}日"
