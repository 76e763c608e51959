"""The printed table and the JSON file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cell = Callable[[dict[str, Any]], str]
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
OTHER_LOAD_WARNING = 0.25  # cores used by processes outside the bench


def _get(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def rate(path: str, digits: int = 0) -> Cell:
    """Median [min–max] of repeated rounds."""

    def cell(result: dict[str, Any]) -> str:
        s = _get(result, path)
        if not s:
            return "-"
        return f"{_number(s['median'], digits)} [{_number(s['min'], digits)}–{_number(s['max'], digits)}] n={s['n']}"

    return cell


def latency(path: str, digits: int = 1) -> Cell:
    """p50 and p95 of the samples, with the p5–max range."""

    def cell(result: dict[str, Any]) -> str:
        s = _get(result, path)
        if not s:
            return "-"
        return (
            f"p50 {_number(s['median'], digits)}  p95 {_number(s['p95'], digits)}  "
            f"[{_number(s['p5'], digits)}–{_number(s['max'], digits)}] n={s['n']}"
        )

    return cell


def median_spread(path: str, digits: int = 2) -> Cell:
    """Median [p5–p95] of the samples."""

    def cell(result: dict[str, Any]) -> str:
        s = _get(result, path)
        if not s:
            return "-"
        return (
            f"{_number(s['median'], digits)} [{_number(s['p5'], digits)}–{_number(s['p95'], digits)}] "
            f"(min {_number(s['min'], digits)}, max {_number(s['max'], digits)}) n={s['n']}"
        )

    return cell


def _ratio(result: dict[str, Any]) -> str:
    ratio = _get(result, "ratio")
    if not ratio or ratio["of_medians"] is None:
        return "-"
    rounds = ratio["per_round"]
    verdict = "meets" if ratio["of_medians"] >= ratio["goal"] else "below"
    return f"{ratio['of_medians']:.2f} [{rounds['min']:.2f}–{rounds['max']:.2f}] ({verdict} goal {ratio['goal']})"


def _overall(result: dict[str, Any]) -> str:
    api = _get(result, "api_submissions")
    if not api:
        return "-"
    return f"{_number(api['overall_rate_per_s'])} ({api['ok']:,} ok of {api['requests']:,} in {api['load_seconds']} s)"


def _statuses(result: dict[str, Any]) -> str:
    api = _get(result, "api_submissions") or {}
    others = {k: v for k, v in (api.get("statuses") or {}).items() if k != "201"}
    reads = {
        f"{name}:{k}": v
        for name in ("scores_ms", "rankings_ms")
        for k, v in ((_get(result, name) or {}).get("statuses") or {}).items()
        if k != "200"
    }
    problems = {**others, **reads}
    return ", ".join(f"{k}×{v}" for k, v in problems.items()) or "none"


def _server_log(result: dict[str, Any]) -> str:
    counts = _get(result, "server_log") or {}
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no retries, conflicts or failures"


def _cpu(result: dict[str, Any]) -> str:
    c = _get(result, "api_submissions.cpu_cores")
    if not c:
        return "-"
    return (
        f"server {c['server_cores']:.2f}, bench clients {c['bench_client_cores']:.2f}, "
        f"postgres {c['postgres_cores']:.2f}, other {c['other_processes_cores']:.2f}; "
        f"machine {c['machine_busy_cores']:.2f}"
    )


def _head(result: dict[str, Any]) -> str:
    log = _get(result, "log")
    if not log:
        return "-"
    lag = max((p["lag"] for p in log["projections"].values()), default=0)
    match = "ok" if log["head"] == log["expected_head"] else "MISMATCH"
    return f"{log['head']:,} (expected {log['expected_head']:,}, {match}); projection lag {lag}"


def _aggregate_head(result: dict[str, Any]) -> str:
    a = _get(result, "aggregate_load")
    if not a:
        return "-"
    return (
        f"version {a['version']:,}, {a['snapshots']} snapshots; built in {a['build_seconds']} s "
        f"({_number(a['build_events_per_s'])} events/s via ledger.submit)"
    )


ROWS: list[tuple[str, Cell]] = [
    ("API submissions/s, per round: median [min–max]", rate("api_submissions.rate_per_s")),
    ("API submissions/s, whole load", _overall),
    ("API submission latency ms", latency("api_submissions.latency_ms")),
    ("raw commits/s (1 row/txn), per round", rate("raw_commits.rate_per_s")),
    ("raw commit latency ms", latency("raw_commits.latency_ms", 2)),
    ("ratio API/raw: of medians [per-round range]", _ratio),
    ("CPU during load, cores (of 2)", _cpu),
    ("server CPU per submission, ms, per round", rate("api_submissions.server_cpu_ms_per_request", 2)),
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
    ("store run time, s", lambda r: str(r.get("seconds", "-"))),
]


def table(document: dict[str, Any]) -> str:
    results: list[dict[str, Any]] = document["results"]
    config = document["config"]
    machine = document["machine"]
    lines = [
        f"RuralEval bench — {config['counties']} counties × {config['indicators']} indicators × "
        f"{config['months']} months = {config['submissions']:,} submissions per store; "
        f"{config['clients']} HTTP clients (keep-alive), {config['rounds']} rounds; "
        f"raw rounds {config['raw_seconds']} s each",
        f"machine: {machine['cpus']} CPUs, Python {machine['python']}, eventsourcing {machine['eventsourcing']}, "
        f"SQLite {machine['sqlite']}; run {document['started_at']}, {document['seconds']} s",
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
    header = ["", *[NAMES.get(r["store"], r["store"]) for r in results]]
    body = []
    for label, cell in ROWS:
        body.append([label, *[("ERROR: " + r["error"]) if "error" in r else cell(r) for r in results]])
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    rule = "-+-".join("-" * w for w in widths)
    lines += ["", " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), rule]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    lines.append("")
    lines += _warnings(document)
    lines.append("rates: median [min–max] over rounds; latencies: p50, p95 [p5–max]; times: median [p5–p95].")
    return "\n".join(lines)


def _warnings(document: dict[str, Any]) -> list[str]:
    warnings = []
    idle = document["machine"].get("busy_before_start", {}).get("machine_busy_cores", 0.0)
    if idle > OTHER_LOAD_WARNING:
        warnings.append(f"WARNING: the machine was busy before the run ({idle:.2f} cores): figures are depressed.")
    for result in document["results"]:
        other = (_get(result, "api_submissions.cpu_cores") or {}).get("other_processes_cores", 0.0)
        if other > OTHER_LOAD_WARNING:
            name = NAMES.get(result["store"], result["store"])
            warnings.append(f"WARNING: {name}: other processes used {other:.2f} cores during the load rounds.")
    return warnings


def write_json(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
