"""The request-path part of the printed table, and the main section's server profile row."""

from __future__ import annotations

from typing import Any

from bench.cells import Cell, deployment, get, grid, number, projector

PROFILE_BUCKETS = 8
PROFILE_TOP = 4


def _spread(s: dict[str, Any] | None, digits: int = 0, unit: str = "") -> str:
    if not s or not s.get("n"):
        return "-"
    return (
        f"{number(s['median'], digits)}{unit} [{number(s['min'], digits)}–{number(s['max'], digits)}]"
        if s["n"] > 1
        else f"{number(s['median'], digits)}{unit}"
    )


def _phase(name: str) -> Cell:
    """Rate and latency percentiles: median over rounds [min–max]."""

    def cell(part: dict[str, Any]) -> str:
        figures = get(part, name)
        if not figures:
            return "-"
        return (
            f"{_spread(figures['rate_per_s'])}/s; p50 {_spread(figures['p50_ms'], 1)}  "
            f"p95 {_spread(figures['p95_ms'], 1)}  p99 {_spread(figures['p99_ms'], 1)} ms"
        )

    return cell


def _ratio(name: str, goal: str) -> Cell:
    def cell(part: dict[str, Any]) -> str:
        s, target = get(part, name), get(part, f"goals.{goal}")
        if not s or not s.get("n"):
            return "-"
        verdict = "meets" if s["median"] >= target else "below"
        return f"{_spread(s, 2)} ({verdict} goal ≥ {target})"

    return cell


def _p99_goal(part: dict[str, Any]) -> str:
    s, target = get(part, "mixed.p99_ms"), get(part, "goals.mixed_p99_ms")
    if not s or not s.get("n"):
        return "-"
    verdict = "meets" if s["median"] <= target else "above"
    return f"{_spread(s, 1)} ms ({verdict} goal ≤ {target:.0f} ms)"


def _cpu(name: str) -> Cell:
    def cell(part: dict[str, Any]) -> str:
        c = get(part, f"{name}.cpu_cores")
        if not c:
            return "-"
        return (
            f"server {c['server_cores']:.2f}{projector(c)}, client {c['bench_client_cores']:.2f}, "
            f"postgres {c['postgres_cores']:.2f}, other {c['other_processes_cores']:.2f}"
        )

    return cell


def _problems(part: dict[str, Any]) -> str:
    rounds = part.get("rounds") or []
    bad: dict[str, int] = {}
    for r in rounds:
        for phase in ("healthz", "alone", "mixed", "mixed_writes"):
            for status, count in r[phase]["statuses"].items():
                if status not in ("200", "201"):
                    bad[f"{phase}:{status}"] = bad.get(f"{phase}:{status}", 0) + count
    logged = {k: v for k, v in (part.get("server_log") or {}).items() if v}
    text = ", ".join(f"{k}×{v}" for k, v in bad.items()) or "none"
    return text + ("; server log: " + ", ".join(f"{k} {v}" for k, v in logged.items()) if logged else "")


def _writes(part: dict[str, Any]) -> str:
    w = get(part, "mixed_writes")
    counts = part.get("writer_requests") or {}
    if not w:
        return "-"
    return (
        f"{_spread(w['rate_per_s'])}/s, p99 {_spread(w['p99_ms'], 0)} ms "
        f"({counts.get('new values', 0):,} new values, {counts.get('corrections', 0):,} corrections sent)"
    )


def _catch_up(part: dict[str, Any]) -> str:
    rounds = part.get("rounds") or []
    return ", ".join(f"{r['catch_up_after_s']:.2f}" for r in rounds) or "-"


def _load(part: dict[str, Any]) -> str:
    rounds = part.get("rounds") or []
    return ", ".join("/".join(f"{v:.1f}" for v in r["load_average_before"]) for r in rounds) or "-"


ROWS: list[tuple[str, Cell]] = [
    ("server deployment", lambda part: deployment(get(part, "workload.projections"))),
    ("GET /healthz, N readers", _phase("healthz")),
    ("GET scores (one county), N readers alone", _phase("alone")),
    ("GET scores, N readers beside M writers", _phase("mixed")),
    ("  writes/s beside them (POST submissions)", _writes),
    ("R1 reads with writers ÷ alone, per round", _ratio("mixed_over_alone", "mixed_over_alone")),
    ("R1 p99 read latency with writers, per round", _p99_goal),
    ("R2 scores ÷ healthz, per round", _ratio("scores_over_healthz", "scores_over_healthz")),
    ("CPU cores alone (median of rounds)", _cpu("alone")),
    ("CPU cores with writers (median of rounds)", _cpu("mixed")),
    ("CPU cores healthz (median of rounds)", _cpu("healthz")),
    ("read-model catch-up after the mixed phase, s", _catch_up),
    ("load average 1/5/15 min before each round", _load),
    ("non-2xx, server log", _problems),
    ("section run time, s", lambda part: str(part.get("seconds", "-"))),
]


def section(config: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    workload: dict[str, Any] = next(
        (r["request_path"]["workload"] for r in results if "workload" in r.get("request_path", {})), {}
    )
    header = (
        f"Request path (issue 10) — one county's scores read by {config['rp_readers']} clients, alone, beside "
        f"{config['rp_writers']} clients submitting to {workload.get('counties', '?')} - 1 other counties, and "
        f"/healthz by as many; {config['rounds']} rounds of {config['rp_seconds']} s phases "
        f"(+{config['rp_warmup']} s warm-up); lean keep-alive clients (bench.lean_http)"
    )
    lines = [header, "", *grid(results, ROWS, lambda result: result.get("request_path"))]
    lines.append("figures: median over rounds [min–max]; latencies are each round's percentiles of its requests.")
    return lines


def server_profile(result: dict[str, Any]) -> str:
    """The main section's profiled load: the server's CPU by bucket, largest first."""
    profile = get(result, "server_profile")
    if not profile:
        return "-"
    if "error" in profile:
        return f"ERROR: {profile['error']}"
    buckets = list(profile["buckets"].items())[:PROFILE_BUCKETS]
    return (
        ", ".join(f"{name.split(' (')[0]} {100 * b['share']:.0f}%" for name, b in buckets)
        + f" (of {profile['cpu_seconds']:.1f} CPU s, {profile['ok']:,} submissions)"
    )


def profile_threads(result: dict[str, Any]) -> str:
    profile = get(result, "server_profile")
    if not profile or "error" in profile:
        return "-"
    return ", ".join(f"{name} {100 * t['share']:.0f}%" for name, t in list(profile["threads"].items())[:5])


def profile_top(result: dict[str, Any]) -> str:
    profile = get(result, "server_profile")
    if not profile or "error" in profile:
        return "-"
    top = list(profile["top_self"].items())[:PROFILE_TOP]
    return ", ".join(f"{name.rsplit('/', 1)[-1][:48]} {100 * t['share']:.0f}%" for name, t in top)
