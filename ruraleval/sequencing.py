"""Recorded time in commit order: events are stamped while the store's write lock is held.

Each store keeps one number beside its log, the *floor* (``…_clock.last_us``): no event
will ever be stamped at or before it, and every event stamped at or before it is
committed. A writer takes the store's write lock (PostgreSQL: ``LOCK TABLE … IN
EXCLUSIVE MODE``, the lock the library's recorder takes anyway; SQLite: ``BEGIN
IMMEDIATE``; memory: the recorder's lock), reads the floor, stamps its batch
``max(now, floor + 1 µs)``, inserts the events, moves the floor to that stamp and
commits, all in one transaction. So stamps increase in commit order whatever the
writers' clocks say.

A read as of instant T asks for the floor (``settle``). If the floor is at or after T,
every event stamped at or before T is already committed, and no later one can be: the
answer for T is final. Otherwise it takes the lock once as a barrier and raises the
floor to T (a *fence*): writers still waiting for the lock then stamp after T. Either way
it learns a log position that covers every event stamped at or before T, which the read
models must reach before answering (ADR 16).

Events given a recorded time by the caller (``Context.recorded_at``: the demo and tests
writing history at chosen instants) keep it and stand outside this order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from eventsourcing.persistence import (
    ApplicationRecorder,
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg.sql import SQL, Identifier

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_MICROSECOND


def instant(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


@dataclass(frozen=True)
class Floor:
    """Every event stamped at or before ``us`` is committed at log position ``head`` or earlier,
    and no event will ever be stamped at or before ``us``."""

    us: int
    head: int


class Hold:
    """The store's write lock, held from before a batch is stamped until it is committed."""

    def __init__(self, floor_us: int) -> None:
        self.floor_us = floor_us
        self.stamped_us: int | None = None
        self.recorded = False

    def stamp(self, clock: Callable[[], datetime]) -> datetime:
        """The batch's recorded time: the clock, but always after everything committed before."""
        if self.stamped_us is None:
            self.stamped_us = max(micros(clock()), self.floor_us + 1)
        return instant(self.stamped_us)

    @property
    def new_floor(self) -> int | None:
        """What the floor becomes when the batch commits (None: it stays)."""
        return self.stamped_us if self.recorded else None


class SequencedRecorder(Protocol):
    """An application recorder that stamps in commit order and answers barriers."""

    def hold(self) -> Any:
        """A context manager: one write transaction holding the lock; yields a ``Hold``."""
        ...

    def floor(self) -> Floor:
        """The floor as last committed, read without the lock."""
        ...

    def fence(self, at_us: int) -> Floor:
        """Takes the lock once and raises the floor to at least ``at_us``."""
        ...


# ---------------------------------------------------------------- PostgreSQL


class SequencedPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, with the floor in ``<events table>_clock``.

    Inside ``hold()`` the library's ``insert_events`` (called by ``Application.save``)
    writes on the held transaction instead of opening one of its own; outside, it is the
    library's, untouched.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.clock_table_name = f"{events_table_name}_clock"
        self.check_identifier_length(self.clock_table_name)
        schema, clock = Identifier(datastore.schema), Identifier(self.clock_table_name)
        events = Identifier(self.events_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (id SMALLINT PRIMARY KEY CHECK (id = 1), last_us BIGINT NOT NULL)"
            ).format(schema, clock)
        )
        self.sql_create_statements.append(
            SQL("INSERT INTO {0}.{1} (id, last_us) VALUES (1, 0) ON CONFLICT (id) DO NOTHING").format(schema, clock)
        )
        self._select_floor = SQL("SELECT last_us FROM {0}.{1} WHERE id = 1").format(schema, clock)
        self._select_floor_and_head = SQL(
            "SELECT c.last_us, (SELECT MAX(notification_id) FROM {0}.{2}) AS head FROM {0}.{1} AS c WHERE c.id = 1"
        ).format(schema, clock, events)
        self._raise_floor = SQL("UPDATE {0}.{1} SET last_us = %s WHERE id = 1 AND last_us < %s").format(schema, clock)
        self._held = threading.local()

    @contextmanager
    def hold(self) -> Iterator[Hold]:
        # In pipeline mode, as the library's own insert: three round trips in all (lock and
        # read the floor; insert; move the floor and commit), however long the batch takes.
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() as pipeline,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._lock_table(curs)
            curs.execute(self._select_floor, prepare=True)
            pipeline.sync()
            row = curs.fetchone()
            assert row is not None, "the clock row is created with the table"
            hold = Hold(int(row["last_us"]))
            self._held.context = (conn, pipeline, hold)
            try:
                yield hold
            finally:
                self._held.context = None
            if hold.new_floor is not None:
                curs.execute(self._raise_floor, (hold.new_floor, hold.new_floor), prepare=True)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        held = getattr(self._held, "context", None)
        if held is None:
            return super().insert_events(stored_events, **kwargs)
        conn, pipeline, hold = held
        if not stored_events:
            return []
        with conn.cursor() as curs:
            self._notify_channel(curs)
        with conn.cursor() as curs:
            # The events table's own INSERT … RETURNING, on the held transaction (the lock is held already).
            super(PostgresApplicationRecorder, self)._insert_stored_events(curs, stored_events, **kwargs)
            pipeline.sync()  # a version conflict is raised here, before anything else happens
            notification_ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        hold.recorded = True
        return notification_ids

    def floor(self) -> Floor:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_floor_and_head, prepare=True)
            return _floor(curs.fetchone())

    def fence(self, at_us: int) -> Floor:
        # One round trip: lock, raise the floor, read it and the head, commit.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            with conn.pipeline(), conn.transaction():
                self._lock_table(curs)
                curs.execute(self._raise_floor, (at_us, at_us), prepare=True)
                curs.execute(self._select_floor_and_head, prepare=True)
            return _floor(curs.fetchone())


def _floor(row: Any) -> Floor:
    assert row is not None, "the clock row is created with the table"
    values = list(row.values()) if isinstance(row, dict) else list(row)
    return Floor(int(values[0]), int(values[1] or 0))


# ---------------------------------------------------------------- SQLite


class SequencedSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's recorder, with the floor in ``stored_events_clock``; ``BEGIN IMMEDIATE`` is the lock."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        self.clock_table_name = f"{events_table_name}_clock"  # before the library builds its create statements
        super().__init__(datastore, events_table_name)
        self._select_floor_and_head = (
            f"SELECT c.last_us, (SELECT MAX(rowid) FROM {self.events_table_name}) AS head"
            f" FROM {self.clock_table_name} AS c WHERE c.id = 1"
        )
        self._raise_floor = f"UPDATE {self.clock_table_name} SET last_us = ? WHERE id = 1 AND last_us < ?"
        self._held = threading.local()
        self._writers = threading.Lock()
        # An in-memory database needs the pool's reader/writer exclusion; a file has BEGIN IMMEDIATE.
        self._pool_interlock = datastore.pool.is_sqlite_memory_mode

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.clock_table_name}"
            " (id INTEGER PRIMARY KEY CHECK (id = 1), last_us INTEGER NOT NULL)",
            f"INSERT OR IGNORE INTO {self.clock_table_name} (id, last_us) VALUES (1, 0)",
        ]

    @contextmanager
    def _immediate(self) -> Iterator[Any]:
        """One write transaction that holds SQLite's write lock from its first statement.

        This process's writers (the ledger's writer, barriers of reads) queue on a lock
        of our own *before* asking the pool for a connection. The pool's writer interlock
        would make them wait inside its queue, where they block every reader of the
        pool, among them a projection holding the database's write lock for the read
        models and reading events: a cycle broken only by timeouts (seconds).
        """
        with self._writers, self.datastore.get_connection(commit=self._pool_interlock) as conn:
            try:
                cursor = conn.cursor()
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise _persistence_error(error) from error
            try:
                yield cursor
            except BaseException as error:
                conn.rollback()
                if isinstance(error, sqlite3.Error):
                    raise _persistence_error(error) from error
                raise
            try:
                conn.commit()
            except sqlite3.Error as error:
                conn.rollback()
                raise _persistence_error(error) from error

    @contextmanager
    def hold(self) -> Iterator[Hold]:
        with self._immediate() as cursor:
            cursor.execute(self._select_floor_and_head)
            hold = Hold(int(cursor.fetchone()[0]))
            self._held.context = (cursor, hold)
            try:
                yield hold
            finally:
                self._held.context = None
            if hold.new_floor is not None:
                cursor.execute(self._raise_floor, (hold.new_floor, hold.new_floor))

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        held = getattr(self._held, "context", None)
        if held is None:
            return super().insert_events(stored_events, **kwargs)
        cursor, hold = held
        try:
            ids = self._insert_events(cursor, stored_events, **kwargs)
        except sqlite3.Error as error:
            raise _persistence_error(error) from error
        hold.recorded = hold.recorded or bool(stored_events)
        return ids

    def floor(self) -> Floor:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._select_floor_and_head)
            return _floor(tuple(cursor.fetchone()))

    def fence(self, at_us: int) -> Floor:
        with self._immediate() as cursor:
            cursor.execute(self._raise_floor, (at_us, at_us))
            cursor.execute(self._select_floor_and_head)
            return _floor(tuple(cursor.fetchone()))


_SQLITE_ERRORS: tuple[tuple[type[sqlite3.Error], type[PersistenceError]], ...] = (
    (sqlite3.InterfaceError, InterfaceError),
    (sqlite3.DataError, DataError),
    (sqlite3.OperationalError, OperationalError),
    (sqlite3.IntegrityError, IntegrityError),
    (sqlite3.InternalError, InternalError),
    (sqlite3.ProgrammingError, ProgrammingError),
    (sqlite3.NotSupportedError, NotSupportedError),
    (sqlite3.DatabaseError, DatabaseError),
)


def _persistence_error(error: sqlite3.Error) -> PersistenceError:
    """The library's exception for a sqlite3 one (as its own transactions map them)."""
    for raw, mapped in _SQLITE_ERRORS:
        if isinstance(error, raw):
            return mapped(error)
    return PersistenceError(error)


# ---------------------------------------------------------------- memory


class SequencedPOPORecorder(POPOApplicationRecorder):
    """In memory: the recorder's own lock is the write lock; the floor is an attribute."""

    def __init__(self) -> None:
        super().__init__()
        self._floor_us = 0

    @contextmanager
    def hold(self) -> Iterator[Hold]:
        with self._database_lock:
            hold = Hold(self._floor_us)
            head = len(self._stored_events)
            yield hold
            if len(self._stored_events) > head:
                hold.recorded = True
            if hold.new_floor is not None:
                self._floor_us = max(self._floor_us, hold.new_floor)

    def floor(self) -> Floor:
        with self._database_lock:
            return Floor(self._floor_us, len(self._stored_events))

    def fence(self, at_us: int) -> Floor:
        with self._database_lock:
            self._floor_us = max(self._floor_us, at_us)
            return Floor(self._floor_us, len(self._stored_events))


def sequenced(recorder: ApplicationRecorder) -> SequencedRecorder:
    if not isinstance(recorder, SequencedPostgresRecorder | SequencedSQLiteRecorder | SequencedPOPORecorder):
        raise TypeError(f"the ledger needs a recorder that stamps in commit order, not {type(recorder).__name__}")
    return recorder


RECORDER_TOPICS = {
    "sqlite": f"{__name__}:{SequencedSQLiteRecorder.__name__}",
    "postgresql": f"{__name__}:{SequencedPostgresRecorder.__name__}",
}
