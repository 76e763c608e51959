"""Table cells: how one figure of a store's result is printed, and the table itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Cell = Callable[[dict[str, Any]], str]
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def get(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def rate(path: str, digits: int = 0) -> Cell:
    """Median [min–max] of repeated rounds."""

    def cell(result: dict[str, Any]) -> str:
        s = get(result, path)
        if not s:
            return "-"
        return f"{number(s['median'], digits)} [{number(s['min'], digits)}–{number(s['max'], digits)}] n={s['n']}"

    return cell


def latency(path: str, digits: int = 1) -> Cell:
    """p50 and p95 of the samples, with the p5–max range."""

    def cell(result: dict[str, Any]) -> str:
        s = get(result, path)
        if not s:
            return "-"
        return (
            f"p50 {number(s['median'], digits)}  p95 {number(s['p95'], digits)}  "
            f"[{number(s['p5'], digits)}–{number(s['max'], digits)}] n={s['n']}"
        )

    return cell


def median_spread(path: str, digits: int = 2) -> Cell:
    """Median [p5–p95] of the samples."""

    def cell(result: dict[str, Any]) -> str:
        s = get(result, path)
        if not s:
            return "-"
        return (
            f"{number(s['median'], digits)} [{number(s['p5'], digits)}–{number(s['p95'], digits)}] "
            f"(min {number(s['min'], digits)}, max {number(s['max'], digits)}) n={s['n']}"
        )

    return cell


def grid(
    results: list[dict[str, Any]], rows: list[tuple[str, Cell]], section: Callable[[dict[str, Any]], Any]
) -> list[str]:
    """One column per store; ``section`` picks the part of a store's result the cells read."""
    header = ["", *[NAMES.get(r["store"], r["store"]) for r in results]]
    body = []
    for label, cell in rows:
        cells = []
        for result in results:
            part = section(result)
            if "error" in result or (isinstance(part, dict) and "error" in part):
                cells.append("ERROR: " + (result.get("error") or part["error"]))
            else:
                cells.append(cell(part or {}))
        body.append([label, *cells])
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    rule = "-+-".join("-" * w for w in widths)
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), rule]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return lines


def projector(cores: dict[str, Any]) -> str:
    """The projection process's share beside the server's, when one ran (ADR 28's pair)."""
    value = cores.get("projection_process_cores", 0.0)
    return f" + projection process {value:.2f}" if value else ""


def deployment(projections: str | None) -> str:
    if projections == "external":
        return "API process (RURALEVAL_PROJECTIONS=external) + `ruraleval projections run` process (ADR 28)"
    return "one process, projections in its own thread" if projections else "-"
