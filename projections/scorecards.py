"""The current scorecard of each county and year, kept whole: one row answers a read.

A scorecard combines the current scores, the county list and the results (overrides and
points) in eight statements. Readers ask for it far more often than it changes, so this
projection composes it once per batch that touched the county, with the very query
functions the as-of reads use, and keeps the JSON. It runs after the read models it reads
(``after``), in the same transaction: it never composes a card from a model that failed.

Beside the cards it notes, per county, the log position of the batch that last rewrote them
(``scorecard_changes``, in the same transaction as the tracking row): a process that follows
the read models from elsewhere asks which counties changed after the position it last
reported, and drops only their cached cards (``projections/follower.py``). A table of its own,
not a column of ``scorecards``: an existing database gains it by ``CREATE TABLE IF NOT
EXISTS`` (there is no migration step); its rows start with the first batch after the upgrade,
and a follower's first look drops its whole cache anyway.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from domain.county import SCORELESS_EVENTS, County
from projections import queries
from projections.card_cache import CardCache
from projections.runner import CachedSource, Projection
from projections.store import Sql, View


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


class ScorecardsProjection(Projection):
    name = "scorecards"
    after = ("counties", "scores", "score_history", "results")
    tables = (
        "CREATE TABLE IF NOT EXISTS scorecards (county TEXT NOT NULL, year INTEGER NOT NULL,"
        " card TEXT NOT NULL, PRIMARY KEY (county, year))",
        "CREATE TABLE IF NOT EXISTS scorecard_changes (county TEXT PRIMARY KEY, position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS scorecard_changes_position ON scorecard_changes (position)",
    )
    clear = ("DELETE FROM scorecards", "DELETE FROM scorecard_changes")

    def __init__(self) -> None:
        self.cache = CardCache()
        self._rewritten: set[str] = set()  # counties whose cards this transaction rewrote

    def committed(self) -> None:
        rewritten, self._rewritten = self._rewritten, set()
        self.cache.rewritten(rewritten)

    def discarded(self) -> None:
        self._rewritten = set()

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        touched = touched_years(events)
        changed: set[str] = set()
        for stream in sorted(touched):
            rows = sql.execute(
                "SELECT t.county, t.year FROM county_totals AS t JOIN county_list AS c ON c.code = t.county"
                " WHERE c.stream = %s ORDER BY t.year",
                [stream],
            )
            changed.update(row["county"] for row in rows)
            years = touched[stream]
            for row in rows:
                if years is not None and str(row["year"]) not in years:
                    continue  # nothing a card of that year is read from changed
                card = queries.scorecard(sql, row["county"], int(row["year"]))
                if card is None:
                    continue
                sql.execute("DELETE FROM scorecards WHERE county = %s AND year = %s", [row["county"], row["year"]])
                sql.execute(
                    "INSERT INTO scorecards (county, year, card) VALUES (%s, %s, %s)",
                    [row["county"], row["year"], orjson.dumps(card, default=_json_default).decode()],
                )
        self._rewritten.update(changed)
        position = max(position for position, _ in events)  # what the tracking row is set to (a rebuild
        # partition's batch holds its counties one after the other, not in the log's order)
        sql.many(
            "INSERT INTO scorecard_changes (county, position) VALUES (%s, %s)"
            " ON CONFLICT (county) DO UPDATE SET position = excluded.position",
            [(county, position) for county in sorted(changed)],
        )


def touched_years(events: list[tuple[int, Any]]) -> dict[str, set[str] | None]:
    """Each county stream of the batch with the years whose cards its events may change (None: all).

    A card of a year is read from that year's scores, totals, results and score history. An event
    with a year or period changes those of its year only; one that moves no score (a feedback, an
    anomaly, a proposal) none (its proposal's notes in the history carry the year); any other, all.
    """
    touched: dict[str, set[str] | None] = {}
    for _, event in events:
        if not isinstance(event, County.Event):
            continue
        years = touched.setdefault(event.originator_id.hex, set())
        year, period = getattr(event, "year", None), getattr(event, "period", None)
        if year is None and period:
            year = str(period)[:4]
        if years is None:
            continue
        if year is not None:
            years.add(str(year))
        elif not isinstance(event, SCORELESS_EVENTS):
            touched[event.originator_id.hex] = None
    return touched


def current_card(view: View, code: str, year: int) -> str | None:
    """The county's current scorecard for ``year`` as JSON, or None."""
    rows = view.execute("SELECT card FROM scorecards WHERE county = %s AND year = %s", [code, year])
    return str(rows[0]["card"]) if rows else None
