"""The rectification read model (整改台账, 一账): every version of every rectification item.

A row says: from recorded instant ``from_us`` until ``to_us`` (open while current), item
``item_id`` of a county's year stood like this (status, deadline, requirement, answerer, its
last step, its steps so far), because of the event at ``version``. "As of D" selects the rows
with ``from_us <= D < to_us``, so the ledger can be read as it stood at any instant. The
events carry everything an item holds, so a row is the previous row and one event: the model
is a function of the log and a rebuild gives it back row for row. The questions asked of it
are in ``projections.rectification_queries``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from domain.county import County
from domain.rectification import STATUS_AFTER
from projections.runner import CachedSource, Projection
from projections.store import Sql
from projections.temporal import micros

COLUMNS = ("county", "year", "item_id", "ordinal", "source", "report_id", "problem_id", "indicator", "problem",
           "requirement", "deadline", "answerer", "status", "last_step", "last_actor", "last_at_us", "verified_on",
           "steps", "from_us", "to_us", "version", "position")  # fmt: skip
TO_US = COLUMNS.index("to_us")
STEP_EVENTS = {
    County.RectificationPlanFiled: "plan",
    County.RectificationProgressReported: "progress",
    County.RectificationDeclaredDone: "done",
    County.RectificationVerified: "verified",
    County.RectificationRejected: "rejected",
}

Key = tuple[str, int, str]  # (county, year, item id)


@dataclass
class _Pending:
    """A batch's writes: new rows, the open row of each item it touched, rows of earlier batches to close."""

    rows: list[list[Any]] = field(default_factory=list)
    open: dict[Key, list[Any]] = field(default_factory=dict)
    closes: dict[Key, int] = field(default_factory=dict)


class RectificationProjection(Projection):
    name = "rectification"
    after = ("counties",)  # a stream's county code is read from the county list
    tables = (
        "CREATE TABLE IF NOT EXISTS rectification_items (county TEXT NOT NULL, year INTEGER NOT NULL,"
        " item_id TEXT NOT NULL, ordinal INTEGER NOT NULL, source TEXT NOT NULL, report_id TEXT, problem_id TEXT,"
        " indicator TEXT, problem TEXT NOT NULL, requirement TEXT NOT NULL, deadline TEXT NOT NULL,"
        " answerer TEXT NOT NULL, status TEXT NOT NULL, last_step TEXT NOT NULL, last_actor TEXT NOT NULL,"
        " last_at_us BIGINT NOT NULL, verified_on TEXT, steps TEXT NOT NULL, from_us BIGINT NOT NULL, to_us BIGINT,"
        " version BIGINT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (county, year, item_id, version))",
        "CREATE INDEX IF NOT EXISTS rectification_items_current ON rectification_items (county, year, item_id)"
        " WHERE to_us IS NULL",
        "CREATE INDEX IF NOT EXISTS rectification_items_as_of ON rectification_items (year, from_us)",
    )
    clear = ("DELETE FROM rectification_items",)

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        pending = _Pending()
        codes: dict[str, str] = {}
        for position, event in events:
            if not isinstance(event, County.RectificationRaised) and type(event) not in STEP_EVENTS:
                continue
            stream = event.originator_id.hex
            if stream not in codes:
                found = sql.execute("SELECT code FROM county_list WHERE stream = %s", [stream])
                codes[stream] = str(found[0]["code"])
            key = (codes[stream], int(event.year), str(event.item_id))
            if isinstance(event, County.RectificationRaised):
                row = _raised(key, event, position)
            else:
                row = _stepped(_open_row(sql, pending, key), event, position)
                _close(pending, key, micros(event.timestamp))
            pending.rows.append(row)
            pending.open[key] = row
        _flush(sql, pending)


def _step(event: Any, kind: str, text: str, files: list[Any]) -> dict[str, Any]:
    return {
        "kind": kind,
        "text": text,
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in files],
        "actor": event.actor,
        "at_us": micros(event.timestamp),
        "version": event.originator_version,
    }


def _dumps(steps: list[dict[str, Any]]) -> str:
    return orjson.dumps(steps, option=orjson.OPT_SORT_KEYS).decode()


def _raised(key: Key, event: Any, position: int) -> list[Any]:
    county, year, item_id = key
    at = micros(event.timestamp)
    steps = [_step(event, "raised", event.requirement, [])]
    ordinal = int(item_id.rpartition("Z")[2] or 0)
    return [county, year, item_id, ordinal, event.source, event.report_id, event.problem_id, event.indicator,
            event.problem, event.requirement, event.deadline, event.answerer, STATUS_AFTER["raised"], "raised",
            event.actor, at, None, _dumps(steps), at, None, event.originator_version, position]  # fmt: skip


def _stepped(previous: dict[str, Any], event: Any, position: int) -> list[Any]:
    kind = STEP_EVENTS[type(event)]
    text = event.reason if kind == "rejected" else event.comment if kind == "verified" else event.text
    steps = [*orjson.loads(previous["steps"]), _step(event, kind, text, list(getattr(event, "files", [])))]
    at = micros(event.timestamp)
    row = dict(previous) | {
        "status": STATUS_AFTER[kind],
        "last_step": kind,
        "last_actor": event.actor,
        "last_at_us": at,
        "verified_on": event.verified_on if kind == "verified" else previous["verified_on"],
        "steps": _dumps(steps),
        "from_us": at,
        "to_us": None,
        "version": event.originator_version,
        "position": position,
    }
    return [row[column] for column in COLUMNS]


def _open_row(sql: Sql, pending: _Pending, key: Key) -> dict[str, Any]:
    """The item's current row: written earlier in this batch, else from the table."""
    row = pending.open.get(key)
    if row is not None:
        return dict(zip(COLUMNS, row, strict=True))
    found = sql.execute(
        f"SELECT {', '.join(COLUMNS)} FROM rectification_items WHERE county = %s AND year = %s AND item_id = %s"
        " AND to_us IS NULL",
        list(key),
    )
    return dict(found[0])


def _close(pending: _Pending, key: Key, at: int) -> None:
    row = pending.open.pop(key, None)
    if row is not None:
        row[TO_US] = at
    elif key not in pending.closes:
        pending.closes[key] = at


def _flush(sql: Sql, pending: _Pending) -> None:
    sql.many(
        "UPDATE rectification_items SET to_us = %s WHERE county = %s AND year = %s AND item_id = %s AND to_us IS NULL",
        [[at, *key] for key, at in pending.closes.items()],
    )
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql.many(f"INSERT INTO rectification_items ({', '.join(COLUMNS)}) VALUES ({placeholders})", pending.rows)
