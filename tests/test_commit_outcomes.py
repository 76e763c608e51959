"""A commit whose answer is lost: the command is applied exactly once, and its caller gets its 2xx (ADR 22).

On PostgreSQL the connection is really cut, by a TCP proxy between psycopg and the
server, once the COMMIT has reached the server (it commits, the answer never comes
back) or just before it does (nothing commits). On SQLite and in memory the fault is
injected at the commit call, after or before the commit happens.
"""

from __future__ import annotations

import random
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from domain import commands as c
from domain.county import County, county_id
from domain.scheme import Scheme
from ruraleval.platform import Platform
from ruraleval.sequencing import SequencedPOPORecorder, SequencedSQLiteRecorder

CODE = "130425"
READY_FOR_QUERY = b"Z\x00\x00\x00\x05"  # the server's answer to a Sync: all before it is done


def enrolled(platform: Platform, scheme: Scheme) -> None:
    context = c.Context("centre", "setup")
    platform.ledger.publish_scheme(scheme, context)
    platform.ledger.enrol(c.EnrolCounty(CODE, "大名县", "河北省", "east", scheme), context)


def adjustment(number: int) -> c.AdjustPoints:
    """A command without an idempotency key whose every application records an event."""
    return c.AdjustPoints(2023, Decimal(1), "类", "加分", f"adj-{number}")


def adjustments(platform: Platform) -> list[str]:
    events = platform.ledger.app.events.get(county_id(CODE))
    return [event.adjustment_id for event in events if isinstance(event, County.PointsAdjusted)]


# ---------------------------------------------------------------- a real cut on PostgreSQL


class CommitCutter:
    """A TCP proxy before PostgreSQL that, once armed, cuts the connection carrying the next batch's COMMIT.

    A batch's COMMIT travels in the pipeline of its second round trip: a Parse message of the
    unnamed statement, without the BEGIN of its first round trip beside it. Other COMMITs are
    let through: a look-up's is a simple query ('Q'), a fence's shares its chunk with its BEGIN.

    ``after``: the COMMIT goes through; the server's answer is swallowed up to its
    ReadyForQuery, then both sockets close (committed, but the client cannot know).
    ``before``: both sockets close instead of sending it (nothing commits).
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode: str | None = None
        self.fired = threading.Event()
        self.cuts = 0
        self._lock = threading.Lock()
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, mode: str) -> None:
        self.fired.clear()
        self.mode = mode

    def _take(self, data: bytes) -> str | None:
        with self._lock:
            if self.mode is not None and _batch_commit(data):
                mode, self.mode = self.mode, None
                self.cuts += 1
                return mode
            return None

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            swallow = threading.Event()
            threading.Thread(target=self._to_server, args=(client, server, swallow), daemon=True).start()
            threading.Thread(target=self._to_client, args=(server, client, swallow), daemon=True).start()

    def _to_server(self, client: socket.socket, server: socket.socket, swallow: threading.Event) -> None:
        try:
            while data := client.recv(65536):
                mode = self._take(data)
                if mode == "before":
                    self.fired.set()  # before the cut: the client may see it and finish at once
                    _close(client, server)
                    return
                if mode == "after":
                    swallow.set()
                server.sendall(data)
        except OSError:
            pass
        _close(client, server)

    def _to_client(self, server: socket.socket, client: socket.socket, swallow: threading.Event) -> None:
        swallowed = b""
        try:
            while data := server.recv(65536):
                if swallow.is_set():
                    swallowed += data
                    if READY_FOR_QUERY in swallowed:  # the server has committed and answered
                        self.fired.set()  # before the cut: the client may see it and finish at once
                        _close(client, server)
                        return
                    continue
                client.sendall(data)
        except OSError:
            pass
        _close(client, server)

    def close(self) -> None:
        self._closing = True
        self.listener.close()


def _batch_commit(data: bytes) -> bool:
    """The writer's COMMIT: Parse('P', length, the unnamed statement's empty name) of "COMMIT"."""
    at = data.find(b"COMMIT\x00")
    return at >= 6 and data[at - 6 : at - 5] == b"P" and data[at - 1 : at] == b"\x00" and b"BEGIN\x00" not in data


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


@contextmanager
def cut_postgres(postgres_url: str) -> Iterator[tuple[CommitCutter, str]]:
    parts = urlsplit(postgres_url)
    cutter = CommitCutter((parts.hostname or "127.0.0.1", parts.port or 5432))
    netloc = f"{parts.username}@127.0.0.1:{cutter.port}" if parts.username else f"127.0.0.1:{cutter.port}"
    try:
        yield cutter, urlunsplit(parts._replace(netloc=netloc))
    finally:
        cutter.close()


@pytest.mark.parametrize("mode", ["after", "before"])
def test_postgres_connection_cut_at_commit_applies_the_command_once(
    postgres_url: str, make_platform: Callable[..., Platform], scheme: Scheme, mode: str
) -> None:
    with cut_postgres(postgres_url) as (cutter, url):
        platform = make_platform(url)
        enrolled(platform, scheme)
        before = platform.ledger.execute(CODE, adjustment(0), c.Context("t", "0"))
        cutter.arm(mode)
        outcome = platform.ledger.execute(CODE, adjustment(1), c.Context("t", "1"))
        assert cutter.fired.is_set(), "the proxy never saw the batch's COMMIT"
        assert adjustments(platform) == ["adj-0", "adj-1"]
        assert before.version is not None and before.position is not None
        assert outcome.version == before.version + 1
        assert outcome.position == platform.ledger.head()
        assert outcome.events == ["PointsAdjusted"]
        after = platform.ledger.execute(CODE, adjustment(2), c.Context("t", "2"))
        assert after.version == outcome.version + 1  # the writer lives on, its cache in step with the store


def test_postgres_cut_after_commit_answers_a_keyed_submission_as_first_recorded(
    postgres_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    with cut_postgres(postgres_url) as (cutter, url):
        platform = make_platform(url)
        enrolled(platform, scheme)
        cutter.arm("after")
        command = c.SubmitData("1.2", "2023-01", Decimal(10), idempotency_key="k-1")
        outcome = platform.ledger.execute(CODE, command, c.Context("t", "1"))
        assert cutter.fired.is_set()
        assert outcome.result["replayed"] is False and outcome.events == ["DataSubmitted"]
        assert outcome.position == platform.ledger.head()
        again = platform.ledger.execute(CODE, command, c.Context("t", "2"))  # the client's own retry
        assert again.result["replayed"] is True and again.version == outcome.version


# ---------------------------------------------------------------- faults at the commit call


class CommitFault:
    """Makes the recorder's commit fail: ``after`` it happened, or ``before``; once, or at random."""

    def __init__(self, recorder: Any, rate: float = 0.0, seed: int = 0) -> None:
        self.recorder = recorder
        self.original = recorder._commit
        self.pending: list[str] = []
        self.rate = rate
        self.random = random.Random(seed)
        self.injected = 0
        recorder._commit = self.commit

    def commit(self, target: Any) -> None:
        mode = self.pending.pop(0) if self.pending else None
        if mode is None and self.rate and self.random.random() < self.rate:
            mode = self.random.choice(["after", "before"])
        if mode is None:
            self.original(target)
            return
        self.injected += 1
        if mode == "after":
            self.original(target)
        raise sqlite3.OperationalError(f"disk I/O error (injected {mode} the commit)")


def fault_at_commit(platform: Platform, **kwargs: Any) -> CommitFault:
    recorder = platform.ledger.app.recorder
    assert isinstance(recorder, SequencedSQLiteRecorder | SequencedPOPORecorder)
    return CommitFault(recorder, **kwargs)


@pytest.fixture(params=["sqlite", "memory"])
def local_platform(request: pytest.FixtureRequest, make_platform: Callable[..., Platform]) -> Platform:
    url = request.getfixturevalue("sqlite_url") if request.param == "sqlite" else "memory://"
    return make_platform(url)


@pytest.mark.parametrize("mode", ["after", "before"])
def test_a_failed_commit_call_applies_the_command_once(local_platform: Platform, scheme: Scheme, mode: str) -> None:
    enrolled(local_platform, scheme)
    before = local_platform.ledger.execute(CODE, adjustment(0), c.Context("t", "0"))
    fault = fault_at_commit(local_platform)
    fault.pending.append(mode)
    outcome = local_platform.ledger.execute(CODE, adjustment(1), c.Context("t", "1"))
    assert fault.injected == 1
    assert adjustments(local_platform) == ["adj-0", "adj-1"]
    assert before.version is not None
    assert outcome.version == before.version + 1
    assert outcome.position == local_platform.ledger.head()


def test_a_batch_whose_commit_answer_is_lost_answers_every_caller_from_the_store(
    local_platform: Platform, scheme: Scheme
) -> None:
    enrolled(local_platform, scheme)
    ledger = local_platform.ledger
    fault = fault_at_commit(local_platform)
    gate = threading.Event()
    original_store = ledger._store

    def held_store(batch: list[Any]) -> Any:
        gate.wait(5)  # lets the whole burst queue up into one batch
        return original_store(batch)

    ledger._store = held_store  # type: ignore[method-assign]
    fault.pending.append("after")
    context = c.Context("t", "burst")
    futures = [ledger.submit(CODE, adjustment(n), context) for n in range(5)]
    refused = ledger.submit(CODE, c.SubmitData("1.2", "2023-01", Decimal(-5)), context)
    gate.set()
    versions = sorted(future.result(10).version or 0 for future in futures)
    ledger._store = original_store  # type: ignore[method-assign]
    assert versions == [2, 3, 4, 5, 6]
    assert refused.exception(10) is not None
    assert sorted(adjustments(local_platform)) == [f"adj-{n}" for n in range(5)]


def test_hooks_hear_of_each_commit_with_its_last_position(local_platform: Platform, scheme: Scheme) -> None:
    enrolled(local_platform, scheme)
    heard: list[int] = []
    local_platform.ledger.on_commit.append(heard.append)
    local_platform.ledger.on_commit.append(lambda _: 1 / 0)  # a failing hook harms nobody
    outcome = local_platform.ledger.execute(CODE, adjustment(1), c.Context("t", "1"))
    assert heard == [outcome.position]


# ---------------------------------------------------------------- many writers, random faults


def test_concurrent_writers_with_random_commit_faults_store_each_acknowledged_command_once(
    local_platform: Platform, scheme: Scheme
) -> None:
    enrolled(local_platform, scheme)
    fault = fault_at_commit(local_platform, rate=0.3, seed=2023)

    def write(writer: int) -> list[str]:
        acknowledged = []
        for index in range(25):
            number = writer * 1000 + index
            try:
                local_platform.ledger.execute(CODE, adjustment(number), c.Context(f"w{writer}", f"{number}"))
            except Exception:
                continue
            acknowledged.append(f"adj-{number}")
        return acknowledged

    with ThreadPoolExecutor(max_workers=8) as pool:
        acknowledged = [name for names in pool.map(write, range(8)) for name in names]
    stored = adjustments(local_platform)
    # enough faults to mean something: a busy machine makes larger batches, so fewer commits (≥ 25)
    assert fault.injected >= 5
    assert len(stored) == len(set(stored)), "a command was stored twice"
    assert set(acknowledged) <= set(stored), "an acknowledged command is missing"
    assert len(acknowledged) == 8 * 25  # a fault is resolved, never passed on to the caller


def test_concurrent_writers_through_cut_connections_store_each_acknowledged_command_once(
    postgres_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    with cut_postgres(postgres_url) as (cutter, url):
        platform = make_platform(url)
        enrolled(platform, scheme)
        stop = threading.Event()
        cuts = random.Random(7)

        def cut_now_and_then() -> None:
            while not stop.wait(0.25):
                if cutter.mode is None:
                    cutter.arm(cuts.choice(["after", "before"]))

        cutting = threading.Thread(target=cut_now_and_then, daemon=True)
        cutting.start()

        failures: list[str] = []

        def write(writer: int) -> list[str]:
            acknowledged = []
            for index in range(15):
                number = writer * 1000 + index
                try:
                    platform.ledger.execute(CODE, adjustment(number), c.Context(f"w{writer}", f"{number}"))
                except Exception as error:  # an unacknowledged command may or may not be stored, never twice
                    failures.append(repr(error))
                    continue
                acknowledged.append(f"adj-{number}")
            return acknowledged

        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                acknowledged = [name for names in pool.map(write, range(8)) for name in names]
        finally:
            stop.set()
            cutting.join()
            cutter.mode = None
        stored = adjustments(platform)
        assert cutter.cuts >= 3
        assert len(stored) == len(set(stored)), "a command was stored twice"
        assert set(acknowledged) <= set(stored), "an acknowledged command is missing"
        assert failures == []  # a cut is resolved, never passed on to the caller
