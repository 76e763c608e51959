"""The real service in a subprocess (``ruraleval serve``) on 127.0.0.1 and a free port.

``projections="external"`` starts the production pair of ADR 28 instead: the API process with
``RURALEVAL_PROJECTIONS=external`` (it follows the read models by polling the tracking rows)
and a ``ruraleval projections run`` process beside it, which holds the projection lease and
keeps every read model. Both are stopped afterwards, the projection process first.

The server logs JSON lines as in production (``RURALEVAL_LOG_FORMAT=json`` unless the bench's
environment says otherwise).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import profiler

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


PROJECTIONS = ("thread", "external")
LEASE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int  # the API process
    log_path: Path
    projection_pid: int | None = None  # the projection process of the external layout
    projections: str = "thread"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(
    database_url: str,
    workdir: Path,
    log_level: str,
    profile_dir: Path | None = None,
    projections: str = "thread",
) -> Iterator[Server]:
    """Starts the server, waits until it answers, and always stops it afterwards.

    With ``profile_dir``, the server runs under ``bench.profiler`` (cProfile), which profiles it in the
    windows the bench opens (``profiler.start_window`` / ``stop_window``). With ``projections="external"``,
    a projection process runs beside it (see the module's docstring); it starts once the API process
    has created the schema and tracking rows, and the server is handed over once it holds the lease.
    """
    if projections not in PROJECTIONS:
        raise ValueError(f"projections: {projections!r}; use one of {PROJECTIONS}")
    port = free_port()
    log_path = workdir / "server.log"
    env = {
        **os.environ,
        "RURALEVAL_DATABASE_URL": database_url,
        "RURALEVAL_LOG_LEVEL": log_level,
        "RURALEVAL_SECRET_KEY": secrets.token_urlsafe(48),
        "RURALEVAL_PROJECTIONS": projections,
        # Production's log lines (JSON rendered by orjson, ~7 µs a line), not the developer's console
        # renderer (it took ~11 % of the server's CPU per submission at INFO, one line a request).
        "RURALEVAL_LOG_FORMAT": os.environ.get("RURALEVAL_LOG_FORMAT", "json"),
    }
    module = "ruraleval.cli"
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        env[profiler.ENV] = str(profile_dir)
        module = "bench.profiler"
    command = [sys.executable, "-m", module, "serve", "--host", HOST, "--port", str(port)]
    started: list[subprocess.Popen[bytes]] = []
    with log_path.open("wb") as log_file:
        try:
            started.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT))
            base_url = f"http://{HOST}:{port}"
            _wait_ready(started[0], base_url, log_path)
            projection_pid = None
            if projections == "external":
                run = [sys.executable, "-m", "ruraleval.cli", "projections", "run"]
                projector = subprocess.Popen(
                    run, cwd=ROOT, env={**env, "RURALEVAL_LOG_LEVEL": "INFO"}, stdout=log_file,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
                started.append(projector)
                _wait_lease(projector, log_path)
                projection_pid = projector.pid
            yield Server(base_url, started[0].pid, log_path, projection_pid, projections)
        finally:
            for process in reversed(started):
                _stop(process)


def _wait_lease(process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Until the projection process logs that it holds the projection lease."""
    deadline = time.monotonic() + LEASE_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the projection process exited with {process.returncode}:\n{_tail(log_path)}")
        if "projection_lease_taken" in log_path.read_text("utf-8", errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the projection process took no lease in {LEASE_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"the server did not become ready in {START_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def log_counts(path: Path, names: tuple[str, ...]) -> dict[str, int]:
    """How many lines of the server log mention each event name."""
    counts = dict.fromkeys(names, 0)
    with path.open("r", encoding="utf-8", errors="replace") as log:
        for line in log:
            for name in names:
                if name in line:
                    counts[name] += 1
    return counts
