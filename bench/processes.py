"""``python -m bench --processes``: ``serve --workers 2`` beside a projection process, against
one process with its projection thread, on PostgreSQL, in one run (issue 14, ADR 28).

Each layout gets a fresh database, the same counties (``--counties``, API keys issued), then
``--clients`` threads submitting month after month (submissions/s), then the same number of
threads reading county scores for ``--seconds`` (reads/s), then both at once. One run each:
the ratio matters, the absolute figures depend on what else the machine does.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from bench import auth, http_load, scheme
from bench.progress import progress
from bench.server import HOST, ROOT, _stop, _wait_ready, free_port

ADMIN_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LAYOUTS = {"one process": (1, False), "2 workers + projection process": (2, True)}


@contextmanager
def database(name: str) -> Iterator[str]:
    with psycopg.connect(ADMIN_PG, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_PG, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def layout(url: str, workers: int, external: bool, workdir: Path) -> Iterator[tuple[str, list[int]]]:
    """The servers of one layout; yields the base URL and the pids to watch."""
    env = {**os.environ, "RURALEVAL_DATABASE_URL": url, "RURALEVAL_LOG_LEVEL": "WARNING",
           "RURALEVAL_SECRET_KEY": secrets.token_urlsafe(48),
           "RURALEVAL_PROJECTIONS": "external" if external else "thread"}  # fmt: skip
    port = free_port()
    started: list[subprocess.Popen[bytes]] = []
    log = (workdir / f"serve-{workers}.log").open("wb")
    try:
        serve = [sys.executable, "-m", "ruraleval.cli", "serve", "--host", HOST, "--port", str(port),
                 "--workers", str(workers)]  # fmt: skip
        started.append(subprocess.Popen(serve, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        base_url = f"http://{HOST}:{port}"
        _wait_ready(started[0], base_url, workdir / f"serve-{workers}.log")
        if external:
            run = [sys.executable, "-m", "ruraleval.cli", "projections", "run"]
            started.append(subprocess.Popen(run, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        yield base_url, [process.pid for process in started]
    finally:
        for process in reversed(started):
            _stop(process)
        log.close()


def reads(base_url: str, codes: list[str], token: str, clients: int, seconds: float) -> dict[str, Any]:
    counts = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def run(index: int) -> None:
        with http_load.client(base_url) as http:
            http.headers["Authorization"] = f"Bearer {token}"
            number = 0
            while time.monotonic() < stop:
                number += 1
                answer = http.get(f"/api/v1/counties/{codes[(index + number) % len(codes)]}/scores",
                                  params={"year": scheme.YEAR})  # fmt: skip
                if answer.status_code == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1

    threads = [threading.Thread(target=run, args=(index,)) for index in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {"reads_per_s": round(sum(counts) / elapsed, 1), "errors": sum(errors)}


def measure(name: str, counties: int, clients: int, seconds: float, months: int, workdir: Path) -> dict[str, Any]:
    workers, external = LAYOUTS[name]
    with database(f"ruraleval_processes_{workers}") as url:
        password = auth.bootstrap_admin(url)
        with layout(url, workers, external, workdir) as (base_url, _pids):
            codes = scheme.county_codes(counties)
            credentials, _ = http_load.set_up(base_url, codes, password)
            work = scheme.submissions(codes, list(range(1, months + 1)), seed=14)
            writes = http_load.submit_concurrently(base_url, http_load.split(work, codes, clients), credentials.keys)
            alone = reads(base_url, codes, credentials.token, clients, seconds)
            more = scheme.submissions(codes, list(range(months + 1, min(12, 2 * months) + 1)), seed=15)
            mixed_writes: list[http_load.LoadResult] = []
            writer = threading.Thread(target=lambda: mixed_writes.append(http_load.submit_concurrently(
                base_url, http_load.split(more, codes, clients), credentials.keys)))  # fmt: skip
            writer.start()
            beside = reads(base_url, codes, credentials.token, clients, seconds)
            writer.join()
    result = {
        "submissions_per_s": round(writes.rate, 1),
        "submission_statuses": dict(writes.statuses),
        "reads_per_s_alone": alone,
        "reads_per_s_beside_writes": beside,
        "submissions_per_s_beside_reads": round(mixed_writes[0].rate, 1) if mixed_writes else None,
    }
    progress(f"processes: {name}: {result}")
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench --processes")
    parser.add_argument("--processes", action="store_true")
    parser.add_argument("--counties", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="each read phase")
    parser.add_argument("--months", type=int, default=2, help="months of data submitted in the write phase")
    parser.add_argument("--output", default="bench-processes.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ruraleval-processes-") as workdir:
        results = {name: measure(name, args.counties, args.clients, args.seconds, args.months, Path(workdir))
                   for name in LAYOUTS}  # fmt: skip
    one, many = results["one process"], results["2 workers + projection process"]
    results["ratios"] = {
        "submissions": round(many["submissions_per_s"] / max(one["submissions_per_s"], 0.1), 2),
        "reads": round(many["reads_per_s_alone"]["reads_per_s"] / max(one["reads_per_s_alone"]["reads_per_s"], 0.1), 2),
    }
    Path(args.output).write_text(json.dumps(results, indent=2, ensure_ascii=False), "utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0
