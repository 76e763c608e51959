"""Periods (valid time): a month ``2023-05``, a quarter ``2023-Q2`` or a year ``2023``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidCommand

FREQUENCIES = ("monthly", "quarterly", "annual")
_PATTERNS = {
    "monthly": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarterly": re.compile(r"^(\d{4})-Q([1-4])$"),
    "annual": re.compile(r"^(\d{4})$"),
}
FREQUENCY_LABELS = {"monthly": "月度", "quarterly": "季度", "annual": "年度"}


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


def parse_period(text: str, field: str = "period") -> Period:
    """Parses a period, refusing anything else with the accepted forms named."""
    for frequency, pattern in _PATTERNS.items():
        match = pattern.match(text)
        if match is None:
            continue
        year = int(match.group(1))
        if frequency == "annual":
            return Period(year, 1, 12)
        if frequency == "quarterly":
            return Period(year, (int(match.group(2)) - 1) * 3 + 1, 3)
        return Period(year, int(match.group(2)), 1)
    raise InvalidCommand.of(
        field,
        "period_format",
        f"期间“{text}”格式不正确，应为月度 2023-05、季度 2023-Q2 或年度 2023",
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
