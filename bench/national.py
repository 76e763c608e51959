"""``python -m bench --national [--counties N]``: a national-size run on PostgreSQL (issue 14).

Generates N counties (default 2,800) × 30 monthly indicators × 24 months (2023 and 2024, the
second year adopted by every county) through the ledger's commands (a month's values of a county
as one ``SubmitBatch``, as an import sends them), with corrections (one
submission in 20 is corrected later) and overrides (one county in 10 has its 2023 total set by
the province), then measures: a full rebuild (events/s), the as-of ranking of all counties
(p50/p95 over ``--national-reads`` requests through the real server), the warnings grid, the
report of every county (``reports.content.build_report``; rendered files for a sample only,
extrapolated, and said so), and the database's size on disk.

The data go into a database of their own (``ruraleval_national_<N>``), dropped first; it is kept
afterwards for a look (``--national-keep``), else dropped.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import psycopg

from bench import auth, scheme
from bench.progress import progress
from bench.server import serve
from bench.stats import Summary
from bench.tt_rebuild import open_platform
from domain import commands as c
from domain.errors import DomainError
from domain.scheme_reading import parse_scheme

DIMENSIONS = 5
PER_DIMENSION = 6  # 30 indicators
LEAF_WEIGHTS = (4, 4, 3, 3, 3, 3)  # exact: 20 per dimension
YEARS = (2023, 2024)
CORRECTED_ONE_IN = 20
OVERRIDDEN_ONE_IN = 10
WRITERS = 8  # threads calling the ledger: its group commit batches their commands
ADMIN_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def codes() -> list[str]:
    return [f"{d}.{i}" for d in range(1, DIMENSIONS + 1) for i in range(1, PER_DIMENSION + 1)]


def document(year: int) -> dict[str, Any]:
    weight = Decimal(100) / DIMENSIONS
    indicators: list[dict[str, Any]] = []
    for d in range(1, DIMENSIONS + 1):
        indicators.append({"code": str(d), "name": f"维度{d}", "weight": str(weight)})
        for i in range(1, PER_DIMENSION + 1):
            indicators.append({
                "code": f"{d}.{i}", "parent": str(d), "name": f"指标{d}.{i}", "kind": "common", "unit": "%",
                "direction": "higher_better", "weight": str(LEAF_WEIGHTS[i - 1]), "frequency": "monthly",
                "method": {"type": "attainment", "target": "90", "baseline": "60"},
                "aggregate": "latest", "range": ["0", "100"],
            })  # fmt: skip
    return {"id": f"national-{year}", "name": f"全国规模测试方案（{year}年度）", "year": year,
            **scheme.usual_rules(), "indicators": indicators}  # fmt: skip


def fresh_database(counties: int) -> str:
    name = f"ruraleval_national_{counties}"
    with psycopg.connect(ADMIN_PG, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str) -> None:
    with psycopg.connect(ADMIN_PG, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def generate(url: str, counties: int, seed: int) -> dict[str, Any]:
    """Writes the whole history through the ledger; returns how long it took and how many events."""
    county_codes = scheme.county_codes(counties)
    began = time.perf_counter()
    with open_platform(url) as platform:
        ledger = platform.ledger
        setup = c.Context("bench.national", "national-setup", recorded_at=None)
        schemes = {year: parse_scheme(document(year)) for year in YEARS}
        for year in YEARS:
            ledger.publish_scheme(schemes[year], setup)
        for code in county_codes:
            body = scheme.county_body(code)
            ledger.enrol(c.EnrolCounty(code, body["name"], body["province"], body["region"], schemes[2023]), setup)

        def county_history(code: str) -> int:
            written = 0
            local = random.Random(f"{seed}-{code}")
            context = c.Context("bench.national", f"n-{code}")
            ledger.execute(code, c.AdoptScheme(schemes[2024]), context)
            for year in YEARS:
                for month in range(1, 13):  # a month's 30 values in one command, as an import is
                    period = f"{year}-{month:02d}"
                    values = {indicator: Decimal(f"{local.uniform(55, 98):.2f}") for indicator in codes()}
                    rows = tuple(c.BatchRow(n, i, period, v) for n, (i, v) in enumerate(values.items(), start=1))
                    ledger.execute(code, c.SubmitBatch(rows, "import", f"{code}-{period}", period), context)
                    corrected = tuple(c.BatchRow(n, i, period, v + 1, reason="更正")
                                      for n, (i, v) in enumerate(values.items(), start=1)
                                      if local.randrange(CORRECTED_ONE_IN) == 0)  # fmt: skip
                    if corrected:
                        key = f"{code}-{period}-fix"
                        ledger.execute(code, c.SubmitBatch(corrected, "import", key, key, may_correct=True), context)
                    written += len(rows) + len(corrected)
            if local.randrange(OVERRIDDEN_ONE_IN) == 0:
                override = c.OverrideScore(2023, "total", Decimal(local.randint(70, 95)), "province", "省级核查",
                                           f"o-{code}")  # fmt: skip
                with suppress(DomainError):  # (a refused override is no part of what is measured)
                    ledger.execute(code, override, context)
            return written

        done = 0
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            for _written in pool.map(county_history, county_codes):
                done += 1
                if done % max(1, counties // 20) == 0:
                    elapsed = time.perf_counter() - began
                    progress(f"national: {done}/{counties} counties written in {elapsed:.0f} s, "
                             f"ETA {elapsed / done * (counties - done):.0f} s")  # fmt: skip
        head = ledger.head()
    seconds = time.perf_counter() - began
    return {"events": head, "seconds": round(seconds, 1), "events_per_s": round(head / seconds, 1)}


def rebuild(url: str) -> dict[str, Any]:
    with open_platform(url) as platform:
        began = time.perf_counter()
        events = platform.projections.rebuild()
        seconds = time.perf_counter() - began
    return {"events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds, 1)}


def http_reads(url: str, workdir: Any, reads: int) -> dict[str, Any]:
    """The as-of ranking of all counties and the warnings grid, through the real server."""
    password = auth.bootstrap_admin(url)
    result: dict[str, Any] = {}
    with serve(url, workdir, "WARNING") as server, httpx.Client(base_url=server.base_url, timeout=120,
                                                                  trust_env=False) as http:  # fmt: skip
        http.headers.update({"Authorization": f"Bearer {auth.login(http, password)}"})
        instants = [datetime.now(UTC).isoformat()] + [f"2024-{m:02d}-15" for m in range(1, 13)]
        for name, path, params in (
            ("asof_ranking_ms", "/api/v1/rankings", lambda i: {"year": 2023, "as_of": instants[i % len(instants)]}),
            ("warnings_grid_ms", "/api/v1/warnings/grid", lambda i: {"year": 2024}),
        ):
            latencies, statuses = [], set()
            for index in range(reads + 1):
                began = time.perf_counter()
                answer = http.get(path, params=params(index))
                if index:  # the first one warms the server's caches
                    latencies.append(time.perf_counter() - began)
                statuses.add(answer.status_code)
            result[name] = Summary.of(latencies).scaled(1000).to_json()
            result[name]["statuses"] = sorted(statuses)
    return result


def report_generation(url: str, sample: int) -> dict[str, Any]:
    """``build_report`` for every county; the rendered files (PDF, workbooks) for ``sample`` of them."""
    from reports.content import build_report
    from reports.issue import rendered_at

    with open_platform(url) as platform:
        moment = platform.ledger.clock()
        platform.settle(moment)
        county_codes = [row["code"] for row in platform.reads.query("SELECT code FROM county_list ORDER BY code")]
        began = time.perf_counter()
        failed = 0
        for code in county_codes:
            try:
                build_report(platform, code, 2023, moment)
            except DomainError:
                failed += 1
        built = time.perf_counter() - began
        began = time.perf_counter()
        for code in county_codes[:sample]:
            rendered_at(platform, code, 2023, moment)
        rendered = (time.perf_counter() - began) / max(1, min(sample, len(county_codes)))
    return {
        "counties": len(county_codes),
        "build_all_seconds": round(built, 2),
        "refused": failed,
        "rendered_sample": min(sample, len(county_codes)),
        "render_seconds_each": round(rendered, 3),
        "render_all_estimate_seconds": round(rendered * len(county_codes), 1),
    }


def disk_size(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    size = int(row[0]) if row else 0
    return {"bytes": size, "megabytes": round(size / 2**20, 1)}


def run(counties: int, reads: int, sample: int, seed: int, keep: bool, workdir: Any) -> dict[str, Any]:
    url = fresh_database(counties)
    try:
        progress(f"national: generating {counties} counties × {len(codes())} indicators × 24 months")
        result: dict[str, Any] = {"counties": counties, "generate": generate(url, counties, seed)}
        progress(f"national: {result['generate']}")
        result["rebuild"] = rebuild(url)
        progress(f"national: rebuild {result['rebuild']}")
        result["disk"] = disk_size(url)
        result["reads"] = http_reads(url, workdir, reads)
        progress(f"national: reads {result['reads']}")
        result["reports"] = report_generation(url, sample)
        progress(f"national: reports {result['reports']}")
        return result
    finally:
        if not keep:
            drop_database(url)


def main(argv: list[str]) -> int:
    import argparse
    import json
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench --national")
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--counties", type=int, default=2800)
    parser.add_argument("--national-reads", type=int, default=30, help="timed requests per read")
    parser.add_argument("--national-render-sample", type=int, default=3, help="counties whose files are rendered")
    parser.add_argument("--national-keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--output", default="bench-national.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ruraleval-national-") as workdir:
        result = run(args.counties, args.national_reads, args.national_render_sample, args.seed,
                     args.national_keep, Path(workdir))  # fmt: skip
    Path(args.output).write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
