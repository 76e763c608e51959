"""The PostgreSQL recorder that stamps in commit order and records each command once (ADR 16, 22).

Importable as ``ruraleval.sequencing:SequencedPostgresRecorder`` (the topic stored in
deployments' settings); it lives here to keep the module of each store short.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL, Composable, Identifier

from ruraleval.commit_order import CommitOutcomeUnknown, Floor, Hold, RecordedCommand

log = logging.getLogger(__name__)


@dataclass
class _Held:
    """The transaction a ``hold()`` keeps open: its connection, its pipeline (left by the commit) and its lock."""

    conn: psycopg.Connection[Any]
    pipeline: contextlib.ExitStack
    hold: Hold
    committed: bool = False


class SequencedPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, with the floor in ``<events>_clock`` and the commands in ``<events>_commands``.

    Inside ``hold()`` the library's ``insert_events`` (called by the event store's ``put``)
    inserts the batch's events and commands, moves the floor and commits, on the held
    transaction; outside, it is the library's, untouched. A batch costs two round trips
    and three statements: one simple query (BEGIN, lock, read the floor), then in pipeline
    mode one prepared statement (move the floor, insert all events and commands) and
    COMMIT. Each statement costs psycopg ~50 µs of Python on the writer thread, which holds
    the GIL the request handlers need (issue 10); the six of before cost a fifth of a
    single-command batch. No NOTIFY, unlike
    the library's insert: nothing here LISTENs (processes poll, ADR 28), and each NOTIFY was
    one more statement a batch and a commit-time lock on the server's notification queue. Each
    round trip is also a wait for the GIL when the process is busy, so fewer is faster
    well beyond the network's share.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.clock_table_name = f"{events_table_name}_clock"
        self.commands_table_name = f"{events_table_name}_commands"
        self.check_identifier_length(self.clock_table_name)
        self.check_identifier_length(self.commands_table_name)
        schema, clock = Identifier(datastore.schema), Identifier(self.clock_table_name)
        events, commands = Identifier(self.events_table_name), Identifier(self.commands_table_name)
        id_type = Identifier(datastore.originator_id_type)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (id SMALLINT PRIMARY KEY CHECK (id = 1), last_us BIGINT NOT NULL)"
            ).format(schema, clock)
        )
        self.sql_create_statements.append(
            SQL("INSERT INTO {0}.{1} (id, last_us) VALUES (1, 0) ON CONFLICT (id) DO NOTHING").format(schema, clock)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (command_id uuid PRIMARY KEY, stream {2} NOT NULL,"
                " first_position BIGINT NOT NULL, last_position BIGINT NOT NULL, version BIGINT NOT NULL,"
                " result TEXT NOT NULL, recorded_us BIGINT NOT NULL)"
            ).format(schema, commands, id_type)
        )
        self._select_floor = SQL("SELECT last_us FROM {0}.{1} WHERE id = 1").format(schema, clock)
        self._select_floor_and_head = SQL(
            "SELECT c.last_us, (SELECT MAX(notification_id) FROM {0}.{2}) AS head FROM {0}.{1} AS c WHERE c.id = 1"
        ).format(schema, clock, events)
        self._raise_floor = SQL("UPDATE {0}.{1} SET last_us = %s WHERE id = 1 AND last_us < %s").format(schema, clock)
        # The events and their commands in one statement: the commands' positions come
        # from the ids the events are given. Each as one JSON document (the state in hex)
        # rather than nine arrays: psycopg's dumping of array parameters, element type
        # found by scanning each list, was a fifth of the writer thread's time per batch.
        self._insert_batch = SQL(
            "WITH f AS (UPDATE {0}.{4} SET last_us = %s WHERE id = 1 AND last_us < %s), e AS ("
            " INSERT INTO {0}.{1} (originator_id, originator_version, topic, state)"
            " SELECT x.i, x.v, x.t, decode(x.s, 'hex')"
            " FROM json_to_recordset(%s::json) AS x(i {3}, v bigint, t text, s text)"
            " RETURNING originator_id, originator_version, notification_id"
            "), c AS ("
            " INSERT INTO {0}.{2} (command_id, stream, first_position, last_position, version, result, recorded_us)"
            " SELECT k.command_id, k.stream, MIN(e.notification_id), MAX(e.notification_id), k.last_version,"
            " k.result, COALESCE(%s::bigint, (EXTRACT(EPOCH FROM now()) * 1000000)::bigint)"
            " FROM json_to_recordset(%s::json)"
            " AS k(command_id uuid, stream {3}, first_version bigint, last_version bigint, result text)"
            " JOIN e ON e.originator_id = k.stream"
            " AND e.originator_version BETWEEN k.first_version AND k.last_version"
            " GROUP BY k.command_id, k.stream, k.last_version, k.result"
            ") SELECT notification_id FROM e ORDER BY notification_id"
        ).format(schema, events, commands, id_type, clock)
        self._select_commands = SQL(
            "SELECT command_id, stream, first_position, last_position, version, result, recorded_us"
            " FROM {0}.{1} WHERE command_id = ANY(%s::uuid[])"
        ).format(schema, commands)
        self._select_position = SQL(
            "SELECT notification_id FROM {0}.{1} WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, events)
        # Each statement rendered once: psycopg renders a composed query on every execute
        # (~9 µs each, several per batch, on the writer thread that holds the GIL).
        self._select_floor, self._select_floor_and_head, self._raise_floor = (
            _rendered(self._select_floor),
            _rendered(self._select_floor_and_head),
            _rendered(self._raise_floor),
        )
        self._insert_batch, self._select_commands = _rendered(self._insert_batch), _rendered(self._select_commands)
        self._select_position = _rendered(self._select_position)
        self._select_streams = _rendered(SQL(
            "SELECT originator_id, COUNT(*) AS n FROM {0}.{1} WHERE notification_id <= %s GROUP BY originator_id"
        ).format(schema, events))  # fmt: skip
        self._select_stream_events = _rendered(SQL(
            "SELECT notification_id, originator_version, topic, state FROM {0}.{1} WHERE originator_id = %s"
            " AND originator_version > %s AND notification_id <= %s ORDER BY originator_version LIMIT %s"
        ).format(schema, events))  # fmt: skip
        self.lock_table_statements = [_rendered(statement) for statement in self.lock_table_statements]
        # BEGIN, the library's lock statements and the floor's SELECT as one simple query: no
        # parameters, so one message, one result each, one round trip.
        opening = [b"BEGIN", *(_as_bytes(statement) for statement in self.lock_table_statements)]
        self._open_batch = b"; ".join([*opening, _as_bytes(self._select_floor)])
        self._open_results = len(opening) + 1
        self._held = threading.local()

    @contextmanager
    def hold(self) -> Iterator[Hold]:
        with self.datastore.get_connection() as conn:
            pipeline = contextlib.ExitStack()
            try:
                curs = pipeline.enter_context(conn.cursor())
                curs.execute(self._open_batch)
                for _ in range(self._open_results - 1):
                    curs.nextset()  # to the last result: the floor
                row = curs.fetchone()
                assert row is not None, "the clock row is created with the table"
                held = _Held(conn, pipeline, Hold(int(row["last_us"])))
                self._held.context = held
                try:
                    yield held.hold
                finally:
                    self._held.context = None
                if not held.committed:  # nothing was inserted: release the lock
                    # COMMIT rather than ROLLBACK: psycopg forgets every prepared statement
                    # of a connection on which it sees a ROLLBACK go by.
                    curs.execute(b"COMMIT")
                    pipeline.close()
            except BaseException:
                _abandon(conn, pipeline)
                raise

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        held: _Held | None = getattr(self._held, "context", None)
        if held is None:
            return super().insert_events(stored_events, **kwargs)
        if not stored_events:
            return []
        hold, conn = held.hold, held.conn
        rows = hold.commands
        held.pipeline.enter_context(conn.pipeline())  # left (sent, answered) by the commit below, or by _abandon
        with conn.cursor() as curs:
            curs.execute(
                self._insert_batch,
                (
                    hold.next_floor,  # None: the floor stays (NULL compares to nothing)
                    hold.next_floor,
                    _events_document(stored_events),
                    hold.next_floor,
                    _commands_document(rows),
                ),
                prepare=True,
            )
            ids_cursor = curs
            with conn.cursor() as tail:
                tail.execute("COMMIT", prepare=False)
                # Leaving the pipeline sends it all and waits for the answers: the one round trip of the commit.
                try:
                    held.pipeline.close()
                except psycopg.errors.UniqueViolation as error:
                    if error.diag.constraint_name == f"{self.events_table_name}_pkey":
                        raise IntegrityError(str(error)) from error  # a version conflict: nothing was stored
                    raise CommitOutcomeUnknown(hold.command_ids(), error) from error
                except Exception as error:
                    raise CommitOutcomeUnknown(hold.command_ids(), error) from error
            held.committed = True
            hold.recorded = True
            return [row["notification_id"] for row in ids_cursor.fetchall()]

    def recorded_commands(self, command_ids: Sequence[UUID]) -> list[RecordedCommand]:
        if not command_ids:
            return []
        # Behind the write lock: a transaction of a lost connection may still be committing;
        # the lock waits for it to end either way before the commands are read.
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            curs.execute(self._select_commands, (list(command_ids),), prepare=True)
            return [
                RecordedCommand(
                    command_id=row["command_id"],
                    stream=row["stream"],
                    first_position=int(row["first_position"]),
                    last_position=int(row["last_position"]),
                    version=int(row["version"]),
                    result=row["result"].encode(),
                    recorded_us=int(row["recorded_us"]),
                )
                for row in curs.fetchall()
            ]

    def position_of(self, stream: UUID, version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_position, (stream, version), prepare=True)
            row = curs.fetchone()
            return None if row is None else int(row["notification_id"])

    def streams_until(self, until: int) -> list[tuple[UUID, int]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_streams, (until,))
            return [(_uuid(row["originator_id"]), int(row["n"])) for row in curs.fetchall()]

    def stream_events(self, stream: UUID, until: int, after_version: int, limit: int) -> list[tuple[int, StoredEvent]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_stream_events, (stream, after_version, until, limit), prepare=True)
            return [
                (int(row["notification_id"]), StoredEvent(stream, int(row["originator_version"]), row["topic"],
                                                           bytes(row["state"])))
                for row in curs.fetchall()
            ]  # fmt: skip

    def floor(self) -> Floor:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_floor_and_head, prepare=True)
            return floor_of(curs.fetchone())

    def fence(self, at_us: int) -> Floor:
        # One round trip: lock, raise the floor, read it and the head, commit.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            with conn.pipeline(), conn.transaction():
                self._lock_table(curs)
                curs.execute(self._raise_floor, (at_us, at_us), prepare=True)
                curs.execute(self._select_floor_and_head, prepare=True)
            return floor_of(curs.fetchone())


class PostgresSnapshotRecorder(PostgresAggregateRecorder):
    """The snapshots' table, written by a plain INSERT whose state goes as a binary parameter.

    The library sends rows as an array of a composite type, which psycopg renders as text in
    Python: for a county's snapshot (~150–250 KB) that was ~10 ms of the writer thread's CPU,
    against ~0.5 ms this way (issue 10). Reading is the library's."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_snapshots") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._insert_snapshot = (
            SQL(
                "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %b)"
            )
            .format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))
            .as_bytes(None)
        )

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent], **_: Any) -> None:
        curs.executemany(
            self._insert_snapshot,
            [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events],
        )


def _abandon(conn: psycopg.Connection[Any], pipeline: contextlib.ExitStack) -> None:
    """Leaves a failed held transaction: out of the pipeline, rolled back; a broken connection is left to the pool."""
    with contextlib.suppress(Exception):
        pipeline.close()
    if conn.closed or conn.broken:
        return
    try:
        conn.rollback()  # psycopg's own, which also forgets the prepared statements in step with the server
    except Exception:
        log.warning("rollback failed; closing the connection", exc_info=True)
        conn.close()


def floor_of(row: Any) -> Floor:
    assert row is not None, "the clock row is created with the table"
    values = list(row.values()) if isinstance(row, dict) else list(row)
    return Floor(int(values[0]), int(values[1] or 0))


def _rendered(statement: Any) -> Any:
    """A composed statement as the bytes it renders to (identifiers quoted without a connection)."""
    return statement.as_bytes(None) if isinstance(statement, Composable) else statement


def _events_document(events: Sequence[StoredEvent]) -> str:
    """The events as ``json_to_recordset`` reads them (the state's bytes in hex: exact, and valid JSON)."""
    return orjson.dumps(
        [{"i": e.originator_id, "v": e.originator_version, "t": e.topic, "s": e.state.hex()} for e in events]
    ).decode()


def _commands_document(rows: Sequence[Any]) -> str:
    return orjson.dumps(
        [
            {
                "command_id": r.command_id,
                "stream": r.stream,
                "first_version": r.first_version,
                "last_version": r.last_version,
                "result": r.result.decode(),
            }
            for r in rows
        ]
    ).decode()


def _as_bytes(statement: Any) -> bytes:
    """A statement known to be rendered (``_rendered``) or plain text, as bytes."""
    rendered = _rendered(statement)
    return rendered if isinstance(rendered, bytes) else str(rendered).encode()


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)
