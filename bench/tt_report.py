"""The time-travel part of the printed table."""

from __future__ import annotations

from typing import Any

from bench.cells import NAMES, Cell, get, grid, latency, number, rate


def _sized(path: str, unit: str) -> Cell:
    """Latency, then the mean size of the answers (counties, nodes or changes)."""
    base = latency(path)

    def cell(tt: dict[str, Any]) -> str:
        size = get(tt, f"{path}.mean_size")
        return base(tt) + (f"; {size:,.0f} {unit}" if size is not None else "")

    return cell


def _goal(cell: Cell, path: str) -> Cell:
    def marked(tt: dict[str, Any]) -> str:
        goal = get(tt, path)
        if not goal:
            return cell(tt)
        sign = "<" if path.endswith("p95_ms") else ">"
        return f"{cell(tt)} — goal {sign} {number(goal['goal'])}: {'met' if goal['met'] else 'NOT MET'}"

    return marked


def _load(tt: dict[str, Any]) -> str:
    load = get(tt, "load")
    if not load:
        return "-"
    refused = {k: v for k, v in load["outcomes"].items() if k != "ok"}
    problems = ", ".join(f"{k}×{v}" for k, v in refused.items()) or "none refused"
    return f"{load['seconds']} s, {number(load['commands_per_s'])} commands/s ({problems}); {load['events']:,} events"


def _first(tt: dict[str, Any]) -> str:
    first, goal = get(tt, "rebuild.first"), get(tt, "goals.first_rebuild_events_per_s")
    if not first or not goal:
        return "-"
    verdict = "met" if goal["met"] else "NOT MET"
    return (
        f"{number(first['events_per_s'])} events/s in {first['seconds']} s — goal > {number(goal['goal'])}: {verdict}"
    )


def _rows(tt: dict[str, Any]) -> str:
    rows = get(tt, "rebuild.score_history_rows")
    return "-" if rows is None else f"{rows:,}"


def _consistent(tt: dict[str, Any]) -> str:
    checked = get(tt, "as_of_now_equals_current") or {}
    return (
        ", ".join(
            f"{year}: {'equal' if item['equal'] else 'MISMATCH'} ({item['counties']} counties)"
            for year, item in checked.items()
        )
        or "-"
    )


def _statuses(tt: dict[str, Any]) -> str:
    statuses = get(tt, "reads.statuses") or {}
    others = {k: v for k, v in statuses.items() if not k.endswith(":200")}
    return ", ".join(f"{k}×{v}" for k, v in others.items()) or "none"


def _server_log(tt: dict[str, Any]) -> str:
    counts = get(tt, "server_log") or {}
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no failures"


def _cpu(path: str) -> Cell:
    def cell(tt: dict[str, Any]) -> str:
        c = get(tt, path)
        if not c:
            return "-"
        return (
            f"bench {c['bench_client_cores']:.2f}, server {c['server_cores']:.2f}, postgres {c['postgres_cores']:.2f}, "
            f"other {c['other_processes_cores']:.2f}; machine {c['machine_busy_cores']:.2f}"
        )

    return cell


ROWS: list[tuple[str, Cell]] = [
    ("load straight to the ledger (submit futures)", _load),
    ("first rebuild (read models never filled)", _first),
    ("  CPU, cores (of 2)", _cpu("rebuild.first.cpu_cores")),
    ("rebuild (full read models), events/s", _goal(rate("rebuild.events_per_s"), "goals.rebuild_events_per_s")),
    ("  time, s", rate("rebuild.seconds", 1)),
    ("  CPU of the rebuilding process, µs per event", rate("rebuild.cpu_us_per_event", 0)),
    ("  CPU, cores (of 2)", _cpu("rebuild.cpu_cores")),
    (
        "rebuild in 2 partitions (processes), events/s",
        _goal(rate("rebuild.partitioned.events_per_s"), "goals.partitioned_rebuild_events_per_s"),
    ),
    ("  time, s", rate("rebuild.partitioned.seconds", 1)),
    ("  CPU of the rebuilding processes, µs per event", rate("rebuild.partitioned.cpu_us_per_event", 0)),
    ("score_history rows", _rows),
    (
        "GET rankings as_of (random instants) ms",
        _goal(_sized("reads.asof_rankings_ms", "counties"), "goals.asof_rankings_p95_ms"),
    ),
    ("GET county scores as_of ms", _sized("reads.asof_scores_ms", "nodes")),
    ("GET rankings, current, ms (comparison)", _sized("reads.rankings_ms", "counties")),
    ("GET history ms, all nodes", _sized("reads.history_ms", "changes")),
    ("  history of total ms", _sized("reads.history_total_ms", "changes")),
    ("  history of a dimension ms", _sized("reads.history_dimension_ms", "changes")),
    ("  history of an indicator ms", _sized("reads.history_indicator_ms", "changes")),
    ("CPU during reads, cores (of 2)", _cpu("reads.cpu_cores")),
    ("rankings as_of now = current rankings", _consistent),
    ("non-200 responses", _statuses),
    ("server log", _server_log),
    ("time-travel section time, s", lambda tt: str(tt.get("seconds", "-"))),
]


def section(config: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    return [*_header(config, results), "", *grid(results, ROWS, lambda r: r.get("time_travel")), *_goals(results)]


def _header(config: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    workload = next((get(r, "time_travel.workload") for r in results if get(r, "time_travel.workload")), None)
    line = (
        f"Time travel — {config['tt_counties']} counties × {config['indicators']} indicators × "
        f"{config['tt_months']} months from 2023-01, corrections {config['tt_correction_rate']:.0%} of submissions, "
        f"{config['tt_overrides_per_year']} overrides per year (~40% revoked); "
        f"rebuilds: a first, then up to {config['tt_rebuilds']} within {config['tt_rebuild_budget']:.0f} s, "
        "each by a fresh platform; "
        f"{config['tt_queries']} requests of each kind, one client"
    )
    if workload is None:
        return [line]
    counts = workload["by_type"]
    detail = (
        f"  {workload['commands']:,} commands: {counts.get('SubmitData', 0):,} submissions, "
        f"{counts.get('CorrectData', 0):,} corrections, {counts.get('OverrideScore', 0)} overrides, "
        f"{counts.get('RevokeOverride', 0)} revocations, {counts.get('EnrolCounty', 0)} enrolments, "
        f"{counts.get('AdoptScheme', 0)} adoptions, {counts.get('Scheme', 0)} schemes; "
        f"recorded {workload['recorded_from'][:10]} – {workload['recorded_to'][:10]}"
    )
    return [line, detail]


def _met(goal: dict[str, Any]) -> str:
    return "met" if goal["met"] else "NOT MET"


def _goals(results: list[dict[str, Any]]) -> list[str]:
    verdicts = []
    for result in results:
        goals = get(result, "time_travel.goals")
        if not goals:
            continue
        name = NAMES.get(result["store"], result["store"])
        asof, rebuild = goals["asof_rankings_p95_ms"], goals["rebuild_events_per_s"]
        first = goals["first_rebuild_events_per_s"]
        verdicts.append(
            f"{name}: as-of ranking p95 {asof['value']:.1f} ms (< {asof['goal']:.0f}: {_met(asof)}); "
            f"rebuild {number(rebuild['value'])} events/s (> {number(rebuild['goal'])}: {_met(rebuild)}), "
            f"first rebuild {number(first['value'])} events/s ({_met(first)})"
            + (
                f", in partitions {number(goals['partitioned_rebuild_events_per_s']['value'])} events/s "
                f"({_met(goals['partitioned_rebuild_events_per_s'])})"
                if "partitioned_rebuild_events_per_s" in goals
                else ""
            )
        )
    legend = "latencies: p50, p95 [p5–max] n; rates and times: median [min–max] n; sizes: mean per answer."
    return [legend, *(f"goals — {verdict}" for verdict in verdicts)]
