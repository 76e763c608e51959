"""The collection section: monthly workbooks imported over HTTP, then the warnings grid.

On a fresh database of its own: the bench scheme (22 monthly indicators), ``counties``
counties enrolled with their API keys. For each of ``collection_months`` months, every
county's template is downloaded, filled in by the bench (outside the clock) and uploaded
by ``collection_clients`` concurrent clients, each county with its own key: one round per
month, 22 rows per file. Rows/s per round and per-file latency are reported; then, if
``bench/grid.py`` is present, the latency of the warnings grid over those counties.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import openpyxl

from bench import auth, cpu, http_load, scheme
from bench.config import BenchConfig
from bench.http_load import client
from bench.progress import progress
from bench.server import log_counts, serve
from bench.stats import Summary
from bench.stores import provision
from bench.together import run_together

LOG_EVENTS = ("command_failed", "command_refused", "projection_failed", "Traceback")
Files = list[tuple[str, bytes]]  # (county code, workbook)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def run(config: BenchConfig, kind: str) -> dict[str, Any]:
    began = time.perf_counter()
    codes = scheme.county_codes(config.counties)
    result: dict[str, Any] = {
        "workload": {
            "counties": len(codes),
            "indicators": config.indicators,
            "months": config.collection_months,
            "clients": config.collection_clients,
            "rows_per_file": config.indicators,
        }
    }
    with provision(kind, config.pg_host, config.pg_port) as target:
        result["database"] = dict(target.details)
        password = auth.bootstrap_admin(target.url)
        with serve(target.url, target.workdir, config.server_log_level) as server:
            progress(f"{kind}: collection: server pid {server.pid}; enrolling {len(codes)} counties")
            credentials, enrol_seconds = http_load.set_up(server.base_url, codes, password)
            result["setup_seconds"] = round(enrol_seconds, 1)
            rounds, templates = [], []
            for month in range(1, config.collection_months + 1):
                files, template_seconds = _prepare(server.base_url, codes, month, credentials, config.seed + month)
                templates += template_seconds
                before = cpu.sample(server.pid)
                load = _import_concurrently(server.base_url, files, credentials.keys, config.collection_clients)
                load["cpu_cores"] = cpu.usage(before, cpu.sample(server.pid))
                rounds.append(load)
                progress(
                    f"{kind}: collection: month {month}: {load['rows_ok']:,} rows in {load['files_ok']}/{len(files)} "
                    f"files, {load['seconds']:.1f} s, {load['rows_per_s']:,.0f} rows/s"
                )
            result.update(_imports_json(rounds, templates))
            result["grid"] = _grid(server.base_url, credentials, config.grid_samples)
        result["server_log"] = log_counts(server.log_path, LOG_EVENTS)
    result["seconds"] = round(time.perf_counter() - began, 1)
    progress(f"{kind}: collection done in {result['seconds']} s")
    return result


def _prepare(
    base_url: str, codes: list[str], month: int, credentials: auth.Credentials, seed: int
) -> tuple[Files, list[float]]:
    """Every county's template for the month, downloaded (timed) and filled in (not timed)."""
    rng = random.Random(seed)
    files: Files = []
    latencies: list[float] = []
    with client(base_url) as http:
        for code in codes:
            began = time.perf_counter()
            response = http.get(
                f"/api/v1/counties/{code}/template.xlsx",
                params={"period": scheme.period(month)},
                headers={"X-API-Key": credentials.keys[code]},
            )
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"template for {code}: {response.status_code} {response.text[:300]}")
            files.append((code, _filled(response.content, rng)))
    return files, latencies


def _filled(template: bytes, rng: random.Random) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["数据报送"]
    headers = [cell.value for cell in sheet[1]]
    code_column, value_column = headers.index("指标编号") + 1, headers.index("数值") + 1
    for number in range(2, sheet.max_row + 1):
        sheet.cell(number, value_column, float(scheme.value(rng, str(sheet.cell(number, code_column).value))))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import_concurrently(base_url: str, files: Files, keys: dict[str, str], clients: int) -> dict[str, Any]:
    """Each client uploads its share of the files one after another, each county with its own key."""
    shares = [files[index::clients] for index in range(min(clients, len(files)))]
    latencies: list[list[float]] = [[] for _ in shares]

    def worker(index: int, ready: Callable[[], object], counts: Counter[str]) -> None:
        with client(base_url) as http:
            ready()
            for code, content in shares[index]:
                began = time.perf_counter()
                try:
                    response = http.post(
                        f"/api/v1/counties/{code}/imports",
                        files={"file": (f"{code}.xlsx", content, XLSX)},
                        headers={"X-API-Key": keys[code]},
                    )
                    status = str(response.status_code)
                    if response.status_code == 201:
                        counts["rows"] += response.json()["summary"]["submitted"]
                except httpx.TransportError as error:
                    status = f"transport:{type(error).__name__}"
                latencies[index].append(time.perf_counter() - began)
                counts[f"status:{status}"] += 1

    seconds, counts = run_together(len(shares), worker, "bench-import")
    rows = counts.pop("rows", 0)
    statuses = {key.removeprefix("status:"): value for key, value in counts.items()}
    return {
        "files": len(files),
        "files_ok": statuses.get("201", 0),
        "rows_ok": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds if seconds > 0 else 0.0,
        "statuses": statuses,
        "latencies": [value for values in latencies for value in values],
    }


def _imports_json(rounds: list[dict[str, Any]], templates: list[float]) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    for load in rounds:
        statuses.update(load["statuses"])
    latencies = [value for load in rounds for value in load["latencies"]]
    return {
        "imports": {
            "files": sum(load["files"] for load in rounds),
            "files_ok": sum(load["files_ok"] for load in rounds),
            "rows_ok": sum(load["rows_ok"] for load in rounds),
            "statuses": dict(statuses),
            "rows_per_s": Summary.of([load["rows_per_s"] for load in rounds]).to_json(),
            "file_latency_ms": Summary.of(latencies).scaled(1000).to_json(),
            "rounds": [
                {
                    "files_ok": load["files_ok"],
                    "rows_ok": load["rows_ok"],
                    "seconds": round(load["seconds"], 2),
                    "rows_per_s": round(load["rows_per_s"], 1),
                    "cpu_cores": load["cpu_cores"],
                }
                for load in rounds
            ],
        },
        "template_ms": Summary.of(templates).scaled(1000).to_json(),
    }


def _grid(base_url: str, credentials: auth.Credentials, samples: int) -> dict[str, Any]:
    """The warnings grid's latency, through bench/grid.py when that module is there."""
    if importlib.util.find_spec("bench.grid") is None:
        return {"skipped": "bench/grid.py is not present"}
    grid = importlib.import_module("bench.grid")
    with client(base_url) as http:
        figures: dict[str, Any] = grid.measure_grid(http, credentials.bearer, scheme.YEAR, samples)
    progress(f"warnings grid: p50 {figures.get('p50_ms')} ms, p95 {figures.get('p95_ms')} ms")
    return figures
