"""The questions asked of the rectification read model (``projections.rectification``): a
county's ledger (一账) of a year as it stood at an instant, and the evaluators' inspection
queue across the counties a caller may read (items awaiting inspection, and items past their
deadline). Each function reads through a ``View``: the caller opens one snapshot per answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from projections.rectification import COLUMNS
from projections.store import View
from projections.temporal import instant

FIELDS = ", ".join(f"r.{column}" for column in COLUMNS)
VALID_AT = "r.from_us <= %s AND (r.to_us IS NULL OR r.to_us > %s)"


def _standing(view: View, at_us: int | None, where: Sequence[str], params: Sequence[Any]) -> list[dict[str, Any]]:
    conditions, values = list(where), list(params)
    if at_us is None:
        conditions.append("r.to_us IS NULL")
    else:
        conditions.append(VALID_AT)
        values += [at_us, at_us]
    rows = view.execute(
        f"SELECT {FIELDS}, c.name AS county_name, c.region FROM rectification_items r"
        f" JOIN county_list c ON c.code = r.county WHERE {' AND '.join(conditions)}"
        " ORDER BY r.county, r.year, r.ordinal",
        values,
    )
    return [_item(row) for row in rows]


def _item(row: dict[str, Any]) -> dict[str, Any]:
    steps = [step | {"at": instant(int(step["at_us"]))} for step in orjson.loads(row["steps"])]
    return dict(row) | {"steps": steps, "last_at": instant(int(row["last_at_us"])), "year": int(row["year"])}


def overdue_days(item: dict[str, Any], day: date) -> int:
    """Days past the deadline on ``day`` while not verified (0 when not overdue)."""
    if item["status"] == "verified":
        return 0
    return max((day - date.fromisoformat(item["deadline"])).days, 0)


def ledger(view: View, code: str, year: int, at_us: int | None) -> list[dict[str, Any]]:
    """The county's items of ``year`` as they stood at ``at_us`` (None: now), in the order raised."""
    return _standing(view, at_us, ["r.county = %s", "r.year = %s"], [code, year])


def queue(
    view: View, year: int | None, day: date, at_us: int | None, visible: frozenset[str] | None
) -> dict[str, list[dict[str, Any]]]:
    """The inspection queue judged on ``day``: items awaiting inspection (longest waiting first),
    and items not verified past their deadline (most overdue first), of the ``visible`` counties."""
    where: list[str] = ["r.status <> %s"]
    values: list[Any] = ["verified"]
    if year is not None:
        where.append("r.year = %s")
        values.append(year)
    rows = [row for row in _standing(view, at_us, where, values) if visible is None or row["county"] in visible]
    for row in rows:
        row["overdue_days"] = overdue_days(row, day)
    awaiting = sorted((r for r in rows if r["status"] == "awaiting_inspection"), key=lambda r: r["last_at_us"])
    overdue = sorted((r for r in rows if r["overdue_days"] > 0),
                     key=lambda r: (-r["overdue_days"], r["county"], r["ordinal"]))  # fmt: skip
    return {"awaiting": awaiting, "overdue": overdue}
