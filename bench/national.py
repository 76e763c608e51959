"""``python -m bench --national [--counties N]``: a national-size run on PostgreSQL (issue 14).

Generates N counties (default 2,800) × 30 monthly indicators × 24 months (2023 and 2024, the
second year adopted by every county), a month's values of a county as one ``SubmitBatch`` as an
import sends them, with corrections (one submission in 20 is corrected later) and overrides (one
county in 10 has its 2023 total set by the province). The events are the ledger's own, built by
the County aggregate's handlers in a process per core and stored many counties per transaction
(``bench.national_history``); no read model is kept meanwhile. Then it measures: the rebuild of
every read model (``ruraleval projections rebuild --partitions``, events/s), the hash chains
(``ruraleval verify``), the database's size on disk (and each table's), the as-of ranking of all
counties and the warnings grid through the real server (p50/p95/max over ``--national-reads``
requests, and the server's CPU per request), and every county's report through the reports
batch (``reports.batch``, a process per core). A report costs about a CPU second, so 2,800 of
them alone would take ~25 min on 2 cores: by default at most ``REPORTS`` counties spread over all
are built and the whole is extrapolated, labelled so; ``--national-reports 0`` builds every one.

The data go into a database of their own (``ruraleval_national_<N>``), dropped first; it is kept
afterwards for a look (``--national-keep``), else dropped.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import psycopg

from bench import auth, cpu, scheme
from bench.national_history import YEARS, generate
from bench.progress import progress
from bench.server import serve
from bench.stats import Summary
from bench.tt_rebuild import open_platform
from ruraleval.settings import parse_database_url

DIMENSIONS = 5
PER_DIMENSION = 6  # 30 indicators
LEAF_WEIGHTS = (4, 4, 3, 3, 3, 3)  # exact: 20 per dimension
ADMIN_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
# The as-of instants of the 2023 ranking: as the year's figures came in, then settled.
REPORTS = 300  # reports built by default (spread over all counties); more are extrapolated
INSTANTS = [f"2023-{m:02d}-20" for m in range(2, 13)] + ["2024-01-20", "2024-06-30"]


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


def children_cpu() -> float:
    """CPU seconds of this process's ended children (pools and partitions count once they are joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def processes() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def rebuild(url: str, partitions: int) -> dict[str, Any]:
    """Every read model replayed from the whole log, as ``ruraleval projections rebuild --partitions`` does."""
    from ruraleval.rebuild import rebuild_in_partitions

    shown = [0.0]

    def report(done: int, until: int) -> None:
        now = time.monotonic()
        if now - shown[0] > 30 or done >= until:
            shown[0] = now
            progress(f"national: rebuild {done:,}/{until:,} events")

    before, children = cpu.sample(None), children_cpu()
    began = time.perf_counter()
    events = rebuild_in_partitions(parse_database_url(url), partitions, report)
    seconds = time.perf_counter() - began
    partitions_cpu = children_cpu() - children
    return {"events": events, "seconds": round(seconds, 1), "events_per_s": round(events / seconds, 1),
            "partitions": partitions, "partitions_cpu_us_per_event": round(partitions_cpu / max(1, events) * 1e6, 1),
            "cpu_cores": cpu.usage(before, cpu.sample(None))}  # fmt: skip


def analyze(url: str) -> float:
    """``ANALYZE``: the planner's statistics of the freshly filled read models, as autovacuum would
    gather them a while after the rebuild (the reads are measured in that steady state)."""
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    return round(time.perf_counter() - began, 1)


def verify(url: str) -> dict[str, Any]:
    """``ruraleval verify``: every county's hash chain recomputed from the log."""
    from ruraleval.audit import verify as verify_chains

    with open_platform(url) as platform:
        began = time.perf_counter()
        result = verify_chains(platform.ledger)
        seconds = time.perf_counter() - began
    return {"ok": result.ok, "events_checked": result.events_checked, "problems": len(result.problems),
            "seconds": round(seconds, 1)}  # fmt: skip


def disk_size(url: str) -> dict[str, Any]:
    """The database's size and each table's (``pg_total_relation_size``: with its indexes and TOAST)."""
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
        tables = connection.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid), c.reltuples::bigint FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " ORDER BY 2 DESC"
        ).fetchall()
    size = int(row[0]) if row else 0
    return {"bytes": size, "megabytes": round(size / 2**20, 1),
            "tables": {name: {"megabytes": round(int(total) / 2**20, 1), "rows_estimate": int(rows)}
                       for name, total, rows in tables}}  # fmt: skip


def http_reads(url: str, workdir: Any, reads: int) -> dict[str, Any]:
    """The as-of ranking of all counties and the warnings grid, through the real server."""
    password = auth.bootstrap_admin(url)
    result: dict[str, Any] = {}
    with serve(url, workdir, "WARNING") as server, httpx.Client(base_url=server.base_url, timeout=300,
                                                                  trust_env=False) as http:  # fmt: skip
        http.headers.update({"Authorization": f"Bearer {auth.login(http, password)}"})
        instants = [datetime.now(UTC).isoformat(), *INSTANTS]
        for name, path, params in (
            ("asof_ranking_ms", "/api/v1/rankings", lambda i: {"year": 2023, "as_of": instants[i % len(instants)]}),
            ("warnings_grid_ms", "/api/v1/warnings/grid", lambda i: {"year": 2024}),
        ):
            latencies, statuses, sizes = [], set(), set()
            before = cpu.sample(server.pid)
            for index in range(reads + 1):
                began = time.perf_counter()
                answer = http.get(path, params=params(index))
                if index:  # the first one warms the server's caches
                    latencies.append(time.perf_counter() - began)
                statuses.add(answer.status_code)
                if name.startswith("asof") and answer.status_code == 200:
                    sizes.add(len(answer.json()["counties"]))
            usage = cpu.sample(server.pid)
            result[name] = Summary.of(latencies).scaled(1000).to_json()
            result[name]["statuses"] = sorted(statuses)
            result[name]["server_cpu_ms_each"] = round((usage.server - before.server) * 1000 / (reads + 1), 1)
            if sizes:
                result[name]["counties_ranked"] = sorted(sizes)
    return result


def report_generation(url: str, limit: int | None) -> dict[str, Any]:
    """Every county's report (PDF and workbooks) of 2023 through the reports batch, a process per core."""
    from projections.queries import list_counties
    from reports.batch import build_all, workers_for

    with open_platform(url) as platform:
        moment = platform.ledger.clock()
        platform.settle(moment)
        with platform.reads.snapshot() as view:
            every = [row["code"] for row in list_counties(view)]
        chosen = every if limit is None else every[:: max(1, len(every) // limit)][:limit]
        workers = workers_for(len(chosen), platform.store)
        before, children = cpu.sample(None), children_cpu()
        began = time.perf_counter()
        built = list(build_all(platform, chosen, 2023, moment))
        seconds = time.perf_counter() - began
        usage = cpu.usage(before, cpu.sample(None))
        workers_cpu = children_cpu() - children + (usage["bench_client_cores"] * seconds if workers == 1 else 0.0)
    each = [b.seconds for b in built]
    result: dict[str, Any] = {
        "counties": len(every), "built": len(built), "workers": workers, "seconds": round(seconds, 1),
        "refused": sum(1 for b in built if b.rendered is None), "seconds_each": Summary.of(each).to_json(),
        "bytes_each": round(sum(sum(len(f) for f in b.rendered.files.values()) for b in built if b.rendered)
                            / max(1, len(built))), "cpu_cores": usage,
        "cpu_seconds_each": round(workers_cpu / max(1, len(built)), 3),
    }  # fmt: skip
    if len(built) < len(every):
        result["all_counties_seconds_EXTRAPOLATED"] = round(seconds / len(built) * len(every), 1)
        result["all_counties_cpu_seconds_EXTRAPOLATED"] = round(workers_cpu / max(1, len(built)) * len(every), 1)
    return result


def run(counties: int, reads: int, reports: int | None, seed: int, keep: bool, workdir: Any) -> dict[str, Any]:
    url = fresh_database(counties)
    cores = processes()
    result: dict[str, Any] = {"counties": counties, "load_before": os.getloadavg()}
    try:
        progress(f"national: generating {counties} counties × {len(codes())} indicators × 24 months")
        documents = {year: document(year) for year in YEARS}
        before = cpu.sample(None)
        result["generate"] = generate(url, counties, seed, documents, codes(), cores)
        result["generate"]["cpu_cores"] = cpu.usage(before, cpu.sample(None))
        progress(f"national: generated {result['generate']}")
        result["rebuild"] = rebuild(url, cores)
        progress(f"national: rebuild {result['rebuild']}")
        result["analyze_seconds"] = analyze(url)
        result["disk"] = disk_size(url)
        progress(f"national: disk {result['disk']['megabytes']} MB")
        result["verify"] = verify(url)
        progress(f"national: verify {result['verify']}")
        result["reads"] = http_reads(url, workdir, reads)
        progress(f"national: reads {result['reads']}")
        result["reports"] = report_generation(url, reports)
        progress(f"national: reports {result['reports']}")
        result["load_after"] = os.getloadavg()
        return result
    finally:
        if not keep:
            drop_database(url)


def table(result: dict[str, Any]) -> str:
    """The figures a reader wants at a glance (medians and spread; the JSON has the rest)."""
    g, r, d = result["generate"], result["rebuild"], result["disk"]
    lines = [
        f"national run: {result['counties']:,} counties; load {result['load_before']} → {result.get('load_after')}",
        f"  generate  {g['events']:>11,} events {g['seconds']:>8} s  {g['events_per_s']:>9,.0f} events/s"
        f"  ({g['worker_cpu_us_per_event']} µs CPU/event, {g['processes']} processes)",
        f"  rebuild   {r['events']:>11,} events {r['seconds']:>8} s  {r['events_per_s']:>9,.0f} events/s"
        f"  ({r['partitions_cpu_us_per_event']} µs CPU/event, {r['partitions']} partitions)",
        f"  verify    {result['verify']['seconds']:>8} s  ok={result['verify']['ok']}",
        f"  disk      {d['megabytes']:>8,} MB; largest: "
        + ", ".join(f"{name} {t['megabytes']} MB" for name, t in list(d["tables"].items())[:5]),
        f"  {'read (ms)':<18}{'p50':>8}{'p95':>8}{'min':>8}{'max':>8}{'n':>5}  server CPU ms each",
    ]
    for name, s in result["reads"].items():
        lines.append(f"  {name:<18}{s['median']:>8.1f}{s['p95']:>8.1f}{s['min']:>8.1f}{s['max']:>8.1f}{s['n']:>5}"
                     f"  {s['server_cpu_ms_each']}")  # fmt: skip
    rep = result["reports"]
    each = rep["seconds_each"]
    lines.append(f"  reports   {rep['built']:,}/{rep['counties']:,} counties in {rep['seconds']} s ({rep['workers']} "
                 f"processes); per county p50 {each['median']:.2f} s, p95 {each['p95']:.2f} s wall, "
                 f"{rep['cpu_seconds_each']} s CPU")  # fmt: skip
    if "all_counties_seconds_EXTRAPOLATED" in rep:
        lines.append(f"  reports   all counties EXTRAPOLATED from {rep['built']}: "
                     f"{rep['all_counties_seconds_EXTRAPOLATED']} s wall at this load, "
                     f"{rep['all_counties_cpu_seconds_EXTRAPOLATED']} CPU s")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import argparse
    import json
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench --national")
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--counties", "--national-counties", type=int, default=2800)
    parser.add_argument("--national-reads", type=int, default=30, help="timed requests per read")
    parser.add_argument("--national-reports", type=int, default=REPORTS,
                        help="build this many reports (spread over all counties), extrapolate; 0: all")  # fmt: skip
    parser.add_argument("--national-keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--output", default="bench-national.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ruraleval-national-") as workdir:
        result = run(args.counties, args.national_reads, args.national_reports or None, args.seed,
                     args.national_keep, Path(workdir))  # fmt: skip
    Path(args.output).write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")
    print(table(result))
    return 0
