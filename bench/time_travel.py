"""The time-travel section: years of recorded history, rebuild throughput, as-of and history reads.

On a fresh database of its own: the timeline (``tt_timeline``) goes straight to the
ledger; every read model is then rebuilt from the log a few times (``tt_rebuild``,
events/s); finally the real server answers as-of rankings and scores, histories and
current rankings over HTTP (``tt_reads``).
"""

from __future__ import annotations

import time
from typing import Any

from bench import auth, cpu, scheme, tt_reads, tt_rebuild, tt_timeline
from bench.config import BenchConfig
from bench.http_load import client
from bench.progress import progress
from bench.server import log_counts, serve
from bench.stores import Target, provision

GOAL_ASOF_P95_MS = 100.0
LOG_EVENTS = ("command_failed", "projection_failed", "Traceback")


def run(config: BenchConfig, kind: str) -> dict[str, Any]:
    began = time.perf_counter()
    codes = scheme.county_codes(config.tt_counties)
    timeline = tt_timeline.build(
        codes, config.tt_months, config.seed, config.tt_correction_rate, config.tt_overrides_per_year
    )
    result: dict[str, Any] = {"workload": _workload(config, timeline)}
    with provision(kind, config.pg_host, config.pg_port) as target:
        progress(f"{kind}: time travel: {len(timeline.steps):,} commands into a fresh database")
        result["database"] = dict(target.details)
        password = auth.bootstrap_admin(target.url)
        result["load"] = _load(target, timeline)
        result["rebuild"] = tt_rebuild.measure(target.url, config.tt_rebuilds, config.tt_rebuild_budget, kind)
        result.update(_reads(config, target, password, timeline, codes))
    result["goals"] = _goals(result)
    result["seconds"] = round(time.perf_counter() - began, 1)
    progress(f"{kind}: time travel done in {result['seconds']} s")
    return result


def _load(target: Target, timeline: tt_timeline.Timeline) -> dict[str, Any]:
    with tt_rebuild.open_platform(target.url) as platform:
        loaded = tt_timeline.load(platform.ledger, timeline)
        head = platform.ledger.head()
    progress(f"{target.kind}: time travel: loaded in {loaded.seconds:.1f} s ({loaded.rate:,.0f} commands/s)")
    return {
        "seconds": round(loaded.seconds, 2),
        "commands_per_s": round(loaded.rate, 1),
        "outcomes": dict(loaded.outcomes),
        "events": head,
    }


def _reads(
    config: BenchConfig, target: Target, password: str, timeline: tt_timeline.Timeline, codes: list[str]
) -> dict[str, Any]:
    """The real server on the rebuilt store: timed GETs, then the as-of-now check."""
    with serve(target.url, target.workdir, config.server_log_level) as server:
        progress(f"{target.kind}: time travel: server pid {server.pid}; {config.tt_queries} requests of each kind")
        with client(server.base_url) as http:
            token = auth.login(http, password)
        gets = tt_reads.plan(timeline, codes, config.tt_queries, config.seed)
        before = cpu.sample(server.pid)
        timings = tt_reads.measure(server.base_url, token, gets)
        reads = {**_reads_json(timings), "cpu_cores": cpu.usage(before, cpu.sample(server.pid))}
        consistent = tt_reads.consistency(server.base_url, token, timeline.years)
    log = log_counts(server.log_path, LOG_EVENTS)  # the server has stopped: its log is complete
    return {"reads": reads, "as_of_now_equals_current": consistent, "server_log": log}


def _workload(config: BenchConfig, timeline: tt_timeline.Timeline) -> dict[str, Any]:
    return {
        "counties": config.tt_counties,
        "indicators": config.indicators,
        "months": config.tt_months,
        "years": timeline.years,
        "commands": len(timeline.steps),
        "by_type": dict(timeline.counts),
        "recorded_from": timeline.first.isoformat(),
        "recorded_to": timeline.last.isoformat(),
    }


KINDS = {
    "asof_rankings_ms": ("asof_rankings",),
    "asof_scores_ms": ("asof_scores",),
    "rankings_ms": ("rankings",),
    "history_ms": ("history_total", "history_dimension", "history_indicator"),
    "history_total_ms": ("history_total",),
    "history_dimension_ms": ("history_dimension",),
    "history_indicator_ms": ("history_indicator",),
}


def _reads_json(timings: tt_reads.Timings) -> dict[str, Any]:
    reads: dict[str, Any] = {
        name: {**timings.summary_ms(*kinds).to_json(), "mean_size": timings.mean_size(*kinds)}
        for name, kinds in KINDS.items()
    }
    reads["statuses"] = dict(timings.statuses)
    return reads


def _goals(result: dict[str, Any]) -> dict[str, Any]:
    p95 = result["reads"]["asof_rankings_ms"]["p95"]
    rebuild = result["rebuild"]
    rate = rebuild["events_per_s"]["median"] if rebuild["events_per_s"]["n"] else rebuild["first"]["events_per_s"]
    first = rebuild["first"]["events_per_s"]
    goal = rebuild.get("goal", tt_rebuild.GOAL_PER_S)
    partitioned = rebuild["partitioned"]["events_per_s"]["median"] if rebuild.get("partitioned") else 0.0
    return {
        "asof_rankings_p95_ms": {"value": p95, "goal": GOAL_ASOF_P95_MS, "met": p95 < GOAL_ASOF_P95_MS},
        "rebuild_events_per_s": {"value": rate, "goal": goal, "met": rate > goal},
        "first_rebuild_events_per_s": {"value": first, "goal": goal, "met": first > goal},
        "partitioned_rebuild_events_per_s": {"value": partitioned, "goal": goal, "met": partitioned > goal},
    }
