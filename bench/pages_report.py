"""The pages part of the printed table: server time per page, and the slider's steps."""

from __future__ import annotations

from typing import Any

from bench.cells import NAMES, get, number


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), "-+-".join("-" * w for w in widths)]
    return lines + [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]


def _pages(name: str, part: dict[str, Any]) -> list[str]:
    figures = part.get("pages") or {}
    if "error" in figures:
        return [f"{name}: ERROR: {figures['error']}"]
    goal = figures.get("goal_p95_ms", 150.0)
    body = [
        [page["url"], page["user"], ", ".join(f"{k}×{v}" for k, v in page["statuses"].items()),
         number(page["ms"]["median"], 1), number(page["ms"]["p95"], 1), number(page["ms"]["max"], 1),
         "(download)" if page.get("download") else "yes" if page["meets_goal"] else "NO"]
        for page in figures.get("pages", [])
    ]  # fmt: skip
    lines = [f"{name}: server time per page (in-process, the demo), ms — goal p95 ≤ {number(goal)} ms", ""]
    lines += _table(["page", "user", "statuses", "p50", "p95", "max", "meets goal"], body)
    lines += [f"not measured: {skip['path']} ({skip['why']})" for skip in figures.get("skipped", [])]
    return lines


def _slider(name: str, part: dict[str, Any]) -> list[str]:
    figures = part.get("slider") or {}
    if not figures:
        return []
    if "error" in figures:
        return [f"{name}: slider ERROR: {figures['error']}"]
    body = [
        [step["month"], str(step["counties"]), str(step["ranks_moved"]), number(step["ms"]["median"], 1),
         number(step["ms"]["p95"], 1), number(step["ms"]["max"], 1)]
        for step in figures["steps"]
    ]  # fmt: skip
    every = figures["step_ms"]
    return [
        f"{name}: the ranking slider, month by month: {figures['counties']} counties, {figures['commands']:,} commands "
        f"(loaded in {figures['load_seconds']} s, read models in {figures['catch_up_seconds']} s); "
        f"{figures['reads_per_step']} reads per step through {figures['read']}",
        "",
        *_table(["as of end of", "counties", "ranks moved", "p50 ms", "p95 ms", "max ms"], body),
        f"every step: p50 {number(every['median'], 1)} ms, p95 {number(every['p95'], 1)} ms, n={every['n']}",
    ]


def section(config: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"Pages — {config['page_requests']} timed requests per page after {config['page_warmup']} untimed; "
        f"the slider over {config['slider_counties']} counties",
    ]
    for result in results:
        name = NAMES.get(result["store"], result["store"])
        part = result.get("pages")
        if "error" in result or not part:
            lines += ["", f"{name}: ERROR: {result.get('error') or 'no result'}"]
            continue
        if "error" in part:
            lines += ["", f"{name}: ERROR: {part['error']}"]
            continue
        lines += ["", *_pages(name, part), "", *_slider(name, part)]
        lines.append(f"{name}: section run time {get(part, 'seconds')} s")
    return lines
