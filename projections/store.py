"""Read-model storage: the same SQL on SQLite (file or memory) and PostgreSQL.

Statements are written with ``%s`` placeholders; the SQLite store rewrites them.
A write transaction on SQLite starts with ``BEGIN IMMEDIATE`` (it takes the write
lock at once); on PostgreSQL the projection locks its tracking row instead.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

Row = dict[str, Any]


class Sql(ABC):
    """A cursor inside one transaction."""

    @abstractmethod
    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...


class ReadStore(ABC):
    dialect: str

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Sql]: ...

    @abstractmethod
    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def close(self) -> None: ...

    def create(self, statements: Sequence[str]) -> None:
        with self.transaction() as sql:
            for statement in statements:
                sql.execute(statement)


class _SQLiteSql(Sql):
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        self.cursor.execute(_sqlite(statement), tuple(params))
        return _rows(self.cursor)

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.cursor.executemany(_sqlite(statement), rows)


def _sqlite(statement: str) -> str:
    return statement.replace("%s", "?").replace(" FOR UPDATE", "")


def _rows(cursor: sqlite3.Cursor) -> list[Row]:
    if cursor.description is None:
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class SQLiteReadStore(ReadStore):
    """One connection per thread on a file; one shared connection in memory."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self.memory = path == ":memory:"
        self._local = threading.local()
        self._lock = threading.RLock()
        self._shared: sqlite3.Connection | None = self._connect() if self.memory else None
        self._connections: list[sqlite3.Connection] = []

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        if not self.memory:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    def _connection(self) -> sqlite3.Connection:
        if self._shared is not None:
            return self._shared
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with self._lock if self.memory else _nolock():
            connection = self._connection()
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteSql(cursor)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock if self.memory else _nolock():
            cursor = self._connection().cursor()
            cursor.execute(_sqlite(statement), tuple(params))
            return _rows(cursor)

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
            if self._shared is not None:
                self._shared.close()


@contextmanager
def _nolock() -> Iterator[None]:
    yield


class _PostgresSql(Sql):
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        self.cursor.execute(statement, tuple(params))
        if self.cursor.description is None:
            return []
        return list(self.cursor.fetchall())

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(statement, rows)


class PostgresReadStore(ReadStore):
    dialect = "postgresql"

    def __init__(self, conninfo: str, max_size: int = 8) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self._dict_row = dict_row
        self.pool = ConnectionPool(
            conninfo, min_size=1, max_size=max_size, open=True, kwargs={"autocommit": False, "prepare_threshold": None}
        )

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with (
            self.pool.connection() as connection,
            connection.transaction(),
            connection.cursor(row_factory=self._dict_row) as cursor,
        ):
            yield _PostgresSql(cursor)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.pool.connection() as connection, connection.cursor(row_factory=self._dict_row) as cursor:
            cursor.execute(statement, tuple(params))
            rows = list(cursor.fetchall()) if cursor.description is not None else []
            connection.rollback()
            return rows

    def close(self) -> None:
        self.pool.close()
