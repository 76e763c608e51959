"""Many processes on one PostgreSQL (ADR 28): two API processes and a projection process.

Killed (SIGKILL) and restarted in turn under a light load of submissions through both API
processes to the same counties, they lose no acknowledged event, and the read models they
end with equal a rebuild from the log, row for row. A write through one process is read with
its position through the other; a revoked key stops working on the other process within the
organisation's refresh bound.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bench import auth, scheme
from bench.http_load import set_up
from projections.catalog import all_projections
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.multiprocess import Process, api, projector, wait_until

COUNTIES = 4
ORGANISATION_REFRESH_BOUND = 1.0 + 0.5  # OrganisationView.max_age, plus a request's own time
# Tables that note the log position of the batch that wrote each row: which rows, not the
# positions, since batches differ between a rebuild and the incremental run.
BATCH_POSITIONED = {"scorecard_changes": "county"}


def read_model_rows(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model, sorted (the tables the projections' rebuild clears)."""
    tables = sorted({s.split()[-1] for p in all_projections() for s in p.clear})
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with platform.reads.snapshot() as view:
        for table in tables:
            found = view.execute(f"SELECT {BATCH_POSITIONED.get(table, '*')} FROM {table}")
            rows[table] = sorted((tuple(sorted((k, repr(v)) for k, v in row.items())) for row in found), key=repr)
    return rows


def caught_up(server: Process) -> bool:
    projections = httpx.get(f"{server.base_url}/readyz", timeout=5).json()["projections"]
    return all(state["lag"] == 0 for state in projections.values())


class Load:
    """Submissions to the same counties through both API processes, from two threads each."""

    def __init__(self, servers: list[Process], keys: dict[str, str]) -> None:
        self.servers = servers
        self.keys = keys
        self.stop = threading.Event()
        self.acknowledged: list[tuple[int, str, str, str, str]] = []  # position, county, indicator, period, value
        self.failures = 0
        self._lock = threading.Lock()
        # every (county, indicator, month) once: a key submits, it does not correct
        self.work = iter([(code, indicator, month) for month in range(1, 13) for indicator in scheme.indicator_codes()
                          for code in keys])  # fmt: skip
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(4)]

    def _run(self, index: int) -> None:
        server = self.servers[index % len(self.servers)]
        while not self.stop.is_set():
            with self._lock:
                code, indicator, month = next(self.work)
            body = {"indicator": indicator, "period": f"2023-{month:02d}", "value": f"{month}.{index}"}
            try:
                with httpx.Client(base_url=server.base_url, timeout=5.0, trust_env=False) as http:
                    response = http.post(f"/api/v1/counties/{code}/submissions", json=body,
                                         headers={"X-API-Key": self.keys[code]})  # fmt: skip
            except httpx.TransportError:
                self.failures += 1
                time.sleep(0.05)
                continue
            if response.status_code == 201:
                with self._lock:
                    position = int(response.json()["position"])
                    self.acknowledged.append((position, code, indicator, body["period"], body["value"]))
            else:
                self.failures += 1
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)


def test_processes_killed_in_turn_lose_nothing_and_match_a_rebuild(postgres_url: str, tmp_path: Path) -> None:
    password = auth.bootstrap_admin(postgres_url)
    first = api(postgres_url, tmp_path, "api-1").start()
    second = api(postgres_url, tmp_path, "api-2").start()
    projection = projector(postgres_url, tmp_path).start()
    processes = [first, second, projection]
    try:
        credentials, _ = set_up(first.base_url, scheme.county_codes(COUNTIES), password)
        with Load([first, second], credentials.keys) as load:
            for victim in (projection, first, second):
                time.sleep(1.0)
                victim.kill()
                time.sleep(0.5)
                victim.start()
            time.sleep(1.0)
        assert len(load.acknowledged) > 40, f"too little load: {len(load.acknowledged)} ({load.failures} failed)"

        # A write through one process, read with its position through the other: the waiting
        # read learns of the projection process's progress (it polls the tracking rows).
        last = max(position for position, *_ in load.acknowledged)
        code = scheme.county_codes(1)[0]
        read = httpx.get(f"{second.base_url}/api/v1/counties/{code}/scores", params={"year": 2023},
                         headers={**credentials.bearer, "X-Log-Position": str(last)}, timeout=10)  # fmt: skip
        assert read.status_code == 200, read.text
        assert int(read.headers["X-Read-Position"]) >= last

        ready = httpx.get(f"{first.base_url}/readyz", timeout=5).json()
        assert set(ready["projections"]) == {p.name for p in all_projections()}
        assert ready["projected_by"] == "external"
        wait_until(lambda: caught_up(second), 10)
    finally:
        for process in processes:
            process.stop()

    # Every acknowledged submission is in the log, at the position it was acknowledged with.
    platform = Platform(parse_database_url(postgres_url), projections="external")
    try:
        events = dict(platform.ledger.read(0, 1_000_000))
        for position, _code, indicator, period, value in load.acknowledged:
            event = events.get(position)
            assert event is not None, f"acknowledged position {position} is not in the log"
            assert (event.indicator, event.period, event.value) == (indicator, period, Decimal(value))
        incremental = read_model_rows(platform)
        platform.projections.rebuild()
        assert read_model_rows(platform) == incremental
    finally:
        platform.close()
    logs = "".join(process.log() for process in processes)
    assert '"pid"' in logs and '"worker":"api-1"' in logs.replace(" ", "")
    assert "projection_lease_taken" in projection.log()


def test_a_revoked_key_stops_working_on_every_process_within_the_bound(postgres_url: str, tmp_path: Path) -> None:
    password = auth.bootstrap_admin(postgres_url)
    first = api(postgres_url, tmp_path, "api-1").start()
    second = api(postgres_url, tmp_path, "api-2").start()
    try:
        credentials, _ = set_up(first.base_url, scheme.county_codes(1), password)
        code = scheme.county_codes(1)[0]
        with httpx.Client(base_url=first.base_url, trust_env=False, timeout=5) as http:
            issued = http.post(f"/api/v1/counties/{code}/api-keys", json={"label": "撤销测试"},
                               headers=credentials.bearer).json()  # fmt: skip
        body = {"indicator": "1.1", "period": "2023-01", "value": "5"}

        def accepted_by_second() -> bool:
            answer = httpx.post(f"{second.base_url}/api/v1/counties/{code}/submissions", json=body,
                                headers={"X-API-Key": issued["key"]}, timeout=5)  # fmt: skip
            return answer.status_code == 201

        wait_until(accepted_by_second, ORGANISATION_REFRESH_BOUND)  # the grant reaches the other process
        revoked = httpx.post(f"{first.base_url}/api/v1/counties/{code}/api-keys/{issued['id']}/revoke",
                             json={"reason": "泄露"}, headers=credentials.bearer, timeout=5)  # fmt: skip
        assert revoked.status_code == 200, revoked.text
        took = wait_until(lambda: not accepted_by_second(), ORGANISATION_REFRESH_BOUND)
        assert took <= ORGANISATION_REFRESH_BOUND
    finally:
        first.stop()
        second.stop()


def test_serve_with_two_workers_reads_its_writes_through_a_projection_process(
    postgres_url: str, tmp_path: Path
) -> None:
    password = auth.bootstrap_admin(postgres_url)
    server = api(postgres_url, tmp_path, "api", "--workers", "2")
    projection = projector(postgres_url, tmp_path)
    try:
        server.start()
        projection.start()
        credentials, _ = set_up(server.base_url, scheme.county_codes(1), password)
        code = scheme.county_codes(1)[0]
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as http:
            for month in range(1, 7):  # each request may land on either worker
                written = http.post(f"/api/v1/counties/{code}/submissions",
                                    json={"indicator": "1.2", "period": f"2023-{month:02d}", "value": "80"},
                                    headers={"X-API-Key": credentials.keys[code]})  # fmt: skip
                assert written.status_code == 201, written.text
                position = written.headers["X-Log-Position"]
                read = http.get(f"/api/v1/counties/{code}/scores", params={"year": 2023},
                                headers={**credentials.bearer, "X-Log-Position": position})  # fmt: skip
                assert read.status_code == 200, read.text
                assert int(read.headers["X-Read-Position"]) >= int(position)
        pids = {line.split('"pid":')[1].split(",")[0] for line in server.log().splitlines() if '"pid":' in line}
        assert len(pids) >= 2, "two worker processes log under their own pids"
    finally:
        server.stop()
        projection.stop()
