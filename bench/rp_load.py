"""Timed phases of the request-path section: threads on lean keep-alive connections.

Each worker thread holds one ``http.client`` connection (keep-alive) and sends its kind of
request in a loop until the phase ends: far less client CPU per request than httpx, which
matters when the client shares 2 cores with the server. All workers start at one barrier;
the first ``warmup`` seconds are not counted; only requests that complete inside the
window ``[start + warmup, start + warmup + seconds]`` count, so a slow last request does
not stretch the phase. CPU use (bench client, server, PostgreSQL, machine) is sampled at
the window's ends.
"""

from __future__ import annotations

import http.client
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

from bench import cpu, scheme
from bench.stats import Summary, percentile

TIMEOUT = 60.0
CORRECTION_REASON = "基准重报"


class Lean:
    """One keep-alive HTTP/1.1 connection; reconnects after a transport error."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, bytes]:
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            raise

    def close(self) -> None:
        self.connection.close()


Action = Callable[[Lean], str]  # one request; returns the outcome to count (a status)


def getter(path: str, headers: dict[str, str]) -> Action:
    def get(connection: Lean) -> str:
        status, _ = connection.send("GET", path, headers)
        return str(status)

    return get


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

    def __call__(self, connection: Lean) -> str:
        if self._items is None:
            self._items = self._work()
        correction, code, body = next(self._items)
        headers = {"Content-Type": "application/json"}
        headers.update(self.bearer if correction else {"X-API-Key": self.keys[code]})
        path = f"/api/v1/counties/{code}/submissions"
        status, _ = connection.send("POST", path, headers, json.dumps(body).encode())
        self.counts["corrections" if correction else "new values"] += 1
        return str(status)


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
    base_url: str, workers: list[tuple[str, Action]], seconds: float, warmup: float, server_pid: int
) -> tuple[dict[str, Stream], dict[str, float]]:
    """Runs every (kind, action) worker on its own connection; per kind, what the window saw."""
    starts: list[float] = []
    barrier = threading.Barrier(len(workers) + 1, action=lambda: starts.append(time.perf_counter()))
    records: list[list[tuple[float, float, str]]] = [[] for _ in workers]  # (ended, latency, outcome)

    def work(index: int) -> None:
        connection = Lean(base_url)
        action = workers[index][1]
        record = records[index].append
        try:
            barrier.wait()
            end = starts[0] + warmup + seconds
            while True:
                began = time.perf_counter()
                try:
                    outcome = action(connection)
                except (OSError, http.client.HTTPException) as error:
                    outcome = f"transport:{type(error).__name__}"
                ended = time.perf_counter()
                record((ended, ended - began, outcome))
                if ended >= end:
                    break
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,), name=f"bench-rp-{i}") for i in range(len(workers))]
    for thread in threads:
        thread.start()
    barrier.wait()
    window_start = starts[0] + warmup
    window_end = window_start + seconds
    time.sleep(max(window_start - time.perf_counter(), 0.0))
    before = cpu.sample(server_pid)
    time.sleep(max(window_end - time.perf_counter(), 0.0))
    usage = cpu.usage(before, cpu.sample(server_pid))
    for thread in threads:
        thread.join()
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
