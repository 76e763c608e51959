"""``ReadStore.snapshot()``: every statement of one answer sees the same commit of the read
models, on SQLite (file and memory) and PostgreSQL; it never writes and leaves nothing open."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import suppress

import pytest

from projections.store import PostgresReadStore, ReadStore, SQLiteReadStore
from ruraleval.settings import parse_database_url


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[ReadStore]:
    """A read store with one table ``t`` holding one row. On PostgreSQL its pool opens a
    second connection only when two are asked for at once: sequential snapshots and writes
    share one."""
    opened: ReadStore
    if request.param == "memory":
        opened = SQLiteReadStore(":memory:")
    elif request.param == "sqlite":
        opened = SQLiteReadStore(str(request.getfixturevalue("tmp_path") / "reads.db"))
    else:
        opened = PostgresReadStore(parse_database_url(request.getfixturevalue("postgres_url")).conninfo(), max_size=2)
    opened.create(["CREATE TABLE IF NOT EXISTS t (n INTEGER NOT NULL)"])
    insert(opened, 1)
    yield opened
    opened.close()


def insert(store: ReadStore, n: int) -> None:
    with store.transaction() as sql:
        sql.execute("INSERT INTO t (n) VALUES (%s)", [n])


def numbers(store: ReadStore) -> list[int]:
    return [row["n"] for row in store.query("SELECT n FROM t ORDER BY n")]


def test_a_write_committed_between_two_statements_of_a_snapshot_is_not_seen_by_the_second(
    store: ReadStore,
) -> None:
    committed: list[list[int]] = []

    def write() -> None:  # another thread: another connection
        insert(store, 2)
        committed.append(numbers(store))

    writer = threading.Thread(target=write)
    with store.snapshot() as view:
        first = view.execute("SELECT n FROM t ORDER BY n")
        writer.start()
        if isinstance(store, SQLiteReadStore) and store.memory:
            writer.join(0.2)
            assert writer.is_alive(), "in memory, a writer waits for the snapshot to end"
        else:
            writer.join(10)
            assert committed == [[1, 2]], "the write committed while the snapshot was open"
        second = view.execute("SELECT n FROM t ORDER BY n")
        count = view.execute("SELECT COUNT(*) AS c FROM t")
    writer.join(10)
    assert first == second == [{"n": 1}]
    assert int(count[0]["c"]) == 1
    assert numbers(store) == [1, 2], "the write was committed, and is seen once the snapshot ends"


def test_a_snapshot_never_writes(store: ReadStore) -> None:
    with suppress(Exception), store.snapshot() as view:  # PostgreSQL refuses; SQLite rolls it back
        view.execute("INSERT INTO t (n) VALUES (%s)", [3])
    assert numbers(store) == [1]


def test_an_error_inside_a_snapshot_propagates_and_leaves_no_transaction_open(store: ReadStore) -> None:
    with pytest.raises(LookupError), store.snapshot() as view:
        view.execute("SELECT n FROM t")
        raise LookupError("refused after reading")
    with pytest.raises(Exception), store.snapshot() as view:  # noqa: B017 (each driver has its own error)
        view.execute("SELECT nothing FROM nowhere")
    insert(store, 2)  # the same connection writes again: read-write, no transaction left open
    with store.snapshot() as view:
        assert view.execute("SELECT n FROM t ORDER BY n") == [{"n": 1}, {"n": 2}]
    insert(store, 3)
    assert numbers(store) == [1, 2, 3]


def test_bulk_writes_are_committed_and_leave_the_connection_as_it_was(store: ReadStore) -> None:
    """What a rebuild tunes for its run of writes lasts only meanwhile: afterwards the
    connection serves requests with its usual settings, and every write of the run is there
    for other connections to read."""
    settings = ("cache_size", "wal_autocheckpoint", "synchronous")

    def current() -> list[int]:
        return [int(store.query(f"PRAGMA {name}")[0][name]) for name in settings]

    sqlite = isinstance(store, SQLiteReadStore)
    before = current() if sqlite else []
    with store.bulk():
        if isinstance(store, SQLiteReadStore) and not store.memory:  # commits not synced meanwhile (ADR 28)
            assert store.query("PRAGMA synchronous")[0]["synchronous"] == 1
        for n in (2, 3):
            insert(store, n)
    assert (current() if sqlite else []) == before

    seen: list[list[int]] = []
    reader = threading.Thread(target=lambda: seen.append(numbers(store)))  # another connection
    reader.start()
    reader.join(10)
    assert seen == [[1, 2, 3]]
