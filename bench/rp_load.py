"""Timed phases of the request-path section: lean keep-alive clients (``bench.lean_http``).

Each worker is a coroutine of one event loop (its own thread) holding one keep-alive
connection, sending its kind of request in a loop until the phase ends: far less client
CPU per request than httpx or ``http.client`` threads, which matters when the client shares
2 cores with the server. All workers start together; the first ``warmup`` seconds are not
counted; only requests that complete inside the window ``[start + warmup, start + warmup +
seconds]`` count, so a slow last request does not stretch the phase. CPU use (bench
client, server, projection process, PostgreSQL, machine) is sampled at the window's ends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench import cpu, lean_http, scheme
from bench.stats import Summary, percentile

CORRECTION_REASON = "基准重报"
HOST = "127.0.0.1"  # the Host header; the server checks none

Action = Callable[[], bytes]  # the next request, encoded


def getter(path: str, headers: dict[str, str]) -> Action:
    request = lean_http.encode("GET", path, HOST, headers)
    return lambda: request


@dataclass
class Writer:
    """A county system's stream of monthly values to its own counties.

    The first pass through the counties' 12 months × 22 indicators sends new values with
    the county's API key; later passes send another value for a period that holds one,
    which is a correction: the admin's token (the correction right) and a reason.
    """

    codes: list[str]
    keys: dict[str, str]
    bearer: dict[str, str]
    seed: int
    counts: Counter[str] = field(default_factory=Counter)
    _items: Iterator[tuple[bool, str, dict[str, str]]] | None = None

    def _work(self) -> Iterator[tuple[bool, str, dict[str, str]]]:
        rng = random.Random(self.seed)
        for sweep in itertools.count():
            for month in range(1, 13):
                for code in self.codes:
                    for indicator in scheme.indicator_codes():
                        body = {"indicator": indicator, "period": scheme.period(month)}
                        body["value"] = scheme.value(rng, indicator)
                        if sweep:
                            body["reason"] = CORRECTION_REASON
                        yield sweep > 0, code, body

    def __call__(self) -> bytes:
        if self._items is None:
            self._items = self._work()
        correction, code, body = next(self._items)
        headers = {"Content-Type": "application/json"}
        headers.update(self.bearer if correction else {"X-API-Key": self.keys[code]})
        path = f"/api/v1/counties/{code}/submissions"
        self.counts["corrections" if correction else "new values"] += 1
        return lean_http.encode("POST", path, HOST, headers, json.dumps(body).encode())


@dataclass
class Stream:
    """What the workers of one kind recorded inside the window."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def ok(self, good: tuple[str, ...] = ("200", "201")) -> int:
        return sum(count for status, count in self.statuses.items() if status in good)

    @property
    def rate(self) -> float:
        return self.ok() / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        values = self.latencies or [float("nan")]
        return {
            "rate_per_s": round(self.rate, 1),
            "requests": len(self.latencies),
            "statuses": dict(self.statuses),
            "p50_ms": round(1000 * percentile(values, 0.50), 2),
            "p95_ms": round(1000 * percentile(values, 0.95), 2),
            "p99_ms": round(1000 * percentile(values, 0.99), 2),
            "max_ms": round(1000 * max(values), 2),
        }


def run_phase(
    base_url: str,
    workers: list[tuple[str, Action]],
    seconds: float,
    warmup: float,
    server_pid: int,
    projector_pid: int | None = None,
) -> tuple[dict[str, Stream], dict[str, float]]:
    """Runs every (kind, action) worker on its own connection; per kind, what the window saw."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or HOST, parts.port or 80
    starts: list[float] = []
    started = threading.Event()
    records: list[list[tuple[float, float, str]]] = [[] for _ in workers]  # (ended, latency, outcome)

    async def work(index: int, connection: lean_http.Connection) -> None:
        action = workers[index][1]
        record = records[index].append
        end = starts[0] + warmup + seconds
        try:
            while True:
                request = action()
                began = time.perf_counter()
                try:
                    outcome = str((await connection.exchange(request)).status)
                except lean_http.TRANSPORT_ERRORS as error:
                    outcome = lean_http.outcome_of(error)
                ended = time.perf_counter()
                record((ended, ended - began, outcome))
                if ended >= end:
                    break
        finally:
            connection.close()

    async def phase() -> None:
        connections = [lean_http.Connection(host, port) for _ in workers]
        await asyncio.gather(*(connection.open() for connection in connections), return_exceptions=True)
        starts.append(time.perf_counter())
        started.set()
        await asyncio.gather(*(work(index, connection) for index, connection in enumerate(connections)))

    failures: list[BaseException] = []

    def loop() -> None:
        try:
            asyncio.run(phase())
        except BaseException as error:  # raised again in the caller
            failures.append(error)
            started.set()

    thread = threading.Thread(target=loop, name="bench-rp-clients")
    thread.start()
    started.wait()
    if failures:
        thread.join()
        raise failures[0]
    window_start = starts[0] + warmup
    window_end = window_start + seconds
    time.sleep(max(window_start - time.perf_counter(), 0.0))
    before = cpu.sample(server_pid, projector_pid)
    time.sleep(max(window_end - time.perf_counter(), 0.0))
    usage = cpu.usage(before, cpu.sample(server_pid, projector_pid))
    thread.join()
    if failures:
        raise failures[0]
    streams: dict[str, Stream] = {}
    for (kind, _), recorded in zip(workers, records, strict=True):
        stream = streams.setdefault(kind, Stream(seconds))
        for ended, latency, outcome in recorded:
            if window_start <= ended <= window_end:
                stream.latencies.append(latency)
                stream.statuses[outcome] += 1
    return streams, usage


def summary(values: list[float], digits: int = 1) -> dict[str, Any]:
    """Median and spread over rounds, rounded for the JSON."""
    document = Summary.of(values).to_json()
    return {key: value if key == "n" else round(value, digits + 2) for key, value in document.items()}
