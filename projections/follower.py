"""Following read models kept by another process (ADR 28).

An API process that runs no projection thread learns how far the read models have got by
polling their tracking rows every ``interval`` seconds (50 ms), and the log's head with
them, and reports both to its ``Progress``: a read waiting for a position is woken at most
one interval after the projection process committed it. The rows are read from the store
the process's reads go to: with a streaming replica, the positions the replica has
*replayed*, so a read never waits for less than what it will see.

A failure to read the replica switches the process's reads to the primary,
and back once the replica answers again *and* has replayed at least the positions reads were
told meanwhile (positions reported never go down, so a read never sees less than it named).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from projections.progress import Progress
from projections.replica import ReplicaRoutedStore
from projections.store import ReadStore

log = structlog.get_logger("ruraleval.projections")

FOLLOW_SECONDS = 0.05
TRACKING = "SELECT name, position FROM projection_tracking"


class Follower:
    def __init__(
        self,
        progress: Progress,
        primary: ReadStore,
        head: Callable[[], int],
        *,
        routed: ReplicaRoutedStore | None = None,
        interval: float = FOLLOW_SECONDS,
    ) -> None:
        self.progress = progress
        self.primary = primary
        self.routed = routed
        self.head = head
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> None:
        """One look: the head, then the positions of the store that answers the reads.

        The head is read first: a position read later is never above a head read earlier
        only because of the order of the two reads."""
        head = self.head()
        self.progress.wrote(head)
        positions = self._positions()
        known = set(self.progress.positions())
        self.progress.advanced({name: position for name, position in positions.items() if name in known})

    def _positions(self) -> dict[str, int]:
        if self.routed is not None:
            try:
                rows = self.routed.replica.query(TRACKING)
            except Exception as error:
                self._replica(False, error)
            else:
                found = {row["name"]: int(row["position"]) for row in rows}
                if self.routed.up or self._caught_up(found):
                    self._replica(True)
                    return found
        return {row["name"]: int(row["position"]) for row in self.primary.query(TRACKING)}

    def _caught_up(self, found: dict[str, int]) -> bool:
        """The replica holds at least what reads were told from the primary: reads may go back
        to it without answering older than a position they already named."""
        told = self.progress.positions()
        return all(found.get(name, 0) >= position for name, position in told.items())

    def _replica(self, up: bool, error: Exception | None = None) -> None:
        assert self.routed is not None
        if up == self.routed.up:
            return
        if up:
            log.info("read_replica_back")
        else:
            log.warning("read_replica_down", error=type(error).__name__)
        self.routed.set_replica(up)

    def run(self) -> None:
        self.progress.running = True
        try:
            while not self._stop.is_set():
                try:
                    self.poll()
                except Exception as error:
                    log.warning("follow_failed", error=type(error).__name__)
                self._stop.wait(self.interval)
        finally:
            self.progress.running = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="ruraleval-follower", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
