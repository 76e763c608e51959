"""The warnings grid (网格化预警): its latency over HTTP, and a small standalone check.

``measure_grid`` times ``GET /api/v1/warnings/grid`` on a running server (the collection
section calls it after its imports). Run alone, ``python -m bench.grid`` loads
``--counties`` counties × 22 monthly indicators × ``--months`` months straight through the
ledger on a simulated 2023 calendar (some months late, some never sent, values around
their paths), times a rebuild of the monitoring read model alone, then serves the store
and times the grid now and as of a past instant, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from concurrent.futures import Future
from datetime import date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

import httpx

from bench import auth, scheme
from bench.http_load import client
from bench.progress import progress
from bench.server import serve
from bench.stats import percentile
from bench.stores import provision
from domain import commands as c
from domain.errors import DomainError
from domain.recorded_time import CHINA
from domain.scheme_reading import parse_scheme
from projections.monitoring import MonitoringProjection
from projections.runner import ProjectionRunner
from ruraleval.ledger import Ledger, Outcome
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url

WARM_UP = 2


def measure_grid(
    http: httpx.Client, headers: dict[str, str], year: int, samples: int, params: dict[str, str] | None = None
) -> dict[str, Any]:
    """Latency of the grid: ``samples`` sequential requests after ``WARM_UP`` untimed ones
    (the first brings the read models up to the log's head)."""
    query = {"year": str(year), **(params or {})}
    body: dict[str, Any] = {}
    first = 0.0
    for index in range(WARM_UP):
        began = time.perf_counter()
        body = _grid(http, headers, query)
        if index == 0:
            first = time.perf_counter() - began
    timings = []
    for _ in range(samples):
        began = time.perf_counter()
        body = _grid(http, headers, query)
        timings.append((time.perf_counter() - began) * 1000)
    counties = sum(len(region["counties"]) for region in body["regions"])
    return {
        "p50_ms": round(percentile(timings, 0.5), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "min_ms": round(min(timings), 2),
        "max_ms": round(max(timings), 2),
        "samples": samples,
        "first_ms": round(first * 1000, 1),
        "cells": body["cells"],
        "counties": counties,
        "warnings": sum(body["levels"].values()),
        "levels": body["levels"],
    }


def _grid(http: httpx.Client, headers: dict[str, str], query: dict[str, str]) -> dict[str, Any]:
    response = http.get("/api/v1/warnings/grid", params=query, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"warnings grid: {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body


# --------------------------------------------------------------------- standalone check


def beijing(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=CHINA)


def load(url: str, counties: int, months: int, seed: int) -> dict[str, Any]:
    """Publishes the bench scheme, enrols the counties and sends their months on a 2023 calendar."""
    rng = random.Random(seed)
    ledger = Ledger(parse_database_url(url))
    published = parse_scheme(scheme.scheme_document())
    start = beijing(date(2023, 1, 3), 9)
    context = c.Context("bench", "grid-setup", start)
    ledger.publish_scheme(published, context)
    codes = scheme.county_codes(counties)
    for code in codes:
        body = scheme.county_body(code)
        ledger.enrol(c.EnrolCounty(code, body["name"], body["province"], body["region"], published), context)
    began, sent, refused = time.perf_counter(), 0, 0
    try:
        for month in range(1, months + 1):
            steps = []
            for code in codes:
                for indicator in scheme.indicator_codes():
                    if rng.random() < 0.04:
                        continue  # never sent: overdue
                    day = date(2023 + month // 12, month % 12 + 1, rng.choice([3, 5, 8, 9, 10, 10, 12, 16, 25]))
                    steps.append((beijing(day, rng.randint(8, 18)), code, indicator, scheme.value(rng, indicator)))
            steps.sort()
            pending: list[Future[Outcome]] = []
            for number, (at, code, indicator, value) in enumerate(steps):
                command = c.SubmitData(indicator, scheme.period(month), Decimal(value))
                pending.append(ledger.submit(code, command, c.Context("bench", f"grid-{month}-{number}", at)))
            for future in pending:
                try:
                    future.result(timeout=600)
                    sent += 1
                except DomainError:
                    refused += 1
            progress(f"grid: month {month}: {len(steps):,} submissions")
    finally:
        ledger.close()
    seconds = time.perf_counter() - began
    return {"counties": counties, "months": months, "submissions": sent, "refused": refused,
            "load_seconds": round(seconds, 1)}  # fmt: skip


def rebuild_monitoring(url: str) -> dict[str, Any]:
    """The monitoring read model alone, rebuilt from the whole log (after the others caught up)."""
    platform = Platform(parse_database_url(url))
    try:
        platform.projections.catch_up()
        projection = MonitoringProjection()
        runner = ProjectionRunner(platform.ledger, platform.reads, [projection])
        began = time.perf_counter()
        # Only this read model: ProjectionRunner.rebuild would reset every projection's position.
        with platform.reads.transaction() as sql:
            for statement in projection.clear:
                sql.execute(statement)
            sql.execute("UPDATE projection_tracking SET position = 0 WHERE name = %s", [projection.name])
        events = runner.catch_up()
        seconds = time.perf_counter() - began
        rows = platform.reads.query("SELECT COUNT(*) AS n FROM warning_facts")[0]["n"]
    finally:
        platform.close()
    return {"events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds),
            "rows": int(rows)}  # fmt: skip


def run_store(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with provision(kind, args.pg_host, args.pg_port) as target:
        result: dict[str, Any] = {"store": kind, "load": load(target.url, args.counties, args.months, args.seed)}
        result["rebuild"] = rebuild_monitoring(target.url)
        progress(f"grid: {kind}: monitoring rebuild {result['rebuild']}")
        password = auth.bootstrap_admin(target.url)
        with serve(target.url, target.workdir, "WARNING") as server, client(server.base_url) as http:
            headers = {"Authorization": f"Bearer {auth.login(http, password)}"}
            result["now"] = measure_grid(http, headers, scheme.YEAR, args.samples)
            as_of = {"at": "2023-06-11", "as_of": "2023-06-11"}
            result["as_of_2023_06_11"] = measure_grid(http, headers, scheme.YEAR, args.samples, as_of)
        progress(f"grid: {kind}: now {result['now']}")
        progress(f"grid: {kind}: as of 2023-06-11 {result['as_of_2023_06_11']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Warnings grid latency over N counties (standalone)")
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    args = parser.parse_args()
    results = [run_store(kind, args) for kind in args.stores.split(",")]
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
