"""The request-path section (issue 10): reads beside writes, and a read against the floor.

On a fresh database of its own, the real server (one uvicorn process; on PostgreSQL, unless
``--projections thread``, with ``RURALEVAL_PROJECTIONS=external`` beside a ``ruraleval
projections run`` process, the production layout of ADR 28), the bench scheme
and ``rp_counties`` counties with their API keys (at least one more than the writers).
The first county is read: it gets all 12 months of its 22 indicators before the rounds.
The others are written: each writer owns its own counties. Every round runs, each for
``rp_seconds`` after ``rp_warmup`` seconds not counted:

1. ``healthz``: ``rp_readers`` clients GET /healthz (the floor of a request);
2. ``alone``: ``rp_readers`` clients GET the first county's scores (admin token);
3. ``mixed``: the same readers while ``rp_writers`` clients POST monthly values to the
   other counties (new values with the county's API key; once every period holds one,
   corrections with the admin's token and a reason).

Reported per store: reads/s and p50/p95/p99 of each phase, writes/s beside them, the
ratios mixed/alone (goal ≥ 0.7, p99 ≤ 50 ms under writers) and scores/healthz
(goal ≥ 0.5) per round, and median and spread over the rounds.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench import auth, http_load, rp_load, scheme
from bench.config import BenchConfig
from bench.progress import progress
from bench.server import Server, log_counts, serve
from bench.stores import provision

LOG_EVENTS = ("batch_retried_alone", "version_conflict", "command_failed", "projection_failed", "Traceback")
GOALS = {"mixed_over_alone": 0.7, "mixed_p99_ms": 50.0, "scores_over_healthz": 0.5}


def counties(config: BenchConfig) -> int:
    return max(min(config.counties, config.rp_counties), config.rp_writers + 1)


def run(config: BenchConfig, kind: str) -> dict[str, Any]:
    began = time.perf_counter()
    codes = scheme.county_codes(counties(config))
    read_code, written = codes[0], codes[1:]
    result: dict[str, Any] = {
        "workload": {
            "counties": len(codes),
            "read_county": read_code,
            "readers": config.rp_readers,
            "writers": config.rp_writers,
            "phase_seconds": config.rp_seconds,
            "warmup_seconds": config.rp_warmup,
            "rounds": config.rounds,
            "server_log_level": config.server_log_level,
            "projections": config.projections_for(kind),
        }
    }
    with provision(kind, config.pg_host, config.pg_port) as target:
        result["database"] = dict(target.details)
        password = auth.bootstrap_admin(target.url)
        projections = config.projections_for(kind)
        with serve(target.url, target.workdir, config.server_log_level, projections=projections) as server:
            progress(f"{kind}: request path: server pid {server.pid}; enrolling {len(codes)} counties")
            credentials, enrol_seconds = http_load.set_up(server.base_url, codes, password)
            preload = http_load.submit_concurrently(
                server.base_url, [scheme.submissions([read_code], list(range(1, 13)), config.seed)], credentials.keys
            )
            result["setup"] = {"enrol_seconds": round(enrol_seconds, 1), "read_county_values": preload.ok}
            writers = _writers(written, credentials, config)
            rounds = []
            for index in range(1, config.rounds + 1):
                rounds.append(_round(config, server, read_code, credentials, writers))
                progress(f"{kind}: request path: round {index}: {_line(rounds[-1])}")
            result["rounds"] = rounds
            result["writer_requests"] = {
                name: sum(writer.counts[name] for writer in writers) for name in ("new values", "corrections")
            }
        result["server_log"] = log_counts(server.log_path, LOG_EVENTS)
    result.update(_summaries(result["rounds"]))
    result["seconds"] = round(time.perf_counter() - began, 1)
    progress(f"{kind}: request path done in {result['seconds']} s")
    return result


def _writers(written: list[str], credentials: auth.Credentials, config: BenchConfig) -> list[rp_load.Writer]:
    shares = [written[index :: config.rp_writers] for index in range(config.rp_writers)]
    return [
        rp_load.Writer(share, credentials.keys, credentials.bearer, config.seed + 1000 + index)
        for index, share in enumerate(shares)
    ]


def _round(
    config: BenchConfig,
    server: Server,
    read_code: str,
    credentials: auth.Credentials,
    writers: list[rp_load.Writer],
) -> dict[str, Any]:
    base_url = server.base_url
    load_before = os.getloadavg()
    caught_up = http_load.catch_up(base_url, scheme.YEAR, credentials)
    scores = rp_load.getter(f"/api/v1/counties/{read_code}/scores?year={scheme.YEAR}", credentials.bearer)
    health = rp_load.getter("/healthz", {})
    readers = config.rp_readers

    def phase(workers: list[tuple[str, rp_load.Action]]) -> tuple[dict[str, rp_load.Stream], dict[str, float]]:
        pids = (server.pid, server.projection_pid)
        return rp_load.run_phase(base_url, workers, config.rp_seconds, config.rp_warmup, *pids)

    healthz, healthz_cpu = phase([("reads", health)] * readers)
    alone, alone_cpu = phase([("reads", scores)] * readers)
    mixed, mixed_cpu = phase([("reads", scores)] * readers + [("writes", writer) for writer in writers])
    catch_up = http_load.catch_up(base_url, scheme.YEAR, credentials)
    return {
        "load_average_before": [round(value, 2) for value in load_before],
        "catch_up_before_s": round(caught_up, 3),
        "healthz": {**healthz["reads"].to_json(), "cpu_cores": healthz_cpu},
        "alone": {**alone["reads"].to_json(), "cpu_cores": alone_cpu},
        "mixed": {**mixed["reads"].to_json(), "cpu_cores": mixed_cpu},
        "mixed_writes": mixed["writes"].to_json(),
        "catch_up_after_s": round(catch_up, 3),
        "mixed_over_alone": _ratio(mixed["reads"].rate, alone["reads"].rate),
        "scores_over_healthz": _ratio(alone["reads"].rate, healthz["reads"].rate),
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _line(r: dict[str, Any]) -> str:
    return (
        f"healthz {r['healthz']['rate_per_s']:,.0f}/s; scores alone {r['alone']['rate_per_s']:,.0f}/s "
        f"p99 {r['alone']['p99_ms']:.0f} ms; with writers {r['mixed']['rate_per_s']:,.0f}/s "
        f"p99 {r['mixed']['p99_ms']:.0f} ms (writes {r['mixed_writes']['rate_per_s']:,.0f}/s); "
        f"ratios {r['mixed_over_alone']} and {r['scores_over_healthz']}; load {r['load_average_before'][0]}"
    )


def _summaries(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def over(path: str) -> list[float]:
        values = []
        for r in rounds:
            part: Any = r
            for key in path.split("."):
                part = part[int(key)] if isinstance(part, list) else part[key]
            if part is not None:
                values.append(float(part))
        return values

    figures: dict[str, Any] = {"goals": GOALS}
    for name in ("healthz", "alone", "mixed", "mixed_writes"):
        figures[name] = {
            key: rp_load.summary(over(f"{name}.{key}")) for key in ("rate_per_s", "p50_ms", "p95_ms", "p99_ms")
        }
    for name in ("mixed_over_alone", "scores_over_healthz"):
        figures[name] = rp_load.summary(over(name), 2)
    for name in ("healthz", "alone", "mixed"):
        figures[name]["cpu_cores"] = {
            key: rp_load.summary(over(f"{name}.cpu_cores.{key}"), 2)["median"]
            for key in (
                "bench_client_cores",
                "server_cores",
                "projection_process_cores",
                "postgres_cores",
                "other_processes_cores",
            )
        }
    figures["load_average_1min"] = rp_load.summary(over("load_average_before.0"), 1)
    return figures
