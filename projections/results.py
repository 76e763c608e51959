"""Results recorded beside the computed scores: overrides and bonus/penalty points (ADR 19).

Each row is one override or one entry of points, with who recorded it, why and when, and,
once revoked, who revoked it, why and when. With the recorded and revoked instants a row
says whether it stood at any instant, so the scores as of any date show whose result
stood for a node, what stood beneath it, and how much of each entry of points counted.
The rules of a county's year that decide those (the scheme's order of authorities and its
caps) are kept beside them. Rows are keyed by stream and version: a function of the log.
"""

from __future__ import annotations

from typing import Any

import orjson

from domain.county import County
from projections.runner import CachedSource, Projection
from projections.store import Sql
from projections.temporal import micros

REVOCATION = "revoked_version = %s, revoked_us = %s, revoked_by = %s, revoke_reason = %s"


class ResultsProjection(Projection):
    name = "results"
    tables = (
        "CREATE TABLE IF NOT EXISTS result_rules (stream TEXT NOT NULL, year INTEGER NOT NULL,"
        " authorities TEXT NOT NULL, bonus_cap TEXT NOT NULL, penalty_cap TEXT NOT NULL,"
        " PRIMARY KEY (stream, year))",
        "CREATE TABLE IF NOT EXISTS score_overrides (stream TEXT NOT NULL, version BIGINT NOT NULL,"
        " year INTEGER NOT NULL, override_id TEXT NOT NULL, node TEXT NOT NULL, score TEXT NOT NULL,"
        " authority TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL, recorded_us BIGINT NOT NULL,"
        " revoked_version BIGINT, revoked_us BIGINT, revoked_by TEXT, revoke_reason TEXT,"
        " PRIMARY KEY (stream, version))",
        "CREATE INDEX IF NOT EXISTS score_overrides_year ON score_overrides (stream, year)",
        "CREATE TABLE IF NOT EXISTS point_adjustments (stream TEXT NOT NULL, version BIGINT NOT NULL,"
        " year INTEGER NOT NULL, adjustment_id TEXT NOT NULL, points TEXT NOT NULL, category TEXT NOT NULL,"
        " actor TEXT NOT NULL, reason TEXT NOT NULL, recorded_us BIGINT NOT NULL,"
        " revoked_version BIGINT, revoked_us BIGINT, revoked_by TEXT, revoke_reason TEXT,"
        " PRIMARY KEY (stream, version))",
        "CREATE INDEX IF NOT EXISTS point_adjustments_year ON point_adjustments (stream, year)",
    )
    clear = ("DELETE FROM result_rules", "DELETE FROM score_overrides", "DELETE FROM point_adjustments")

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        for _, event in events:
            if isinstance(event, (County.Enrolled, County.SchemeAdopted)):
                _rules(sql, event)
            elif isinstance(event, County.ScoreOverridden):
                sql.execute(
                    "INSERT INTO score_overrides (stream, version, year, override_id, node, score, authority, actor,"
                    " reason, recorded_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [*_key(event), event.year, event.override_id, event.node, str(event.score), event.authority,
                     event.actor, event.reason, micros(event.timestamp)],
                )  # fmt: skip
            elif isinstance(event, County.OverrideRevoked):
                sql.execute(
                    f"UPDATE score_overrides SET {REVOCATION}"
                    " WHERE stream = %s AND year = %s AND override_id = %s AND revoked_version IS NULL",
                    [*_revocation(event), event.originator_id.hex, event.year, event.override_id],
                )
            elif isinstance(event, County.PointsAdjusted):
                sql.execute(
                    "INSERT INTO point_adjustments (stream, version, year, adjustment_id, points, category, actor,"
                    " reason, recorded_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [*_key(event), event.year, event.adjustment_id, str(event.points), event.category, event.actor,
                     event.reason, micros(event.timestamp)],
                )  # fmt: skip
            elif isinstance(event, County.PointsRevoked):
                # The first entry of that id still standing, as the aggregate finds it.
                sql.execute(
                    f"UPDATE point_adjustments SET {REVOCATION} WHERE stream = %s AND version = (SELECT MIN(version)"
                    " FROM point_adjustments WHERE stream = %s AND year = %s AND adjustment_id = %s"
                    " AND revoked_version IS NULL)",
                    [
                        *_revocation(event),
                        event.originator_id.hex,
                        event.originator_id.hex,
                        event.year,
                        event.adjustment_id,
                    ],
                )


def _key(event: Any) -> list[Any]:
    return [event.originator_id.hex, event.originator_version]


def _revocation(event: Any) -> list[Any]:
    return [event.originator_version, micros(event.timestamp), event.actor, event.reason]


def _rules(sql: Sql, event: Any) -> None:
    scheme = event.scheme
    sql.execute(
        "INSERT INTO result_rules (stream, year, authorities, bonus_cap, penalty_cap) VALUES (%s, %s, %s, %s, %s)",
        [event.originator_id.hex, scheme.year, orjson.dumps(scheme.authorities).decode(), str(scheme.bonus_cap),
         str(scheme.penalty_cap)],
    )  # fmt: skip
