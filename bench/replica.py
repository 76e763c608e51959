"""A local PostgreSQL streaming replica of the machine's cluster, for tests and the bench (ADR 28).

``python -m bench.replica start [--port 5433]`` prints the replica's base URL; ``stop DIR``
removes it. What it needs of the primary (a PostgreSQL 15 at 127.0.0.1:5432):

- ``wal_level`` ``replica`` or ``logical`` and ``max_wal_senders`` > 0 (the defaults): changing
  them needs a restart, which this script never does; it refuses instead.
- a ``pg_hba.conf`` line that lets 127.0.0.1 open a *replication* connection (``all`` does not
  cover replication). If none does, it appends one line marked ``# ruraleval replica`` and
  reloads the configuration (``pg_reload_conf()``: no restart, running sessions untouched).
  ``python -m bench.replica undo-hba`` removes that line and reloads again.

The replica is ``pg_basebackup -R`` of the whole cluster into a temporary directory, run by
the ``postgres`` user on its own port and socket directory, in hot standby: it follows every
database of the primary, including ones created later.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.server import free_port

PRIMARY = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
MARK = "# ruraleval replica"
HBA_LINE = f"host replication all 127.0.0.1/32 trust {MARK}"


@dataclass(frozen=True)
class Replica:
    directory: Path
    port: int

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(**PRIMARY, dbname="postgres", autocommit=True, connect_timeout=3)  # type: ignore[arg-type]


def _bin(name: str) -> str:
    with _admin() as connection:
        major = str(connection.info.server_version // 10000)
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    return str(candidate) if candidate.exists() else name


def check_primary() -> None:
    """Refuses, with the reason, what only a restart of the primary could change."""
    with _admin() as connection:
        wal_level = connection.execute("SHOW wal_level").fetchone()
        senders = connection.execute("SHOW max_wal_senders").fetchone()
    if wal_level is None or wal_level[0] not in ("replica", "logical"):
        raise RuntimeError(f"wal_level is {wal_level}: set it to replica and restart PostgreSQL (not done here)")
    if senders is None or int(senders[0]) < 2:
        raise RuntimeError(f"max_wal_senders is {senders}: raise it and restart PostgreSQL (not done here)")


def ensure_replication_allowed() -> bool:
    """Adds the hba line if no rule lets 127.0.0.1 replicate; True if it changed anything."""
    with _admin() as connection:
        rules = connection.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND error IS NULL"
        ).fetchone()
        if rules and rules[0] > 0:
            return False
        row = connection.execute("SHOW hba_file").fetchone()
        assert row is not None
        hba = Path(row[0])
        with hba.open("a", encoding="utf-8") as file:
            file.write(f"\n{HBA_LINE}\n")
        connection.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the postmaster reloads asynchronously
    return True


def undo_hba() -> None:
    with _admin() as connection:
        row = connection.execute("SHOW hba_file").fetchone()
        assert row is not None
        hba = Path(row[0])
        kept = [line for line in hba.read_text("utf-8").splitlines() if MARK not in line]
        hba.write_text("\n".join(kept).rstrip("\n") + "\n", "utf-8")
        connection.execute("SELECT pg_reload_conf()")


def _as_postgres(command: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + command, check=True, capture_output=True, timeout=120)


def start(port: int | None = None) -> Replica:
    check_primary()
    ensure_replication_allowed()
    port = port or free_port()
    directory = Path(tempfile.mkdtemp(prefix="ruraleval-replica-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    directory.chmod(0o700)
    data = directory / "data"
    _as_postgres([_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                  "-D", str(data), "-X", "stream", "-R", "-c", "fast"])  # fmt: skip
    (data / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{directory}'\n"
        "hot_standby = on\nmax_connections = 100\nshared_buffers = 32MB\n"
        "max_standby_streaming_delay = 5s\nwal_receiver_status_interval = 1s\nhot_standby_feedback = on\n",
        "utf-8",
    )
    (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n", "utf-8")
    if os.geteuid() == 0:
        for path in (data / "postgresql.conf", data / "pg_hba.conf"):
            shutil.chown(path, "postgres", "postgres")
    _as_postgres([_bin("pg_ctl"), "-D", str(data), "-l", str(directory / "replica.log"), "-w", "-t", "60", "start"])
    replica = Replica(directory, port)
    _wait_streaming(replica)
    return replica


def _wait_streaming(replica: Replica, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(replica.url("postgres"), connect_timeout=2) as connection:
                row = connection.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
                if row is not None and row[0] == "streaming":
                    return
        except psycopg.OperationalError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the replica at port {replica.port} is not streaming after {timeout:.0f} s")


def stop(replica: Replica) -> None:
    data = replica.directory / "data"
    if (data / "postmaster.pid").exists():
        _as_postgres([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    shutil.rmtree(replica.directory, ignore_errors=True)


def pause(replica: Replica) -> None:
    """Stops the replica's replay (``pg_wal_replay_pause``): it answers, but falls behind."""
    with psycopg.connect(replica.url("postgres"), autocommit=True) as connection:
        connection.execute("SELECT pg_wal_replay_pause()")


def resume(replica: Replica) -> None:
    with psycopg.connect(replica.url("postgres"), autocommit=True) as connection:
        connection.execute("SELECT pg_wal_replay_resume()")


@contextmanager
def running(port: int | None = None) -> Iterator[Replica]:
    replica = start(port)
    try:
        yield replica
    finally:
        stop(replica)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replica")
    commands = parser.add_subparsers(dest="command", required=True)
    started = commands.add_parser("start", help="create and start a streaming replica")
    started.add_argument("--port", type=int)
    stopped = commands.add_parser("stop", help="stop and remove a replica")
    stopped.add_argument("directory")
    stopped.add_argument("--port", type=int, default=0)
    commands.add_parser("undo-hba", help="remove the replication line this script added to pg_hba.conf")
    args = parser.parse_args(argv)
    if args.command == "start":
        replica = start(args.port)
        print(f"replica streaming: {replica.url('<dbname>')} (data in {replica.directory})")
    elif args.command == "stop":
        stop(Replica(Path(args.directory), args.port))
    else:
        undo_hba()
    return 0


if __name__ == "__main__":
    sys.exit(main())
