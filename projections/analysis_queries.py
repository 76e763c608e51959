"""Questions of the analysis (数据分析), answered from the temporal scores model.

A node across counties in a year, a county's node across years, every version of one
node (for its month ends) and every node of every county in a year (for the ranks of
each indicator), each as the platform knew it at ``at_us`` (None: now, the open rows).
Each function reads through a ``View``: the caller opens one snapshot per answer.
"""

from __future__ import annotations

from typing import Any

from projections.store import View
from projections.temporal import TOTAL


def _valid(at_us: int | None, prefix: str = "") -> tuple[str, list[Any]]:
    if at_us is None:
        return f"{prefix}to_us IS NULL", []
    return f"{prefix}from_us <= %s AND ({prefix}to_us IS NULL OR {prefix}to_us > %s)", [at_us, at_us]


def node_across_counties(view: View, year: int, node: str, at_us: int | None) -> list[dict[str, Any]]:
    """Every county's row of ``node`` in ``year`` standing at ``at_us``, with its name and region,
    by county code (the index ``score_history_as_of`` serves it)."""
    valid, params = _valid(at_us, "h.")
    return view.execute(
        "SELECT h.county, c.name AS county_name, c.region, h.name, h.kind, h.level, h.value, h.score, h.max,"
        " h.detail FROM score_history h JOIN county_list c ON c.code = h.county"
        f" WHERE h.year = %s AND h.code = %s AND {valid} ORDER BY h.county",
        [year, node, *params],
    )


def has_year(view: View, year: int, at_us: int | None) -> bool:
    """Whether any county had scores of ``year`` at ``at_us`` (a total standing)."""
    valid, params = _valid(at_us)
    rows = view.execute(
        f"SELECT county FROM score_history WHERE year = %s AND code = %s AND {valid} LIMIT 1",
        [year, TOTAL, *params],
    )
    return bool(rows)


def counties_with_values(view: View, year: int, at_us: int | None) -> set[str]:
    """The counties with any value recorded in ``year`` at ``at_us``: a county without one has
    no data yet, and its scores (0) are neither ranked nor counted in statistics."""
    valid, params = _valid(at_us)
    rows = view.execute(
        f"SELECT DISTINCT county FROM score_history WHERE year = %s AND value IS NOT NULL AND {valid}",
        [year, *params],
    )
    return {row["county"] for row in rows}


def node_across_years(view: View, county: str, node: str, at_us: int | None) -> list[dict[str, Any]]:
    """The county's row of ``node`` in each year it had one at ``at_us``, by year."""
    valid, params = _valid(at_us)
    return view.execute(
        "SELECT year, name, kind, value, score, max, detail FROM score_history"
        f" WHERE county = %s AND code = %s AND {valid} ORDER BY year",
        [county, node, *params],
    )


def node_versions(view: View, county: str, year: int, node: str, until_us: int | None) -> list[dict[str, Any]]:
    """Every version of a county's node in a year recorded up to ``until_us`` (None: all), in order."""
    statement = "SELECT score, value, from_us, to_us FROM score_history WHERE county = %s AND year = %s AND code = %s"
    params: list[Any] = [county, year, node]
    if until_us is not None:
        statement += " AND from_us <= %s"
        params.append(until_us)
    return view.execute(statement + " ORDER BY version", params)


def year_nodes(view: View, year: int, at_us: int | None) -> list[dict[str, Any]]:
    """Every node of every county in ``year`` standing at ``at_us`` (total left out), with the
    county's region: the ranks of each indicator are read from these."""
    valid, params = _valid(at_us, "h.")
    return view.execute(
        "SELECT h.county, c.region, h.code, h.name, h.kind, h.level, h.value, h.score, h.max FROM score_history h"
        f" JOIN county_list c ON c.code = h.county WHERE h.year = %s AND h.code <> %s AND {valid}"
        " ORDER BY h.county, h.ordinal",
        [year, TOTAL, *params],
    )


def regions(view: View) -> dict[str, dict[str, str]]:
    """Every enrolled county's name and region, by code."""
    rows = view.execute("SELECT code, name, region FROM county_list ORDER BY code")
    return {row["code"]: {"name": row["name"], "region": row["region"]} for row in rows}


def year_node_names(view: View, year: int) -> list[dict[str, Any]]:
    """The nodes any county has in ``year`` now (code, name, level), in the scheme's order:
    the choices of the analysis page's node field."""
    return view.execute(
        "SELECT code, MIN(name) AS name, MIN(level) AS level, MIN(ordinal) AS ordinal FROM score_history"
        " WHERE year = %s AND to_us IS NULL AND code <> %s GROUP BY code ORDER BY MIN(ordinal), code",
        [year, TOTAL],
    )
