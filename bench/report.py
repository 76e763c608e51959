"""The printed table and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import collection_report, pages_report, rp_report, tt_report
from bench.cells import NAMES, Cell, deployment, get, grid, latency, median_spread, number, projector, rate

OTHER_LOAD_WARNING = 0.25  # cores used by processes outside the bench


def _ratio(result: dict[str, Any]) -> str:
    ratio = get(result, "ratio")
    if not ratio or ratio["of_medians"] is None:
        return "-"
    rounds = ratio["per_round"]
    verdict = "meets" if ratio["of_medians"] >= ratio["goal"] else "below"
    text = f"{ratio['of_medians']:.2f} [{rounds['min']:.2f}–{rounds['max']:.2f}] ({verdict} goal {ratio['goal']}"
    if "issue_10_goal" in ratio:
        issue = "meets" if ratio["of_medians"] >= ratio["issue_10_goal"] else "below"
        text += f"; {issue} issue 10's {ratio['issue_10_goal']}"
    return text + ")"


def _overall(result: dict[str, Any]) -> str:
    api = get(result, "api_submissions")
    if not api:
        return "-"
    return f"{number(api['overall_rate_per_s'])} ({api['ok']:,} ok of {api['requests']:,} in {api['load_seconds']} s)"


def _statuses(result: dict[str, Any]) -> str:
    api = get(result, "api_submissions") or {}
    others = {k: v for k, v in (api.get("statuses") or {}).items() if k != "201"}
    reads = {
        f"{name}:{k}": v
        for name in ("scores_ms", "rankings_ms")
        for k, v in ((get(result, name) or {}).get("statuses") or {}).items()
        if k != "200"
    }
    problems = {**others, **reads}
    return ", ".join(f"{k}×{v}" for k, v in problems.items()) or "none"


def _server_log(result: dict[str, Any]) -> str:
    counts = get(result, "server_log") or {}
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no retries, conflicts or failures"


def _cpu(result: dict[str, Any]) -> str:
    c = get(result, "api_submissions.cpu_cores")
    if not c:
        return "-"
    return (
        f"server {c['server_cores']:.2f}{projector(c)}, bench clients {c['bench_client_cores']:.2f}, "
        f"postgres {c['postgres_cores']:.2f}, other {c['other_processes_cores']:.2f}; "
        f"machine {c['machine_busy_cores']:.2f}"
    )


def _head(result: dict[str, Any]) -> str:
    log = get(result, "log")
    if not log:
        return "-"
    lag = max((p["lag"] for p in log["projections"].values()), default=0)
    match = "ok" if log["head"] == log["expected_head"] else "MISMATCH"
    return f"{log['head']:,} (expected {log['expected_head']:,}, {match}); projection lag {lag}"


def _aggregate_head(result: dict[str, Any]) -> str:
    a = get(result, "aggregate_load")
    if not a:
        return "-"
    return (
        f"version {a['version']:,}, {a['snapshots']} snapshots; built in {a['build_seconds']} s "
        f"({number(a['build_events_per_s'])} events/s via ledger.submit)"
    )


ROWS: list[tuple[str, Cell]] = [
    ("server deployment", lambda r: deployment(get(r, "deployment.projections"))),
    ("API submissions/s, per round: median [min–max]", rate("api_submissions.rate_per_s")),
    ("API submissions/s, whole load", _overall),
    ("API submission latency ms", latency("api_submissions.latency_ms")),
    ("raw commits/s (1 row/txn), per round", rate("raw_commits.rate_per_s")),
    ("raw commit latency ms", latency("raw_commits.latency_ms", 2)),
    ("ratio API/raw: of medians [per-round range]", _ratio),
    ("CPU during load, cores (of 2)", _cpu),
    ("server CPU per submission, ms, per round", rate("api_submissions.server_cpu_ms_per_request", 2)),
    ("  with the projection process, ms", rate("api_submissions.server_and_projection_cpu_ms_per_request", 2)),
    ("server CPU by part (profiled load, own server)", rp_report.server_profile),
    ("  by thread", rp_report.profile_threads),
    ("  most self time", rp_report.profile_top),
    ("same submissions to the ledger in-process/s (no HTTP)", rate("ledger_submissions.rate_per_s")),
    ("read-model catch-up after a round, s", median_spread("catch_up_seconds")),
    ("GET scores latency ms (random counties)", latency("scores_ms")),
    ("GET rankings latency ms", latency("rankings_ms")),
    ("10k-event county: build", _aggregate_head),
    ("  repository.get latest (snapshot) ms", median_spread("aggregate_load.latest_ms")),
    ("  get at snapshot+99 events ms (worst case)", median_spread("aggregate_load.tail_ms")),
    ("  full replay, no snapshots ms", median_spread("aggregate_load.replay_ms", 0)),
    ("events in the log after load", _head),
    ("non-2xx responses", _statuses),
    ("server log: retries/conflicts/failures", _server_log),
    ("store run time (all sections), s", lambda r: str(r.get("seconds", "-"))),
]


def table(document: dict[str, Any]) -> str:
    results: list[dict[str, Any]] = document["results"]
    config = document["config"]
    machine = document["machine"]
    sections = config.get("sections", ["main"])
    lines = [
        f"machine: {machine['cpus']} CPUs, Python {machine['python']}, eventsourcing {machine['eventsourcing']}, "
        f"SQLite {machine['sqlite']}; run {document['started_at']}, {document['seconds']} s",
    ]
    if "main" in sections:
        lines += ["", *_main_header(config, results), "", *grid(results, ROWS, lambda r: r)]
        lines.append("rates: median [min–max] over rounds; latencies: p50, p95 [p5–max]; times: median [p5–p95].")
    if "time_travel" in sections:
        lines += ["", *tt_report.section(config, results)]
    if "collection" in sections:
        lines += ["", *collection_report.section(config, results)]
    if "request_path" in sections:
        lines += ["", *rp_report.section(config, results)]
    if "pages" in sections:
        lines += ["", *pages_report.section(config, results)]
    lines.append("")
    lines += _warnings(document)
    return "\n".join(lines)


def _main_header(config: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"RuralEval bench — {config['counties']} counties × {config['indicators']} indicators × "
        f"{config['months']} months = {config['submissions']:,} submissions per store; "
        f"{config['clients']} HTTP clients (keep-alive), {config['rounds']} rounds; "
        f"raw rounds {config['raw_seconds']} s each",
    ]
    for result in results:
        db = result.get("database", {})
        if result["store"] == "sqlite":
            store = db.get("store_connection", {})
            lines.append(
                f"SQLite durability: store connection journal_mode={store.get('journal_mode')} "
                f"synchronous={store.get('synchronous')}; raw: WAL, synchronous=FULL"
            )
        elif "error" not in result:
            lines.append(
                f"PostgreSQL {db.get('server_version')}: fsync={db.get('fsync')} "
                f"synchronous_commit={db.get('synchronous_commit')} wal_sync_method={db.get('wal_sync_method')} "
                f"(database {db.get('database')}, user {db.get('user')})"
            )
    return lines


def _warnings(document: dict[str, Any]) -> list[str]:
    warnings = []
    idle = document["machine"].get("busy_before_start", {}).get("machine_busy_cores", 0.0)
    if idle > OTHER_LOAD_WARNING:
        warnings.append(f"WARNING: the machine was busy before the run ({idle:.2f} cores): figures are depressed.")
    phases = {
        "api_submissions.cpu_cores": "the load rounds",
        "time_travel.rebuild.cpu_cores": "the time-travel rebuilds",
        "time_travel.reads.cpu_cores": "the time-travel reads",
    }
    for result in document["results"]:
        name = NAMES.get(result["store"], result["store"])
        for path, phase in phases.items():
            other = (get(result, path) or {}).get("other_processes_cores", 0.0)
            if other > OTHER_LOAD_WARNING:
                warnings.append(f"WARNING: {name}: other processes used {other:.2f} cores during {phase}.")
    return warnings


def write_json(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
