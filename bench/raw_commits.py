"""The floor to compare with: one row per transaction on one connection, same durability.

SQLite: WAL with synchronous=FULL (what the event store's connections run with).
PostgreSQL: the server's defaults (fsync and synchronous_commit on), one INSERT and
one COMMIT per row.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from bench.stores import Target

# About the size of a DataSubmitted event's stored state.
PAYLOAD = '{"indicator":"1.1","period":"2023-01","value":"12.34","source":"form","idempotency_key":null,' + (
    '"actor":"bench.client","correlation_id":"' + "0" * 32 + '","timestamp":"2023-01-01T00:00:00+00:00",'
    '"originator_topic":"domain.county:County"}'
)


@dataclass
class RawResult:
    rows: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def _loop(commit_one: Callable[[], None], seconds: float, max_rows: int) -> RawResult:
    latencies: list[float] = []
    began = time.perf_counter()
    deadline = began + seconds
    for _ in range(max_rows):
        started = time.perf_counter()
        commit_one()
        ended = time.perf_counter()
        latencies.append(ended - started)
        if ended >= deadline:
            break
    return RawResult(len(latencies), time.perf_counter() - began, latencies)


def sqlite_round(path: str, seconds: float, max_rows: int) -> RawResult:
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL)"
        )
        execute = connection.execute

        def commit_one() -> None:
            execute("BEGIN")
            execute("INSERT INTO bench_raw (payload) VALUES (?)", (PAYLOAD,))
            execute("COMMIT")

        return _loop(commit_one, seconds, max_rows)
    finally:
        connection.close()


def postgres_round(conninfo: str, seconds: float, max_rows: int) -> RawResult:
    with psycopg.connect(conninfo) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)")
        connection.commit()
        cursor = connection.cursor()

        def commit_one() -> None:
            cursor.execute("INSERT INTO bench_raw (payload) VALUES (%s)", (PAYLOAD,))
            connection.commit()

        return _loop(commit_one, seconds, max_rows)


def raw_round(target: Target, seconds: float, max_rows: int) -> RawResult:
    if target.kind == "sqlite":
        return sqlite_round(target.sqlite_path, seconds, max_rows)
    return postgres_round(target.conninfo, seconds, max_rows)
