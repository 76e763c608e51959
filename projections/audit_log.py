"""The raw audit stream of each county: every event with its position, time, actor and payload."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import orjson

from domain.county import County
from projections.runner import CachedSource, Projection
from projections.store import Sql
from projections.temporal import micros

_HIDDEN = ("originator_id", "originator_version", "timestamp", "originator_topic", "actor", "correlation_id")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # One level only: orjson walks the fields and comes back here for the dataclasses and
        # decimals within (``asdict`` deep-copied a whole scheme first, ~0.7 ms an adoption).
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    raise TypeError(type(value).__name__)


def payload_of(event: Any) -> str:
    # Decimals (a data event's value) turned to text here rather than one callback each.
    fields = {key: str(value) if type(value) is Decimal else value
              for key, value in vars(event).items() if key not in _HIDDEN}  # fmt: skip
    return orjson.dumps(
        fields, default=_json_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
    ).decode()


class CountyEventsProjection(Projection):
    name = "county_events"
    tables = (
        "CREATE TABLE IF NOT EXISTS county_events (stream TEXT NOT NULL, version BIGINT NOT NULL,"
        " position BIGINT NOT NULL, type TEXT NOT NULL, recorded_us BIGINT NOT NULL, actor TEXT NOT NULL,"
        " correlation_id TEXT NOT NULL, reason TEXT, payload TEXT NOT NULL, PRIMARY KEY (stream, version))",
        "CREATE INDEX IF NOT EXISTS county_events_time ON county_events (stream, recorded_us)",
    )
    clear = ("DELETE FROM county_events",)

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        rows = [
            [event.originator_id.hex, event.originator_version, position, type(event).__name__,
             micros(event.timestamp), event.actor, event.correlation_id, getattr(event, "reason", None),
             payload_of(event)]
            for position, event in events
            if isinstance(event, County.Event)
        ]  # fmt: skip
        sql.many(
            "INSERT INTO county_events (stream, version, position, type, recorded_us, actor, correlation_id, reason,"
            " payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
