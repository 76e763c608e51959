"""Rankings: every county's total and grade, ranked overall and within its region (ties share a rank).

Current rankings read the current totals; "as of" rankings read the temporal model (the
rows valid at the instant). Both are ranked by ``rank``. Like ``projections.queries``, each
function reads through one ``View`` per answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from domain.decimals import round2
from projections.store import View
from projections.temporal import TOTAL


def rankings(view: View, year: int) -> list[dict[str, Any]]:
    """Every county's total and grade, ranked overall and within its region (ties share a rank)."""
    rows = view.execute(
        "SELECT county, name, region, province, total, grade FROM county_totals WHERE year = %s", [year]
    )
    return rank(rows)


def rankings_as_of(view: View, year: int, at_us: int) -> list[dict[str, Any]]:
    # Each county's last row begun by the instant (one probe of ``score_history_county_as_of``
    # per county): a year's whole history of totals, scanned, grew with every value submitted.
    rows = view.execute(
        "SELECT h.county, c.name, c.region, c.province, h.score AS total, h.detail FROM county_list c"
        " JOIN score_history h ON h.county = c.code AND h.year = %s AND h.code = %s"
        " AND h.from_us = (SELECT MAX(x.from_us) FROM score_history x"
        " WHERE x.county = c.code AND x.year = %s AND x.code = %s AND x.from_us <= %s)"
        " WHERE h.to_us IS NULL OR h.to_us > %s",
        [year, TOTAL, year, TOTAL, at_us, at_us],
    )
    for row in rows:
        row["grade"] = orjson.loads(row.pop("detail"))["grade"]
    return rank(rows)


def rank(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = [
        {"county": row["county"], "name": row["name"], "region": row["region"], "province": row["province"],
         "exact": Decimal(row["total"]), "grade": row["grade"]}
        for row in rows
    ]  # fmt: skip
    entries.sort(key=lambda entry: (-entry["exact"], entry["county"]))
    _rank(entries, "rank")
    for region in {entry["region"] for entry in entries}:
        _rank([entry for entry in entries if entry["region"] == region], "region_rank")
    for entry in entries:
        entry["total"] = round2(entry.pop("exact"))
    return entries


def in_scope(
    entries: Sequence[dict[str, Any]], visible: frozenset[str] | None, region: str | None
) -> list[dict[str, Any]]:
    """The ranked entries a reader is shown: its counties (``visible`` None: every county) of
    ``region`` (None: every region). Ranks stay those among all counties."""
    return [
        entry
        for entry in entries
        if (visible is None or entry["county"] in visible) and (region is None or entry["region"] == region)
    ]


def _rank(ordered: list[dict[str, Any]], key: str) -> None:
    """Standard competition ranking on the two-place totals people see: 1, 2, 2, 4."""
    previous: Decimal | None = None
    for index, entry in enumerate(ordered, start=1):
        shown = round2(entry["exact"])
        if shown != previous:
            rank = index
        entry[key] = rank
        previous = shown
