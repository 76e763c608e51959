"""The temporal scores read model: every version of every node's score, with its cause.

A row says: from recorded instant ``from_us`` until ``to_us`` (open while current), the
node of a county's year stood like this, because of that event. "As of D" selects the
rows with ``from_us <= D < to_us``; the history of a node is its rows in order. Each
event's effect is computed from the county exactly as it stood after that event, so the
model is a function of the log and a rebuild gives it back row for row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from domain.county import PROPOSAL_EVENTS, SCORELESS_EVENTS, County
from domain.proposals import cause_of_proposal, concerned_nodes, proposal_behind
from domain.scoring import Scorecard, rescore_data, score_year
from projections.causes import cause_of
from projections.runner import CachedSource, Projection
from projections.store import Sql

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TOTAL = "total"
SHAPE = ("ordinal", "name", "parent", "level", "kind", "value", "computed", "score", "max", "overridden",
         "authority", "override_id", "detail")  # fmt: skip
COLUMNS = ("county", "year", "code", *SHAPE, "from_us", "to_us", "version", "position", "cause")


def micros(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def instant(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def card_rows(card: Scorecard, previous: Scorecard | None = None,
              known: dict[str, tuple[Any, ...]] | None = None) -> dict[str, tuple[Any, ...]]:  # fmt: skip
    """Each node's shape (everything but time and cause), keyed by node code.

    ``known``, the rows of ``previous``, are reused for the nodes ``card`` took over unchanged
    from it (the same immutable node at the same place: a data event rescores only a path)."""
    return card_rows_redone(card, previous, known)[0]


def card_rows_redone(card: Scorecard, previous: Scorecard | None = None,
                     known: dict[str, tuple[Any, ...]] | None = None,
                     ) -> tuple[dict[str, tuple[Any, ...]], set[str] | None]:  # fmt: skip
    """``card_rows``, with the codes whose rows were made anew (None: all of them); every
    other row is the very tuple of ``known``, so only these can differ from it."""
    reused = _reused_rows(card, previous, known)
    if reused is None:
        rows = {node.code: _node_row(ordinal, node) for ordinal, node in enumerate(card.nodes)}
        redone = None
    else:
        rows, redone = reused
        redone.add(TOTAL)
    detail = {"bonus": str(card.bonus), "penalty": str(card.penalty), "computed_total": str(card.computed_total),
              "grade": card.grade, "composites": {k: _text(v) for k, v in card.composites.items()}}  # fmt: skip
    override = card.total_override
    rows[TOTAL] = (
        len(card.nodes), "总分", None, 0, "total", None, str(card.computed_total), str(card.total), "100",
        1 if override else 0, override.authority if override else None, override.id if override else None,
        orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode(),
    )  # fmt: skip
    return rows, redone


def _reused_rows(card: Scorecard, previous: Scorecard | None,
                 known: dict[str, tuple[Any, ...]] | None,
                 ) -> tuple[dict[str, tuple[Any, ...]], set[str]] | None:  # fmt: skip
    """``known`` with the rows of the nodes that changed replaced, and their codes; None unless
    the tree is the same."""
    if previous is None or known is None or len(previous.nodes) != len(card.nodes):
        return None
    rows = dict(known)
    redone = set()
    for ordinal, (node, old) in enumerate(zip(card.nodes, previous.nodes, strict=True)):
        if node is not old:
            if node.code != old.code:
                return None
            rows[node.code] = _node_row(ordinal, node)
            redone.add(node.code)
    return rows, redone


def _node_row(ordinal: int, node: Any) -> tuple[Any, ...]:
    override = node.override
    return (
        ordinal, node.name, node.parent, node.level, node.kind, _text(node.value), str(node.computed),
        str(node.score), str(node.max), 1 if override else 0, override.authority if override else None,
        override.id if override else None, None,
    )  # fmt: skip


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass
class _Pending:
    """A batch's writes: new rows, and the open row of each node it touched.

    A node changed twice in one batch has its first new row closed in memory; only rows
    from earlier batches are closed with an UPDATE.
    """

    rows: list[list[Any]]
    open: dict[tuple[str, int, str], list[Any]]
    closes: dict[tuple[str, int, str], int]


class ScoreHistoryProjection(Projection):
    name = "score_history"
    tables = (
        "CREATE TABLE IF NOT EXISTS score_history (county TEXT NOT NULL, year INTEGER NOT NULL, code TEXT NOT NULL,"
        " ordinal INTEGER NOT NULL, name TEXT NOT NULL, parent TEXT, level INTEGER NOT NULL, kind TEXT NOT NULL,"
        " value TEXT, computed TEXT NOT NULL, score TEXT NOT NULL, max TEXT NOT NULL, overridden INTEGER NOT NULL,"
        " authority TEXT, override_id TEXT, detail TEXT, from_us BIGINT NOT NULL, to_us BIGINT,"
        " version BIGINT NOT NULL, position BIGINT NOT NULL, cause TEXT NOT NULL,"
        " PRIMARY KEY (county, year, code, version))",
        "CREATE INDEX IF NOT EXISTS score_history_as_of ON score_history (year, code, from_us)",
        # A county's row of a node as of an instant (the as-of ranking probes each county's total).
        "CREATE INDEX IF NOT EXISTS score_history_county_as_of ON score_history (county, year, code, from_us)",
        # Closing a node's open row finds it here, however large the history grows.
        "CREATE INDEX IF NOT EXISTS score_history_current ON score_history (county, year, code) WHERE to_us IS NULL",
        # The overridden figures as of an instant (the ranking's marks, each step of the leader's
        # slider) are a few rows among the whole history: without this a step scanned the year.
        "CREATE INDEX IF NOT EXISTS score_history_overridden ON score_history (year, from_us) WHERE overridden = 1",
    )
    clear = ("DELETE FROM score_history",)

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        pending = _Pending([], {}, {})
        streams: dict[UUID, list[tuple[int, Any]]] = {}
        for position, event in events:
            if isinstance(event, County.Event):
                streams.setdefault(event.originator_id, []).append((position, event))
        for stream, stream_events in streams.items():
            self._replay(stream, stream_events, source, pending)
        _flush(sql, pending)

    def _replay(self, stream: UUID, events: list[tuple[int, Any]], source: CachedSource, pending: _Pending) -> None:
        first = events[0][1].originator_version
        county: Any = source.aggregate(stream, first - 1) if first > 1 else None
        derived = source.derived(stream, first - 1)
        cards: dict[str, Scorecard] = dict(derived.get("cards", {}))
        for year, book in county.years.items() if county else []:
            if year not in cards:
                cards[year] = score_year(book)
        # The rows of the cards the last batch ended with come with them (rows derive from a card alone).
        known, rows = derived.get("cards", {}), derived.get("rows", {})
        before = {
            year: rows[year] if year in rows and known.get(year) is card else card_rows(card)
            for year, card in cards.items()
        }
        for position, event in events:
            county = event.mutate(county)
            at = micros(event.timestamp)
            behind = proposal_behind(county, event)
            proposal = {"proposal": cause_of_proposal(behind)} if behind is not None else {}
            for year in _years(event, county):
                previous = cards.get(year)
                cards[year] = _rescore(county.years[year], previous, event)
                after, redone = card_rows_redone(cards[year], previous, before.get(year))
                _record_changes(
                    county.code, int(year), before.get(year, {}), after, at, position, event, pending, proposal,
                    redone=redone,
                )  # fmt: skip
                before[year] = after
            if behind is not None and type(event) in PROPOSAL_EVENTS:  # no score moves; its nodes show it
                year = str(event.year)
                rows, noted = before[year], concerned_nodes(behind)
                _record_changes(county.code, int(year), rows, rows, at, position, event, pending, proposal, noted)
        source.remember(stream, county.version, county, {"cards": cards, "rows": before})


DATA_EVENTS = (County.DataSubmitted, County.DataCorrected, County.SubmissionWithdrawn)


def _rescore(book: Any, previous: Scorecard | None, event: Any) -> Scorecard:
    """Data events move one indicator and its ancestors; anything else rescores the year."""
    if previous is not None and isinstance(event, DATA_EVENTS):
        return rescore_data(book, previous, event.indicator)
    return score_year(book)


def _years(event: Any, county: County) -> list[str]:
    if isinstance(event, SCORELESS_EVENTS):
        return []
    year = getattr(event, "year", None)
    if year is not None:
        return [str(year)]
    period = getattr(event, "period", None)
    if period is not None:
        return [str(period)[:4]]
    return sorted(county.years)


def _record_changes(
    code: str,
    year: int,
    before: dict[str, tuple[Any, ...]],
    after: dict[str, tuple[Any, ...]],
    at: int,
    position: int,
    event: Any,
    pending: _Pending,
    extra: dict[str, Any] | None = None,
    noted: set[str] | None = None,
    redone: set[str] | None = None,
) -> None:
    """A new row for every node the event changed, and for the ``noted`` ones it concerns.

    ``redone``: the only nodes whose rows ``after`` does not share with ``before`` (None: any)."""
    # (A row ``card_rows`` reused is the same tuple: equal without comparing its fields. A data
    # event redoes a path of a few nodes: comparing only those spares a walk of the whole tree.)
    if redone is not None:
        changed = {node for node in redone if before.get(node) != after[node]}
    else:
        changed = {node for node, row in after.items() if (old := before.get(node)) is not row and old != row}
        changed.update(before.keys() - after.keys())
    written = changed | ((noted or set()) & after.keys())
    if not written:
        return
    cause = cause_of(event) | (extra or {})
    # The changed nodes under each parent (by the row each had last), and the changed dimensions.
    below: dict[str | None, list[str]] = {}
    dimensions = []
    for child in sorted(changed):
        shape = after.get(child) or before[child]
        below.setdefault(shape[2], []).append(child)
        if shape[3] == 1:
            dimensions.append(child)
    for node in written:
        key = (code, year, node)
        if node in before:
            _close(pending, key, at)
        if node in after:
            children = dimensions if node == TOTAL else below.get(node)
            node_cause = cause | {"children": children} if children or node == TOTAL else cause
            row = [
                code, year, node, *after[node], at, None, event.originator_version, position,
                orjson.dumps(node_cause, option=orjson.OPT_SORT_KEYS).decode(),
            ]  # fmt: skip
            pending.rows.append(row)
            pending.open[key] = row


def _close(pending: _Pending, key: tuple[str, int, str], at: int) -> None:
    """Ends the open row of a node: in memory if this batch wrote it, else in the table."""
    row = pending.open.pop(key, None)
    if row is not None:
        row[-4] = at
    elif key not in pending.closes:
        pending.closes[key] = at


def _flush(sql: Sql, pending: _Pending) -> None:
    sql.many(
        "UPDATE score_history SET to_us = %s WHERE county = %s AND year = %s AND code = %s AND to_us IS NULL",
        [[at, county, year, node] for (county, year, node), at in pending.closes.items()],
    )
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql.many(f"INSERT INTO score_history ({', '.join(COLUMNS)}) VALUES ({placeholders})", pending.rows)
