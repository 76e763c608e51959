"""The ``ruraleval`` command: demo, projections, serve — as a newcomer runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def ruraleval(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"RURALEVAL_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ruraleval.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_demo_then_serve(store_url: str) -> None:
    loaded = ruraleval(store_url, "demo")
    assert loaded.returncode == 0, loaded.stderr
    assert "演示数据已载入" in loaded.stdout
    assert "demo-leader-2023" in loaded.stdout  # the demo users' passwords are printed
    again = ruraleval(store_url, "demo")
    assert again.returncode == 0 and "已存在" in again.stdout

    rebuilt = ruraleval(store_url, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    status = ruraleval(store_url, "projections", "status")
    assert "scores: position" in status.stdout and "lag 0" in status.stdout

    port = free_port()
    env = os.environ | {"RURALEVAL_DATABASE_URL": store_url, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "ruraleval.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        docs = httpx.get(f"{base}/docs", timeout=10)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert httpx.get(f"{base}/api/v1/rankings", params={"year": 2023}, timeout=10).status_code == 401
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "leader", "password": "demo-leader-2023"}, timeout=10
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        ranking = httpx.get(f"{base}/api/v1/rankings", params={"year": 2023}, headers=auth, timeout=10).json()
        assert len(ranking["counties"]) == 12
        assert set(ranking["regions"]) == {"east", "central", "west"}
        assert all(0 < entry["total"] <= 100 and entry["grade"] for entry in ranking["counties"])
        assert [entry["rank"] for entry in ranking["counties"]] == sorted(
            entry["rank"] for entry in ranking["counties"]
        )
        overridden = httpx.get(
            f"{base}/api/v1/counties/360781/scores", params={"year": 2023}, headers=auth, timeout=10
        ).json()
        assert any(node["overridden"] for node in overridden["nodes"])
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_bad_database_url_is_a_clear_error() -> None:
    result = ruraleval("mysql://nowhere/x", "projections", "status")
    assert result.returncode == 2
    assert "RURALEVAL_DATABASE_URL" in result.stderr
