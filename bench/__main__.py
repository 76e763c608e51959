"""``python -m bench``: runs every store in turn, prints the table, writes the JSON."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import cpu
from bench.config import BenchConfig, parse_args
from bench.progress import progress
from bench.report import table, write_json
from bench.run import run_store
from ruraleval.logs import configure_logging

# recorded in the result, not raised
SECTIONS_WITH_ERRORS = ("time_travel", "collection", "request_path", "pages", "reports")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "eventsourcing": version("eventsourcing"),
        "fastapi": version("fastapi"),
        "uvicorn": version("uvicorn"),
        "httpx": version("httpx"),
        "psycopg": version("psycopg"),
        "sqlite": sqlite3.sqlite_version,
    }


def run(config: BenchConfig) -> dict[str, Any]:
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    busy = cpu.idle_check()
    progress(f"machine busy before start: {busy['machine_busy_cores']:.2f} cores")
    began = time.perf_counter()
    results: list[dict[str, Any]] = []
    for kind in config.stores:
        try:
            results.append(run_store(config, kind))
        except Exception as error:
            traceback.print_exc()
            progress(f"{kind}: FAILED: {type(error).__name__}: {error}")
            results.append({"store": kind, "error": f"{type(error).__name__}: {error}"})
    return {
        "started_at": started_at,
        "seconds": round(time.perf_counter() - began, 1),
        "config": config.to_json(),
        "machine": {**machine(), "busy_before_start": busy},
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if "--national" in arguments:  # issue 14: a national-size run, its own options
        from bench import national

        configure_logging("WARNING")
        return national.main(arguments)
    if "--processes" in arguments:  # issue 14: --workers 2 + a projection process against one process
        from bench import processes

        configure_logging("WARNING")
        return processes.main(arguments)
    config = parse_args(argv)
    configure_logging("WARNING")  # the in-process ledger of the aggregate load logs every command at INFO
    progress(f"sections {', '.join(config.sections)} on {', '.join(config.stores)}")
    document = run(config)
    print(table(document), flush=True)
    output = Path(config.output)
    write_json(document, output)
    print(f"JSON written to {output}")
    failed = any(
        "error" in result or any("error" in result.get(name, {}) for name in SECTIONS_WITH_ERRORS)
        for result in document["results"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
