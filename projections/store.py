"""Read-model storage: the same SQL on SQLite (file or memory) and PostgreSQL.

Statements are written with ``%s`` placeholders; the SQLite store rewrites them.
A write transaction on SQLite starts with ``BEGIN IMMEDIATE`` (it takes the write
lock at once); on PostgreSQL the projection locks its tracking row instead.

An answer that combines rows reads them in one ``snapshot()``: one read-only transaction
that sees the read models as one commit left them, whatever commits meanwhile
(PostgreSQL ``REPEATABLE READ READ ONLY``; SQLite a deferred ``BEGIN``, whose WAL
snapshot is fixed at the first ``SELECT`` and held until the transaction ends).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

Row = dict[str, Any]
BULK_CACHE_KIB = -65_536  # SQLite's page cache during a rebuild: 64 MiB (a negative size is in KiB)
BULK_CHECKPOINT_PAGES = 20_000  # and its WAL checkpointed after this many pages (the default is 1,000)
BULK_SYNCHRONOUS = 1  # and its commits not synced (NORMAL; FULL is 2): see ``bulk``


class View(ABC):
    """Reads inside one transaction: every statement sees the same snapshot."""

    @abstractmethod
    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Sql(View):
    """A cursor inside one write transaction."""

    @abstractmethod
    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...


class ReadStore(ABC):
    dialect: str

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Sql]: ...

    @abstractmethod
    @contextmanager
    def snapshot(self) -> Iterator[View]:
        """One read-only transaction with a stable snapshot, for all the reads of one answer.

        Ends with a rollback (it never writes); an exception inside propagates."""

    @abstractmethod
    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """One statement in a transaction of its own: never two of them for one answer."""

    @abstractmethod
    def close(self) -> None: ...

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A long run of write transactions by this thread (a rebuild): whatever makes them
        cheaper without changing what they write. Nothing by default."""
        yield

    def refresh_statistics(self) -> None:
        """After a rebuild: the planner's statistics of tables that were emptied and refilled.
        Nothing by default (SQLite keeps none unless asked, and plans well without)."""
        return None

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

    def __init__(self, path: str, scratch: bool = False) -> None:
        self.path = path
        self.memory = path == ":memory:"
        self.scratch = scratch
        self._local = threading.local()
        self._lock = threading.RLock()
        self._shared: sqlite3.Connection | None = self._connect() if self.memory else None
        self._connections: list[sqlite3.Connection] = []

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        if self.scratch:  # thrown away unless complete: no crash to survive, nothing to sync
            connection.execute("PRAGMA journal_mode=MEMORY")
            connection.execute("PRAGMA synchronous=OFF")
        elif not self.memory:
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

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A page cache large enough for the indexes a rebuild keeps inserting into (the
        default 2 MiB evicts and re-reads their pages every batch), and the write-ahead log
        copied back into the database every ~80 MiB instead of every ~4 MiB (a page a rebuild
        rewrites batch after batch is copied once per checkpoint): on this thread's connection
        only and only meanwhile. A database in memory is all cache already.

        Its commits are not synced either (``synchronous=NORMAL``; a scratch file keeps OFF):
        in WAL mode a commit is then atomic and ordered but not yet durable; a power loss may
        drop the last ones, never half of one. A rebuild commits each batch with the positions
        it reached (a partitioned one sets them only at its end), so a lost suffix takes its
        positions with it and the next start replays it; the first synced commit after (any
        other connection's, or a checkpoint) makes every earlier frame of the log durable."""
        if self.memory:
            yield
            return
        connection = self._connection()
        previous = int(connection.execute("PRAGMA cache_size").fetchone()[0])
        checkpoint = int(connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        synchronous = int(connection.execute("PRAGMA synchronous").fetchone()[0])
        connection.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
        connection.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
        connection.execute(f"PRAGMA synchronous = {min(synchronous, BULK_SYNCHRONOUS)}")
        try:
            yield
        finally:
            connection.execute(f"PRAGMA cache_size = {previous}")
            connection.execute(f"PRAGMA wal_autocheckpoint = {checkpoint}")
            connection.execute(f"PRAGMA synchronous = {synchronous}")

    @contextmanager
    def attached(self, paths: Sequence[str]) -> Iterator[list[str]]:
        """Other SQLite files opened beside this one on this thread's connection, meanwhile:
        yields the schema names to qualify their tables with (``part0.county_totals``)."""
        connection = self._connection()
        schemas = [f"part{index}" for index in range(len(paths))]
        for schema, path in zip(schemas, paths, strict=True):
            connection.execute("ATTACH DATABASE ? AS " + schema, [path])
        try:
            yield schemas
        finally:
            for schema in schemas:
                connection.execute("DETACH DATABASE " + schema)

    @contextmanager
    def snapshot(self) -> Iterator[View]:
        """A deferred transaction: in WAL mode its snapshot is taken by the first SELECT and
        held until the end. In memory the store's lock keeps every writer out meanwhile."""
        with self._lock if self.memory else _nolock():
            connection = self._connection()
            cursor = connection.cursor()
            cursor.execute("BEGIN")
            try:
                yield _SQLiteSql(cursor)
            finally:
                if connection.in_transaction:  # (an error may have ended it already)
                    cursor.execute("ROLLBACK")

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
        """Many rows in one go: a plain ``INSERT … VALUES`` becomes one ``COPY`` (no round trip
        per row, no statement per row); anything else runs as one prepared statement, pipelined.
        This is where a rebuild spends its time writing (ADR 28)."""
        if not rows:
            return
        plain = _PLAIN_INSERT.match(statement)
        if plain is not None and len(rows) > 1:
            table, columns = plain.group(1), plain.group(2)
            with self.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        connection = self.cursor.connection
        threshold = connection.prepare_threshold
        connection.prepare_threshold = 0  # prepared once, executed for every row
        try:
            self.cursor.executemany(statement, rows)
        finally:
            connection.prepare_threshold = threshold


# ``INSERT INTO table (a, b) VALUES (%s, %s)`` and nothing more: what COPY can do instead.
_PLAIN_INSERT = re.compile(r"^INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:%s, )*%s\)$")


class PostgresReadStore(ReadStore):
    dialect = "postgresql"

    def __init__(self, conninfo: str, max_size: int = 8, timeout: float = 30.0) -> None:
        from psycopg import IsolationLevel
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self._dict_row = dict_row
        self._repeatable_read = IsolationLevel.REPEATABLE_READ
        self.pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            open=True,
            kwargs={"autocommit": False, "prepare_threshold": None},
            reset=_default_characteristics,
            timeout=timeout,  # how long a caller waits for a connection (a replica that is down: short)
        )

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with (
            self.pool.connection() as connection,
            connection.transaction(),
            connection.cursor(row_factory=self._dict_row) as cursor,
        ):
            yield _PostgresSql(cursor)

    def refresh_statistics(self) -> None:
        """``ANALYZE``: a rebuilt read model would otherwise be planned by the statistics of its
        empty table until autovacuum comes by (at 500 counties the as-of ranking took 890 ms
        instead of 70 without them)."""
        with self.transaction() as sql:
            sql.execute("ANALYZE")

    @contextmanager
    def snapshot(self) -> Iterator[View]:
        """The first statement opens ``BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY``
        (psycopg sends it; setting the level costs no round trip), whose snapshot is taken
        by that statement and held until the rollback. The pool's reset restores the
        defaults before the connection serves anyone else."""
        with self.pool.connection() as connection:
            connection.isolation_level = self._repeatable_read
            connection.read_only = True
            try:
                with connection.cursor(row_factory=self._dict_row) as cursor:
                    yield _PostgresSql(cursor)
            except BaseException:
                with suppress(Exception):  # a broken connection: the pool discards it
                    connection.rollback()
                raise
            connection.rollback()

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.pool.connection() as connection, connection.cursor(row_factory=self._dict_row) as cursor:
            cursor.execute(statement, tuple(params))
            rows = list(cursor.fetchall()) if cursor.description is not None else []
            connection.rollback()
            return rows

    def close(self) -> None:
        self.pool.close()


def _default_characteristics(connection: Any) -> None:
    """Back to the server's defaults (read committed, read write) after a snapshot."""
    connection.isolation_level = None
    connection.read_only = None
