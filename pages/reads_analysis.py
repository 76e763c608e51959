"""The analysis pages' reads (数据分析): a node across counties, and a county's node across
years and months with its gaps, now or as of an instant (``reports.analysis``).

As the leader's reads: the read models are checked first (503 if one failed or stalled); an
as-of read first makes its instant final (``ledger.settle``, ADR 16) and waits until the read
models hold every event recorded up to it, as the API's ``reading_as_of`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.access import Principal
from domain.commands import REGION_LABELS
from pages.writes import READ_WAIT_SECONDS
from projections import analysis_queries
from projections.progress import unavailable
from reports import analysis, analysis_vertical
from reports.model import Gap, Horizontal, Vertical
from ruraleval.platform import Platform
from ruraleval.replay import county_as_of

TOTAL = "total"


def _settled(service: Platform, at: datetime | None) -> None:
    """Waits until the read models can answer as of ``at`` (now: as projected)."""
    service.progress.require(analysis.ANALYSIS)
    if at is None:
        return
    position = service.ledger.settle(at)
    reason = service.progress.wait_blocking(position, analysis.ANALYSIS, READ_WAIT_SECONDS)
    if reason is not None:
        raise unavailable(reason)


def node_choices(service: Platform, year: int) -> list[dict[str, Any]]:
    """The nodes of ``year`` a reader may pick: the total first, then each node in scheme order."""
    service.progress.require(analysis.ANALYSIS)
    with service.reads.snapshot() as view:
        rows = analysis_queries.year_node_names(view, year)
    return [{"code": TOTAL, "name": "总分", "level": 0}] + [
        {"code": row["code"], "name": row["name"], "level": int(row["level"])} for row in rows
    ]


@dataclass
class Across:
    """A node across counties, with the words its page shows."""

    found: Horizontal
    region: str | None
    region_labels: dict[str, str]
    unit: str


def across_counties(
    service: Platform, principal: Principal, year: int, node: str, at: datetime | None, region: str | None
) -> Across:
    _settled(service, at)
    found = analysis.horizontal(service, year, node, at, principal.readable_counties(), region)
    unit = ""
    if found.counties and node != TOTAL:
        unit = _units(service, found.counties[0].county, year, at).get(node, "")
    return Across(found, region, REGION_LABELS, unit)


@dataclass
class OneCounty:
    """A county's node across years and months, and its gaps."""

    vertical: Vertical
    gap: Gap
    unit: str  # the node's unit ("" for the total, a dimension or a unit-less indicator)


def county_analysis(service: Platform, code: str, year: int, node: str, at: datetime | None) -> OneCounty:
    _settled(service, at)
    found = analysis_vertical.vertical(service, code, node, year, at)
    gaps = analysis.gap(service, code, year, at)
    return OneCounty(found, gaps, _units(service, code, year, at).get(node, ""))


def county_node_choices(service: Platform, code: str, year: int) -> list[dict[str, Any]]:
    """The county's weighted nodes of ``year`` as its book stands now, the total first."""
    book = service.ledger.county(code).years.get(str(year))
    nodes = [{"code": TOTAL, "name": "总分", "level": 0}]
    if book is not None:
        for key, definition in book.indicators.items():
            if definition.weighted:
                nodes.append({"code": key, "name": definition.name, "level": _level(book.indicators, key)})
    return nodes


def _level(indicators: dict[str, Any], code: str) -> int:
    level, parent = 1, indicators[code].parent
    while parent is not None and parent in indicators:
        level, parent = level + 1, indicators[parent].parent
    return level


def _units(service: Platform, code: str, year: int, at: datetime | None) -> dict[str, str]:
    county = service.ledger.county(code) if at is None else county_as_of(service.ledger, code, at)
    book = None if county is None else county.years.get(str(year))
    return {} if book is None else {key: definition.unit for key, definition in book.indicators.items()}
