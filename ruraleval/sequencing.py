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

Each accepted command is recorded beside its events, in the same transaction, in
``…_commands`` (ADR 22): the store refuses to record a command twice, and a writer that
lost the answer to its COMMIT looks its commands up to learn whether it happened.

Events given a recorded time by the caller (``Context.recorded_at``: the demo and tests
writing history at chosen instants) keep it and stand outside this order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

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
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from ruraleval.commit_order import (
    CommitOutcomeUnknown,
    Floor,
    Hold,
    RecordedCommand,
    SequencedRecorder,
    instant,
    micros,
    positions_of,
)
from ruraleval.sequencing_postgres import SequencedPostgresRecorder, floor_of

__all__ = [
    "RECORDER_TOPICS",
    "CommitOutcomeUnknown",
    "Floor",
    "Hold",
    "SequencedPOPORecorder",
    "SequencedPostgresRecorder",
    "SequencedRecorder",
    "SequencedSQLiteRecorder",
    "instant",
    "micros",
    "sequenced",
]

_COMMAND_COLUMNS = "command_id, stream, first_position, last_position, version, result, recorded_us"


# ---------------------------------------------------------------- SQLite


class SequencedSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's recorder, with the floor in ``…_clock`` and the commands in ``…_commands``.

    ``BEGIN IMMEDIATE`` is the write lock. Within ``hold()`` the events go in with one
    ``executemany`` (their rowids follow on from the last one: nobody else can insert
    while the lock is held) instead of one statement per event.
    """

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        # before the library builds its create statements
        self.clock_table_name = f"{events_table_name}_clock"
        self.commands_table_name = f"{events_table_name}_commands"
        super().__init__(datastore, events_table_name)
        self._select_floor_and_head = (
            f"SELECT c.last_us, (SELECT MAX(rowid) FROM {self.events_table_name}) AS head"
            f" FROM {self.clock_table_name} AS c WHERE c.id = 1"
        )
        self._raise_floor = f"UPDATE {self.clock_table_name} SET last_us = ? WHERE id = 1 AND last_us < ?"
        self._insert_command = (
            f"INSERT INTO {self.commands_table_name} ({_COMMAND_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
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
            f"CREATE TABLE IF NOT EXISTS {self.commands_table_name} (command_id TEXT PRIMARY KEY, stream TEXT NOT NULL,"
            " first_position INTEGER NOT NULL, last_position INTEGER NOT NULL, version INTEGER NOT NULL,"
            " result TEXT NOT NULL, recorded_us INTEGER NOT NULL)",
        ]

    @contextmanager
    def _immediate(self, hold: Hold | None = None) -> Iterator[Any]:
        """One write transaction that holds SQLite's write lock from its first statement.

        This process's writers (the ledger's writer, barriers of reads) queue on a lock
        of our own *before* asking the pool for a connection. The pool's writer interlock
        would make them wait inside its queue, where they block every reader of the
        pool, among them a projection holding the database's write lock for the read
        models and reading events: a cycle broken only by timeouts (seconds).

        A failed COMMIT of a transaction that recorded commands (``hold``) may have
        happened (disk I/O errors are reported after the fact): ``CommitOutcomeUnknown``.
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
                self._commit(conn)
            except Exception as error:
                with suppress(sqlite3.Error):
                    conn.rollback()
                if hold is not None and hold.recorded:
                    raise CommitOutcomeUnknown(hold.command_ids(), error) from error
                raise _persistence_error(error) if isinstance(error, sqlite3.Error) else error from error

    def _commit(self, conn: Any) -> None:
        """The commit, on its own: the seam where tests make it fail before or after it happens."""
        conn.commit()

    @contextmanager
    def hold(self) -> Iterator[Hold]:
        hold = Hold(0)
        with self._immediate(hold) as cursor:
            cursor.execute(self._select_floor_and_head)
            hold.floor_us = int(cursor.fetchone()[0])
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
        if not stored_events:
            return []
        try:
            cursor.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {self.events_table_name}")
            last = int(cursor.fetchone()[0])
            cursor.executemany(self.insert_events_statement, [_event_params(e) for e in stored_events])
            ids = list(range(last + 1, last + 1 + len(stored_events)))
            by_version = {(e.originator_id, e.originator_version): i for e, i in zip(stored_events, ids, strict=True)}
            recorded_us = hold.next_floor if hold.next_floor is not None else micros_now()
            spans = positions_of(hold.commands, by_version)
            params = [
                (row.command_id.hex, str(row.stream), first, final, row.last_version, row.result.decode(), recorded_us)
                for row, (first, final) in zip(hold.commands, spans, strict=True)
            ]
            cursor.executemany(self._insert_command, params)
        except sqlite3.IntegrityError as error:
            if self.commands_table_name in str(error):
                raise CommitOutcomeUnknown(hold.command_ids(), error) from error  # recorded before: look it up
            raise _persistence_error(error) from error
        except sqlite3.Error as error:
            raise _persistence_error(error) from error
        hold.recorded = True
        return ids

    def recorded_commands(self, command_ids: Sequence[UUID]) -> list[RecordedCommand]:
        if not command_ids:
            return []
        marks = ", ".join("?" for _ in command_ids)
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT {_COMMAND_COLUMNS} FROM {self.commands_table_name} WHERE command_id IN ({marks})",
                [command_id.hex for command_id in command_ids],
            )
            return [_recorded(tuple(row)) for row in cursor.fetchall()]

    def position_of(self, stream: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE originator_id = ? AND originator_version = ?",
                [stream.hex, version],
            )
            row = cursor.fetchone()
            return None if row is None else int(row[0])

    def streams_until(self, until: int) -> list[tuple[UUID, int]]:
        # One pass over the primary key's index (it covers the stream and the rowid), no state read.
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT originator_id, COUNT(*) FROM {self.events_table_name} WHERE rowid <= ? GROUP BY originator_id",
                [until],
            )
            return [(UUID(row[0]), int(row[1])) for row in cursor.fetchall()]

    def stream_events(self, stream: UUID, until: int, after_version: int, limit: int) -> list[tuple[int, StoredEvent]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid, originator_version, topic, state FROM {self.events_table_name}"
                " WHERE originator_id = ? AND originator_version > ? AND rowid <= ?"
                " ORDER BY originator_version LIMIT ?",
                [stream.hex, after_version, until, limit],
            )
            return [(int(row[0]), StoredEvent(stream, int(row[1]), row[2], row[3])) for row in cursor.fetchall()]

    def floor(self) -> Floor:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._select_floor_and_head)
            return floor_of(tuple(cursor.fetchone()))

    def fence(self, at_us: int) -> Floor:
        with self._immediate() as cursor:
            cursor.execute(self._raise_floor, (at_us, at_us))
            cursor.execute(self._select_floor_and_head)
            return floor_of(tuple(cursor.fetchone()))


def _event_params(event: StoredEvent) -> tuple[Any, ...]:
    originator = event.originator_id.hex if isinstance(event.originator_id, UUID) else event.originator_id
    return (originator, event.originator_version, event.topic, event.state)


def _recorded(row: tuple[Any, ...]) -> RecordedCommand:
    command_id, stream, first, last, version, result, recorded_us = row
    return RecordedCommand(UUID(command_id), UUID(stream), int(first), int(last), int(version), str(result).encode(),
                           int(recorded_us))  # fmt: skip


def micros_now() -> int:
    return micros(datetime.now(UTC))


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
    """In memory: the recorder's own lock is the write lock; the floor is an attribute.

    A batch's events and commands are kept aside until the end of ``hold()`` and added
    together there: the commit.
    """

    def __init__(self) -> None:
        super().__init__()
        self._floor_us = 0
        self._commands: dict[UUID, RecordedCommand] = {}
        self._held = threading.local()

    @contextmanager
    def hold(self) -> Iterator[Hold]:
        with self._database_lock:
            hold = Hold(self._floor_us)
            self._held.context = hold
            try:
                yield hold
            finally:
                self._held.context = None
            if hold.new_floor is not None:
                self._floor_us = max(self._floor_us, hold.new_floor)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        hold: Hold | None = getattr(self._held, "context", None)
        if hold is None or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        if any(row.command_id in self._commands for row in hold.commands):
            raise CommitOutcomeUnknown(hold.command_ids(), IntegrityError("a command was recorded before"))
        self._assert_uniqueness(stored_events, **kwargs)
        first = len(self._stored_events) + 1
        ids = list(range(first, first + len(stored_events)))
        by_version = {(e.originator_id, e.originator_version): i for e, i in zip(stored_events, ids, strict=True)}
        stamp = hold.next_floor if hold.next_floor is not None else micros_now()
        spans = positions_of(hold.commands, by_version)
        commands = {
            row.command_id: RecordedCommand(row.command_id, row.stream, *span, row.last_version, row.result, stamp)
            for row, span in zip(hold.commands, spans, strict=True)
        }

        def commit() -> None:
            self._update_table(stored_events, **kwargs)
            self._commands.update(commands)

        try:
            self._commit(commit)
        except Exception as error:
            if len(self._stored_events) >= ids[-1] and hold.next_floor is not None:  # it did commit
                self._floor_us = max(self._floor_us, hold.next_floor)
            raise CommitOutcomeUnknown(hold.command_ids(), error) from error
        hold.recorded = True
        self._notify_listeners()
        return ids

    def _commit(self, commit: Callable[[], None]) -> None:
        """The commit, on its own: the seam where tests make it fail before or after it happens."""
        commit()

    def recorded_commands(self, command_ids: Sequence[UUID]) -> list[RecordedCommand]:
        with self._database_lock:
            return [self._commands[command_id] for command_id in command_ids if command_id in self._commands]

    def position_of(self, stream: UUID, version: int) -> int | None:
        with self._database_lock:
            index = self._stored_events_index.get(str(stream), {}).get(version)  # (a defaultdict: no entry made)
            return None if index is None else index + 1

    def streams_until(self, until: int) -> list[tuple[UUID, int]]:
        with self._database_lock:
            counts = Counter(str(event.originator_id) for event in self._stored_events[:until])
        return [(UUID(stream), count) for stream, count in counts.items()]

    def stream_events(self, stream: UUID, until: int, after_version: int, limit: int) -> list[tuple[int, StoredEvent]]:
        with self._database_lock:
            versions = self._stored_events_index.get(str(stream), {})
            indexes = sorted(i for version, i in versions.items() if version > after_version and i < until)[:limit]
            return [(i + 1, self._stored_events[i]) for i in indexes]

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
