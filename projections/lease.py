"""The projection lease: at most one process applies the log to the read models at a time.

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) held on a connection of its
own for as long as the process keeps the read models. The server releases it when that
connection ends, so a killed projection process frees it at once (a TCP peer that vanishes
without a FIN frees it when the server notices: ``tcp_keepalives_*``). SQLite: an exclusive
``flock`` on a file beside the database, released by the kernel when the process dies;
it holds between processes of one machine, which is all a SQLite file can serve.

The lease is an efficiency and clarity measure, not the only guard: the runner already
locks the tracking rows in each batch's transaction, so two runners never apply the same
events twice even without it (they would only queue behind each other).
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from typing import Any

# An arbitrary, fixed key: "RuralEval projections" in the advisory-lock space of one database.
ADVISORY_KEY = 0x52455F50524F4A  # 'RE_PROJ'


class Lease:
    """``acquire()`` is non-blocking; ``release()`` is idempotent."""

    def __init__(self, kind: str, *, conninfo: str = "", path: str = "") -> None:
        self.kind = kind
        self.conninfo = conninfo
        self.path = path
        self._connection: Any = None
        self._file: Any = None
        self._memory = threading.Lock()
        self.held = False

    def acquire(self) -> bool:
        if self.held:
            return True
        if self.kind == "postgresql":
            self.held = self._acquire_postgres()
        elif self.kind == "sqlite":
            self.held = self._acquire_file()
        else:
            self.held = self._memory.acquire(blocking=False)
        return self.held

    def alive(self) -> bool:
        """The lease is still held (PostgreSQL: its connection still answers)."""
        if not self.held:
            return False
        if self.kind != "postgresql":
            return True
        try:
            self._connection.execute("SELECT 1")
        except Exception:
            self.held = False
            return False
        return True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if self.kind == "postgresql":
            try:
                # Unlocked before the session ends: closing alone returns before the server's
                # backend has exited and dropped the lock, so a successor asking at once could
                # still find it held (seen under load).
                with suppress(Exception):  # a broken connection: its session's end frees the lock
                    self._connection.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
                self._connection.close()
            finally:
                self._connection = None
        elif self.kind == "sqlite":
            import fcntl

            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        else:
            self._memory.release()

    def _acquire_postgres(self) -> bool:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(
                self.conninfo,
                autocommit=True,
                application_name="ruraleval-projections",
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
            )
        row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY]).fetchone()
        return bool(row and row[0])

    def _acquire_file(self) -> bool:
        import fcntl

        handle = open(f"{self.path}.projections.lock", "a+")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True
