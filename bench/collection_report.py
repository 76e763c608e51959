"""The collection part of the printed table: workbook imports and the warnings grid."""

from __future__ import annotations

from typing import Any

from bench.cells import Cell, get, grid, latency, median_spread, number, rate


def _files(part: dict[str, Any]) -> str:
    imports = get(part, "imports")
    if not imports:
        return "-"
    others = {k: v for k, v in imports["statuses"].items() if k != "201"}
    refused = ", ".join(f"{k}×{v}" for k, v in others.items()) or "none refused"
    return f"{imports['files_ok']:,} of {imports['files']:,} files, {imports['rows_ok']:,} rows ({refused})"


def _cpu(part: dict[str, Any]) -> str:
    rounds = get(part, "imports.rounds") or []
    if not rounds:
        return "-"
    server = [r["cpu_cores"]["server_cores"] for r in rounds]
    machine = [r["cpu_cores"]["machine_busy_cores"] for r in rounds]
    return f"server {sum(server) / len(server):.2f}, machine {sum(machine) / len(machine):.2f}"


def _grid(part: dict[str, Any]) -> str:
    figures = get(part, "grid")
    if not figures:
        return "-"
    if "skipped" in figures:
        return f"not measured: {figures['skipped']}"
    if "error" in figures:
        return f"ERROR: {figures['error']}"
    return (
        f"p50 {number(figures['p50_ms'], 1)}  p95 {number(figures['p95_ms'], 1)}  "
        f"[{number(figures['min_ms'], 1)}–{number(figures['max_ms'], 1)}] n={figures['samples']}"
    )


ROWS: list[tuple[str, Cell]] = [
    ("import rows/s, per round (month): median [min–max]", rate("imports.rows_per_s")),
    ("files imported", _files),
    ("per-file import latency ms (22 rows)", latency("imports.file_latency_ms")),
    ("CPU during imports, cores (of 2), mean of rounds", _cpu),
    ("template download latency ms", median_spread("template_ms", 1)),
    ("warnings grid latency ms", _grid),
    ("section run time, s", lambda part: str(part.get("seconds", "-"))),
]


def section(config: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    header = (
        f"Collection — {config['counties']} counties × {config['indicators']} monthly indicators: "
        f"one workbook per county per month, {config['collection_months']} months (rounds), "
        f"{config['collection_clients']} concurrent uploaders, each county with its own API key"
    )
    lines = [header, "", *grid(results, ROWS, lambda result: result.get("collection"))]
    lines.append("rates: median [min–max] over rounds; latencies: p50, p95 [p5–max]; times: median [p5–p95].")
    return lines
