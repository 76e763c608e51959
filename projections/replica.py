"""Read-model queries on a streaming replica, everything else on the primary (ADR 28).

Only ``snapshot()`` — the one transaction every read answer is built from — goes to the
replica, and only while the follower finds it answering (``up``). Writes (projections,
files, sign-in throttling) and single ``query()`` statements stay on the primary. A
snapshot that cannot get a replica connection is taken on the primary instead: the
primary holds at least what the replica does, so the answer is never older than the
position the read was told.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog

from projections.store import PostgresReadStore, ReadStore, Row, Sql, View

log = structlog.get_logger("ruraleval.projections")


class ReplicaRoutedStore(ReadStore):
    dialect = "postgresql"

    def __init__(self, primary: ReadStore, replica: PostgresReadStore) -> None:
        self.primary = primary
        self.replica = replica
        self.up = True

    def set_replica(self, up: bool) -> None:
        self.up = up

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with self.primary.transaction() as sql:
            yield sql

    @contextmanager
    def snapshot(self) -> Iterator[View]:
        if self.up:
            try:
                connection = self.replica.pool.getconn(timeout=1.0)
            except Exception as error:
                log.warning("read_replica_unreachable", error=type(error).__name__)
                self.up = False
            else:
                self.replica.pool.putconn(connection)
                with self.replica.snapshot() as view:
                    yield view
                return
        with self.primary.snapshot() as view:
            yield view

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.primary.query(statement, params)

    def close(self) -> None:
        try:
            self.replica.close()
        finally:
            self.primary.close()
