"""Traffic through the real HTTP API: setup, concurrent submissions, query latency."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from bench import auth, lean_http, scheme
from bench.stats import Summary
from bench.together import run_together

TIMEOUT = 60.0
HEADERS = {"x-actor": "bench.client"}
Work = list[tuple[str, dict[str, str]]]


def client(base_url: str) -> httpx.Client:
    """A keep-alive client that ignores proxy settings: traffic stays on 127.0.0.1."""
    return httpx.Client(base_url=base_url, timeout=TIMEOUT, headers=HEADERS, trust_env=False)


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
        )


def set_up(base_url: str, codes: list[str], password: str) -> tuple[auth.Credentials, float]:
    """Logs in, publishes the bench scheme, enrols the counties and issues their API keys."""
    started = time.perf_counter()
    credentials = auth.Credentials()
    with client(base_url) as http:
        credentials.token = auth.login(http, password)
        bearer = credentials.bearer
        _expect(http.post("/api/v1/schemes", json=scheme.scheme_document(), headers=bearer), 201)
        for code in codes:
            _expect(http.post("/api/v1/counties", json=scheme.county_body(code), headers=bearer), 201)
            credentials.keys[code] = auth.issue_key(http, code, credentials)
    return credentials, time.perf_counter() - started


@dataclass
class LoadResult:
    """One round of concurrent submissions."""

    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    events: int = 0  # events the 201 answers acknowledged (a jump adds its flag to its value)

    @property
    def ok(self) -> int:
        return self.statuses.get("201", 0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


def split(work: Work, codes: list[str], clients: int) -> list[Work]:
    """Disjoint shares: every county belongs to exactly one client."""
    owner = {code: index % clients for index, code in enumerate(codes)}
    shares: list[Work] = [[] for _ in range(clients)]
    for code, body in work:
        shares[owner[code]].append((code, body))
    return [share for share in shares if share]


def submit_concurrently(base_url: str, shares: list[Work], keys: dict[str, str]) -> LoadResult:
    """The lean client, or httpx threads with ``BENCH_HTTP_CLIENT=httpx`` (to compare the two)."""
    if os.environ.get("BENCH_HTTP_CLIENT", "lean") == "httpx":
        return submit_with_httpx(base_url, shares, keys)
    return submit_lean(base_url, shares, keys)


def submit_lean(base_url: str, shares: list[Work], keys: dict[str, str]) -> LoadResult:
    """Each share is sent by its own client over one keep-alive connection, with each county's key.

    The clients are coroutines of one event loop speaking HTTP/1.1 through ``bench.lean_http``, the
    requests encoded before the clock starts (the client's CPU is the server's loss on 2 cores).
    Every answer's status is counted; a 201's events are counted from its JSON body.
    """
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    authority = f"{host}:{port}"

    def encoded(code: str, body: dict[str, str]) -> bytes:
        headers = {**HEADERS, "Content-Type": "application/json", "X-API-Key": keys[code]}
        return lean_http.encode("POST", f"/api/v1/counties/{code}/submissions", authority, headers, orjson.dumps(body))

    requests = [[encoded(code, body) for code, body in share] for share in shares]
    latencies: list[list[float]] = [[] for _ in shares]
    statuses: list[Counter[str]] = [Counter() for _ in shares]
    acknowledged = [0] * len(shares)

    async def client(index: int, connection: lean_http.Connection) -> None:
        record, counts = latencies[index].append, statuses[index]
        for request in requests[index]:
            began = time.perf_counter()
            try:
                answer = await connection.exchange(request)
                status = str(answer.status)
                if answer.status == 201:
                    acknowledged[index] += len(orjson.loads(answer.body)["events"])
            except lean_http.TRANSPORT_ERRORS as error:
                status = lean_http.outcome_of(error)
            record(time.perf_counter() - began)
            counts[status] += 1
        connection.close()

    async def load() -> float:
        connections = [lean_http.Connection(host, port) for _ in shares]
        await asyncio.gather(*(connection.open() for connection in connections), return_exceptions=True)
        began = time.perf_counter()
        await asyncio.gather(*(client(index, connection) for index, connection in enumerate(connections)))
        return time.perf_counter() - began

    seconds = asyncio.run(load())
    merged: Counter[str] = Counter()
    for counts in statuses:
        merged.update(counts)
    return _result(shares, seconds, latencies, merged, acknowledged)


def _result(
    shares: list[Work], seconds: float, latencies: list[list[float]], statuses: Counter[str], acknowledged: list[int]
) -> LoadResult:
    return LoadResult(
        requests=sum(len(share) for share in shares),
        seconds=seconds,
        latencies=[value for values in latencies for value in values],
        statuses=statuses,
        events=sum(acknowledged),
    )


def submit_with_httpx(base_url: str, shares: list[Work], keys: dict[str, str]) -> LoadResult:
    """Each share is sent by its own thread over one httpx keep-alive connection (the bench's client until
    the lean one; ~0.3 cores at ~300 submissions/s on the server's 2 cores)."""
    latencies: list[list[float]] = [[] for _ in shares]
    acknowledged = [0] * len(shares)

    def run(index: int, ready: Callable[[], object], statuses: Counter[str]) -> None:
        with client(base_url) as http:
            ready()
            record = latencies[index].append
            for code, body in shares[index]:
                began = time.perf_counter()
                try:
                    response = http.post(
                        f"/api/v1/counties/{code}/submissions", json=body, headers={"X-API-Key": keys[code]}
                    )
                    status = str(response.status_code)
                    if status == "201":
                        acknowledged[index] += len(response.json()["events"])
                except httpx.TransportError as error:
                    status = f"transport:{type(error).__name__}"
                record(time.perf_counter() - began)
                statuses[status] += 1

    seconds, merged = run_together(len(shares), run, "bench-client")
    return _result(shares, seconds, latencies, merged, acknowledged)


def catch_up(base_url: str, year: int, credentials: auth.Credentials) -> float:
    """One rankings read: it brings the read models up to the log's head first."""
    with client(base_url) as http:
        began = time.perf_counter()
        _expect(http.get("/api/v1/rankings", params={"year": year}, headers=credentials.bearer), 200)
        return time.perf_counter() - began


def ready(base_url: str) -> dict[str, Any]:
    with client(base_url) as http:
        response = http.get("/readyz")
        _expect(response, 200)
        document: dict[str, Any] = response.json()
        return document


@dataclass
class QueryResult:
    latency_ms: Summary
    statuses: Counter[str]


def query_latency(base_url: str, paths: list[str], year: int, credentials: auth.Credentials) -> QueryResult:
    """Sends the GETs one after another (one client, the admin's token) and times each."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    with client(base_url) as http:
        http.headers.update(credentials.bearer)
        for path in paths:
            began = time.perf_counter()
            response = http.get(path, params={"year": year})
            latencies.append(time.perf_counter() - began)
            statuses[str(response.status_code)] += 1
    return QueryResult(Summary.of(latencies).scaled(1000), statuses)


def score_paths(codes: list[str], count: int, rng: random.Random) -> list[str]:
    return [f"/api/v1/counties/{rng.choice(codes)}/scores" for _ in range(count)]
