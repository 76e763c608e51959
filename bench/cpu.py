"""CPU time of the bench process, the server, PostgreSQL and the whole machine (Linux /proc)."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class CpuSample:
    wall: float
    client: float
    server: float
    projector: float  # the projection process beside the server (ADR 28), 0 without one
    postgres: dict[int, float]  # CPU seconds of each PostgreSQL process
    machine_busy: float
    machine_total: float


def _process_seconds(pid: int) -> float:
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _postgres_seconds() -> dict[int, float]:
    seconds: dict[int, float] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip().startswith("postgres"):
                seconds[int(entry.name)] = _process_seconds(int(entry.name))
        except OSError:
            continue
    return seconds


def _postgres_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between the samples by the processes alive at the second one.

    A backend that exits in between takes its time with it: summing totals instead
    would go negative when a busy backend of an earlier phase ends during this one.
    """
    return sum(max(seconds - before.get(pid, 0.0), 0.0) for pid, seconds in after.items())


def _machine() -> tuple[float, float]:
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / TICK, total / TICK


def sample(server_pid: int | None, projector_pid: int | None = None) -> CpuSample:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    busy, total = _machine()
    return CpuSample(
        wall=time.perf_counter(),
        client=usage.ru_utime + usage.ru_stime,
        server=_process_seconds(server_pid) if server_pid else 0.0,
        projector=_process_seconds(projector_pid) if projector_pid else 0.0,
        postgres=_postgres_seconds(),
        machine_busy=busy,
        machine_total=total,
    )


def usage(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU use between two samples, in cores (1.0 = one core busy the whole time)."""
    wall = max(after.wall - before.wall, 1e-9)
    machine_total = max(after.machine_total - before.machine_total, 1e-9)
    cores = os.cpu_count() or 1
    client = (after.client - before.client) / wall
    server = (after.server - before.server) / wall
    projector = (after.projector - before.projector) / wall
    postgres = _postgres_delta(before.postgres, after.postgres) / wall
    machine = cores * (after.machine_busy - before.machine_busy) / machine_total
    return {
        "bench_client_cores": round(client, 3),
        "server_cores": round(server, 3),
        "projection_process_cores": round(projector, 3),
        "postgres_cores": round(postgres, 3),
        "machine_busy_cores": round(machine, 3),
        "other_processes_cores": round(max(machine - client - server - projector - postgres, 0.0), 3),
    }


def idle_check(seconds: float = 1.0) -> dict[str, float]:
    """How busy the machine is with other work before the run starts."""
    before = sample(None)
    time.sleep(seconds)
    return usage(before, sample(None))
