"""One store's run: main (HTTP load beside raw commits, queries, an aggregate), time travel, collection,
request path, pages.

The main section's server on PostgreSQL is ADR 28's production pair unless ``--projections thread``:
the API process (``RURALEVAL_PROJECTIONS=external``) and a ``ruraleval projections run`` process beside
it (``bench.server.serve``). Server CPU per submission is the API process's; the row under it adds the
projection process's. The clients are ``bench.lean_http``'s (8 connections on one event loop).
"""

from __future__ import annotations

import random
import time
import traceback
from typing import Any

from bench import (
    aggregate_load,
    auth,
    collection,
    cpu,
    http_load,
    ledger_load,
    pages,
    raw_commits,
    reports,
    request_path,
    scheme,
    server_profile,
    time_travel,
)
from bench.config import BenchConfig
from bench.progress import progress
from bench.server import Server, log_counts, serve
from bench.stats import Summary
from bench.stores import Target, provision, sqlite_store_pragmas

LOG_EVENTS = ("batch_retried_alone", "version_conflict", "command_failed", "command_refused", "projection_failed")


def month_rounds(months: int, rounds: int) -> list[list[int]]:
    """Months 1..months split into ``rounds`` consecutive, near-equal groups."""
    all_months = list(range(1, months + 1))
    size, extra = divmod(months, rounds)
    groups, start = [], 0
    for index in range(rounds):
        end = start + size + (1 if index < extra else 0)
        groups.append(all_months[start:end])
        start = end
    return [group for group in groups if group]


def run_store(config: BenchConfig, kind: str) -> dict[str, Any]:
    """The store's sections in turn; a failed time-travel section is recorded, not raised."""
    began = time.perf_counter()
    result: dict[str, Any] = {"store": kind}
    if "main" in config.sections:
        result.update(_main_section(config, kind))
    if "time_travel" in config.sections:
        try:
            result["time_travel"] = time_travel.run(config, kind)
        except Exception as error:
            traceback.print_exc()
            progress(f"{kind}: time travel FAILED: {type(error).__name__}: {error}")
            result["time_travel"] = {"error": f"{type(error).__name__}: {error}"}
    for name, section in (
        ("collection", collection.run),
        ("request_path", request_path.run),
        ("pages", pages.run),
        ("reports", reports.run),
    ):
        if name not in config.sections:
            continue
        try:
            result[name] = section(config, kind)
        except Exception as error:
            traceback.print_exc()
            progress(f"{kind}: {name} FAILED: {type(error).__name__}: {error}")
            result[name] = {"error": f"{type(error).__name__}: {error}"}
    result["seconds"] = round(time.perf_counter() - began, 1)
    progress(f"{kind}: done in {result['seconds']} s")
    return result


def _main_section(config: BenchConfig, kind: str) -> dict[str, Any]:
    """Provision, load over HTTP beside raw commits, query, load an aggregate."""
    with provision(kind, config.pg_host, config.pg_port) as target:
        progress(f"{kind}: fresh database {target.details.get('database') or target.details.get('path')}")
        result: dict[str, Any] = {"database": dict(target.details)}
        password = auth.bootstrap_admin(target.url)
        projections = config.projections_for(kind)
        result["deployment"] = {"projections": projections}
        with serve(target.url, target.workdir, config.server_log_level, projections=projections) as server:
            progress(f"{kind}: server pid {server.pid} at {server.base_url}, projections {projections}"
                     + (f" (process {server.projection_pid})" if server.projection_pid else ""))  # fmt: skip
            result.update(_http_phase(config, target, server, password))
        result["server_log"] = log_counts(server.log_path, LOG_EVENTS)
        progress(f"{kind}: the same submissions straight to the ledger ({config.clients} threads, no HTTP)")
        result["ledger_submissions"] = _ledger_phase(config, target)
        progress(f"{kind}: aggregate of {config.aggregate_events} events through the ledger")
        aggregate = aggregate_load.measure(
            target.url, config.aggregate_events, config.aggregate_samples, config.replay_samples
        )
        result["aggregate_load"] = aggregate.to_json()
    if config.server_profile:
        try:
            result["server_profile"] = server_profile.run(config, kind)
        except Exception as error:  # the profile is an extra: its failure does not fail the section
            traceback.print_exc()
            result["server_profile"] = {"error": f"{type(error).__name__}: {error}"}
    return result


def _http_phase(config: BenchConfig, target: Target, server: Server, password: str) -> dict[str, Any]:
    codes = scheme.county_codes(config.counties)
    credentials, enrol_seconds = http_load.set_up(server.base_url, codes, password)
    progress(f"{target.kind}: scheme published, {len(codes)} counties enrolled with API keys in {enrol_seconds:.1f} s")
    phase: dict[str, Any] = {"setup": {"enrol_seconds": round(enrol_seconds, 2), "counties": len(codes)}}
    head_after_setup = int(http_load.ready(server.base_url)["head"])
    if target.kind == "sqlite":
        phase["database"] = {**target.details, "store_connection": sqlite_store_pragmas(target.sqlite_path)}

    api_rounds: list[http_load.LoadResult] = []
    raw_rounds: list[raw_commits.RawResult] = []
    cpu_rounds: list[dict[str, float]] = []
    catch_ups: list[float] = []
    for index, months in enumerate(month_rounds(config.months, config.rounds), start=1):
        raw = raw_commits.raw_round(target, config.raw_seconds, config.raw_max_rows)
        raw_rounds.append(raw)
        work = scheme.submissions(codes, months, config.seed + index)
        shares = http_load.split(work, codes, config.clients)
        before = cpu.sample(server.pid, server.projection_pid)
        load = http_load.submit_concurrently(server.base_url, shares, credentials.keys)
        cpu_rounds.append(cpu.usage(before, cpu.sample(server.pid, server.projection_pid)))

        api_rounds.append(load)
        catch_ups.append(http_load.catch_up(server.base_url, scheme.YEAR, credentials))
        progress(
            f"{target.kind}: round {index} months {months[0]}-{months[-1]}: raw {raw.rate:,.0f} commits/s, "
            f"API {load.rate:,.0f} submissions/s ({load.ok}/{load.requests} ok in {load.seconds:.1f} s), "
            f"catch-up {catch_ups[-1]:.2f} s"
        )
    phase["api_submissions"] = _api_json(api_rounds, cpu_rounds, config.clients)
    phase["raw_commits"] = _raw_json(raw_rounds)
    phase["ratio"] = _ratio(api_rounds, raw_rounds)
    phase["catch_up_seconds"] = Summary.of(catch_ups).to_json()

    ready = http_load.ready(server.base_url)
    acknowledged = sum(load.events for load in api_rounds)
    phase["log"] = {
        "head": ready["head"],
        "expected_head": head_after_setup + acknowledged,
        "projections": ready["projections"],
    }

    rng = random.Random(config.seed)
    progress(f"{target.kind}: {config.score_queries} scores and {config.ranking_queries} rankings queries")
    score_paths = http_load.score_paths(codes, config.score_queries, rng)
    scores = http_load.query_latency(server.base_url, score_paths, scheme.YEAR, credentials)
    rankings_paths = ["/api/v1/rankings"] * config.ranking_queries
    rankings = http_load.query_latency(server.base_url, rankings_paths, scheme.YEAR, credentials)
    phase["scores_ms"] = {**scores.latency_ms.to_json(), "statuses": dict(scores.statuses)}
    phase["rankings_ms"] = {**rankings.latency_ms.to_json(), "statuses": dict(rankings.statuses)}
    return phase


def _ledger_phase(config: BenchConfig, target: Target) -> dict[str, Any]:
    """One month of submissions per round, resubmitted by ``clients`` threads to the ledger."""
    codes = scheme.county_codes(config.counties)
    rounds = []
    for index, months in enumerate(month_rounds(config.months, config.rounds), start=1):
        work = scheme.submissions(codes, months[:1], config.seed + 100 + index)
        rounds.append(tuple(http_load.split(work, codes, config.clients)))
    results = ledger_load.run_rounds(target.url, rounds)
    rates = [ok / seconds for ok, seconds, _ in results if seconds > 0]
    outcomes: dict[str, int] = {}
    for _, _, counts in results:
        for name, count in counts.items():
            outcomes[name] = outcomes.get(name, 0) + count
    progress(f"{target.kind}: ledger {', '.join(f'{rate:,.0f}' for rate in rates)} submissions/s per round")
    return {
        "clients": config.clients,
        "rate_per_s": Summary.of(rates).to_json(),
        "outcomes": outcomes,
        "rounds": [{"ok": ok, "seconds": round(seconds, 2)} for ok, seconds, _ in results],
    }


def _api_json(rounds: list[http_load.LoadResult], cpu_rounds: list[dict[str, float]], clients: int) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    for load in rounds:
        for status, count in load.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    ok = sum(load.ok for load in rounds)
    seconds = sum(load.seconds for load in rounds)
    latencies = [value for load in rounds for value in load.latencies]
    cpu_ms = [
        1000 * usage["server_cores"] * load.seconds / load.ok for load, usage in zip(rounds, cpu_rounds, strict=True)
    ]
    with_projector_ms = [
        1000 * (usage["server_cores"] + usage["projection_process_cores"]) * load.seconds / load.ok
        for load, usage in zip(rounds, cpu_rounds, strict=True)
    ]
    return {
        "clients": clients,
        "requests": sum(load.requests for load in rounds),
        "ok": ok,
        "statuses": statuses,
        "load_seconds": round(seconds, 2),
        "overall_rate_per_s": round(ok / seconds, 1) if seconds else 0.0,
        "rate_per_s": Summary.of([load.rate for load in rounds]).to_json(),
        "latency_ms": Summary.of(latencies).scaled(1000).to_json(),
        "rounds": [
            {"requests": load.requests, "ok": load.ok, "seconds": round(load.seconds, 2), "rate": round(load.rate, 1)}
            for load in rounds
        ],
        "server_cpu_ms_per_request": Summary.of(cpu_ms).to_json(),
        # the API process and the projection process beside it (the same as above with projections in a thread)
        "server_and_projection_cpu_ms_per_request": Summary.of(with_projector_ms).to_json(),
        "cpu_cores": {key: round(sum(r[key] for r in cpu_rounds) / len(cpu_rounds), 3) for key in cpu_rounds[0]},
        "cpu_cores_per_round": cpu_rounds,
    }


def _raw_json(rounds: list[raw_commits.RawResult]) -> dict[str, Any]:
    latencies = [value for raw in rounds for value in raw.latencies]
    return {
        "rows": sum(raw.rows for raw in rounds),
        "rate_per_s": Summary.of([raw.rate for raw in rounds]).to_json(),
        "latency_ms": Summary.of(latencies).scaled(1000).to_json(),
        "rounds": [{"rows": raw.rows, "seconds": round(raw.seconds, 2), "rate": round(raw.rate, 1)} for raw in rounds],
    }


def _ratio(api: list[http_load.LoadResult], raw: list[raw_commits.RawResult]) -> dict[str, Any]:
    per_round = [a.rate / r.rate for a, r in zip(api, raw, strict=True) if r.rate]
    api_median = Summary.of([a.rate for a in api]).median
    raw_median = Summary.of([r.rate for r in raw]).median
    return {
        "of_medians": round(api_median / raw_median, 3) if raw_median else None,
        "per_round": Summary.of(per_round).to_json(),
        "goal": 0.5,
        "issue_10_goal": 0.3,
    }
