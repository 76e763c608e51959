"""The leader's filters (年度, 分区, 查询日期, 回放步长), read from the URL as typed.

A bad value is not a separate error page: the page is shown again, its form keeping what
was typed, each message beside its field (``errors``: field → message), status 422, and no
figures (a figure shown for another filter than the one asked would mislead). Values are
read as the API reads them: full-width digits and spaces are normalised (ADR 17).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from domain.commands import REGION_LABELS
from domain.errors import DomainError
from domain.inputs import ascii_digits_words, normalise
from pages.reads import default_year
from pages.reads_leader import as_of_instant
from ruraleval.platform import Platform

UNITS = {"month": "按月", "day": "按日"}


@dataclass
class Filters:
    year: int | None  # the year shown: asked, or the latest with values (reads.default_year)
    region: str | None  # None: every region
    at: datetime | None  # None: now
    unit: str = "month"
    form: dict[str, str] = field(default_factory=dict)  # as typed, to show again
    errors: dict[str, str] = field(default_factory=dict)  # field → message beside it


def read_filters(
    service: Platform,
    years: list[int],
    *,
    year: str | None,
    region: str | None = None,
    as_of: str | None = None,
    unit: str | None = None,
    counties: Collection[str] | None = None,
) -> Filters:
    """Every filter of a leader's page, each refusal kept beside its field."""
    form = {"year": year or "", "region": region or "", "as_of": as_of or "", "unit": unit or ""}
    errors: dict[str, str] = {}
    chosen = _year(year, years, errors)
    if not normalise(year or ""):  # none asked: the latest year with values of ``counties`` (reads.default_year)
        chosen = default_year(service, years, counties)
    shown = _region(region, errors)
    step = _unit(unit, errors)
    at = None
    try:
        at = as_of_instant(service, as_of)
    except DomainError as refused:
        errors["as_of"] = refused.problems[0].message
    return Filters(chosen, shown, at, step, form, errors)


def _year(text: str | None, years: list[int], errors: dict[str, str]) -> int | None:
    value = normalise(text or "")
    if not value:
        return years[0] if years else None
    foreign = ascii_digits_words(value, "年度")  # ٢٠٢٣: refused as the API refuses it (２０２３ is normalised)
    if foreign is not None:
        errors["year"] = foreign
        return None
    if not (value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100):
        errors["year"] = f"年度应为 2000 至 2100 之间的年份，如 2023；收到“{value[:12]}”"
        return None
    if int(value) not in years:  # the 年度 list could not show it: 查看 would silently go to another year
        offered = "、".join(f"{year}年" for year in years)
        errors["year"] = f"没有 {value} 年度的评估方案可查" + (f"；可选年度：{offered}" if offered else "")
        return None
    return int(value)


def _region(text: str | None, errors: dict[str, str]) -> str | None:
    """Empty means every region; anything but east/central/west is refused."""
    value = normalise(text or "")
    if value and value not in REGION_LABELS:
        errors["region"] = "分区只能是东部、中部或西部"
    return value if value in REGION_LABELS else None


def _unit(text: str | None, errors: dict[str, str]) -> str:
    """The replay's step; the form sends "" for the default (month), so a shared URL stays short."""
    value = normalise(text or "") or "month"
    if value not in UNITS:
        errors["unit"] = "回放步长只能是按月或按日"
        return "month"
    return value
