"""Real processes for the many-process tests: API servers and a projection process on one store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.server import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "multi-process-test-secret-key-0123456789abcdef"


def environment(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "RURALEVAL_DATABASE_URL": database_url,
        "RURALEVAL_SECRET_KEY": SECRET,
        "RURALEVAL_PROJECTIONS": "external",
        "RURALEVAL_LOG_FORMAT": "json",
        "RURALEVAL_LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass
class Process:
    """One ``ruraleval`` process, restartable with the same arguments (and port)."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Process:
        log = self.log_path.open("ab")
        command = [sys.executable, "-m", "ruraleval.cli", *self.args]
        if self.port is not None:
            command += ["--port", str(self.port)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if self.port is not None:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.args} exited: {self.log()[-3000:]}")
                try:
                    if http.get("/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"{self.args} not ready: {self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""


def api(database_url: str, tmp: Path, name: str, *extra_args: str, **extra_env: str) -> Process:
    env = environment(database_url, RURALEVAL_WORKER_NAME=name, **extra_env)
    return Process(["serve", *extra_args], env, tmp / f"{name}.log", port=free_port())


def projector(database_url: str, tmp: Path, name: str = "projections") -> Process:
    env = environment(database_url, RURALEVAL_WORKER_NAME=name)
    return Process(["projections", "run"], env, tmp / f"{name}.log")


def wait_until(check: Any, timeout: float, interval: float = 0.05) -> float:
    """Seconds until ``check()`` is true; AssertionError after ``timeout``."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - began
