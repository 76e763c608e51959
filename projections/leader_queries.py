"""Questions of the leader's dashboard (领导小组), answered from the temporal scores model.

Whose result stands for each overridden node of every county (and which results it
superseded), a county's total and dimensions over a year's months, every county's
dimensions at an instant (for region means and bests), and the span of recorded time over
which a year's scores changed (for the replay). ``at_us`` None means now (the open rows).
Each function reads through a ``View``: the caller opens one snapshot per answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.scheme import AUTHORITY_LABELS
from projections.store import View
from projections.temporal import TOTAL


def _valid(at_us: int | None, prefix: str = "") -> tuple[str, list[Any]]:
    if at_us is None:
        return f"{prefix}to_us IS NULL", []
    return f"{prefix}from_us <= %s AND ({prefix}to_us IS NULL OR {prefix}to_us > %s)", [at_us, at_us]


def _result(authority: str | None, score: str) -> dict[str, Any]:
    return {"authority": authority, "authority_label": AUTHORITY_LABELS.get(authority or "", authority), "score": score}


def result_marks(view: View, year: int, at_us: int | None) -> dict[str, list[dict[str, Any]]]:
    """Per county, each node whose figure is not the computed one or that superseded another
    result: the node, whose result stands (``standing``: None when the computed score stands)
    and the results beneath it (``beneath``, highest authority first as the results model keeps
    them), as they stood at ``at_us``."""
    valid, params = _valid(at_us)
    standing = view.execute(
        f"SELECT county, code, name, ordinal, score, authority, override_id FROM score_history"
        f" WHERE year = %s AND overridden = 1 AND {valid} ORDER BY county, ordinal",
        [year, *params],
    )
    if at_us is None:
        recorded, values = "o.revoked_version IS NULL", []
    else:
        recorded, values = "o.recorded_us <= %s AND (o.revoked_us IS NULL OR o.revoked_us > %s)", [at_us, at_us]
    results = view.execute(
        "SELECT c.code AS county, o.node, o.override_id, o.score, o.authority, o.actor, o.reason, o.recorded_us"
        f" FROM score_overrides o JOIN county_list c ON c.stream = o.stream WHERE o.year = %s AND {recorded}"
        " ORDER BY o.version DESC",
        [year, *values],
    )
    marks: dict[tuple[str, str], dict[str, Any]] = {}
    for row in standing:
        marks[(row["county"], row["code"])] = {
            "node": row["code"], "name": row["name"], "ordinal": int(row["ordinal"]), "override_id": row["override_id"],
            "standing": _result(row["authority"], row["score"]), "beneath": [],
        }  # fmt: skip
    for row in results:
        mark = marks.get((row["county"], row["node"]))
        if mark is not None and mark["override_id"] == row["override_id"]:
            mark["standing"] |= {"actor": row["actor"], "reason": row["reason"], "recorded_us": row["recorded_us"]}
            continue
        if mark is None:  # a result beneath the computed score (it does not fit the node now)
            mark = {"node": row["node"], "name": row["node"], "ordinal": 10_000, "override_id": None,
                    "standing": None, "beneath": []}  # fmt: skip
            marks[(row["county"], row["node"])] = mark
        mark["beneath"].append(_result(row["authority"], row["score"]) | {"actor": row["actor"]})
    found: dict[str, list[dict[str, Any]]] = {}
    for (county, _), mark in sorted(marks.items(), key=lambda item: (item[0][0], item[1]["ordinal"])):
        if mark["node"] == TOTAL:
            mark["name"] = "总分"
        found.setdefault(county, []).append(mark)
    return found


def dimension_history(view: View, county: str, year: int) -> list[dict[str, Any]]:
    """Every version of the county's total and dimensions in the year, in recorded order."""
    return view.execute(
        "SELECT code, name, level, ordinal, score, max, overridden, from_us, to_us FROM score_history"
        " WHERE county = %s AND year = %s AND level <= 1 ORDER BY ordinal, version",
        [county, year],
    )


def standing_at(rows: Sequence[dict[str, Any]], at_us: int) -> dict[str, dict[str, Any]]:
    """Of ``dimension_history``'s rows, each node's row valid at ``at_us`` (none before it existed)."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if int(row["from_us"]) <= at_us and (row["to_us"] is None or int(row["to_us"]) > at_us):
            found[row["code"]] = row
    return found


def dimensions(view: View, year: int, at_us: int | None) -> list[dict[str, Any]]:
    """Every county's dimension scores (level 1) standing at ``at_us``, with the county's region."""
    valid, params = _valid(at_us, "h.")
    return view.execute(
        "SELECT h.county, c.region, h.code, h.name, h.ordinal, h.score, h.max, h.overridden FROM score_history h"
        f" JOIN county_list c ON c.code = h.county WHERE h.year = %s AND h.level = 1 AND {valid}"
        " ORDER BY h.county, h.ordinal",
        [year, *params],
    )


def span(view: View, year: int) -> tuple[int, int] | None:
    """The first and the last recorded instant at which any county's total of ``year`` changed."""
    rows = view.execute(
        "SELECT MIN(from_us) AS first, MAX(from_us) AS last FROM score_history WHERE year = %s AND code = %s",
        [year, TOTAL],
    )
    if not rows or rows[0]["first"] is None:
        return None
    return int(rows[0]["first"]), int(rows[0]["last"])
