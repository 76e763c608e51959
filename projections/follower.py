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

The process's card cache (``CardCache``) is kept in step here too. In the snapshot the
positions are read from, the follower reads the counties whose card the scorecards
projection rewrote after the position it last read (``scorecard_changes``), and drops their
cached cards *before* it reports the new position. When it cannot know that set it drops
every card: on its first look, after a failed look, when the store it reads switches
(replica ↔ primary), or when the scorecards position went back (a rebuild emptied it).

Why a reader never caches, nor is served, a card older than a position it was told. A
reader takes the county's generation (g), misses, reads the card in a snapshot, and puts
it with g; the follower, after its snapshot F saw a rewrite at q, invalidates (bumps the
generation, drops the entries), then reports q.
- The reader took g before the invalidation: its put comes either before it (the entry is
  dropped with the others) or after it (the generation moved: not kept).
- The reader took g after the invalidation: its snapshot began after F ended. If both are
  on the same store it sees q or later (a later snapshot of one database, or of one
  replica replaying in order, never sees less). The follower reads the primary only while
  reads are switched off the replica, and it switches them back to the replica only after
  finding that the replica replayed every position already reported, and after dropping
  the cache (the store changed); a snapshot a reader takes on the primary while the
  follower reads the replica sees more, never less.
So every entry was read after every rewrite reported before it was stored, and a read told
position p finds either no entry or one at least as new as p.

A rebuild in another process that empties and refills the cards *between two looks*
(50 ms) would go unseen for counties whose rewrite fell at or before the position read last;
the refilled cards are the same cards, unless the projection's code changed, which comes
with restarting the API processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from projections.card_cache import CardCache
from projections.progress import Progress
from projections.replica import ReplicaRoutedStore
from projections.store import ReadStore, View

log = structlog.get_logger("ruraleval.projections")

FOLLOW_SECONDS = 0.05
TRACKING = "SELECT name, position FROM projection_tracking"
CARDS = "scorecards"  # the projection whose rewrites the card cache follows
CHANGED = "SELECT county FROM scorecard_changes WHERE position > %s"


class Follower:
    def __init__(
        self,
        progress: Progress,
        primary: ReadStore,
        head: Callable[[], int],
        *,
        routed: ReplicaRoutedStore | None = None,
        cards: CardCache | None = None,
        interval: float = FOLLOW_SECONDS,
    ) -> None:
        self.progress = progress
        self.cards = cards
        # The store the cache was last brought in step with and the scorecards position read
        # there; None when unknown (nothing read yet, or a look failed).
        self._cards_at: tuple[str, int] | None = None
        self.primary = primary
        self.routed = routed
        self.head = head
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> None:
        """One look: the head, then the positions of the store that answers the reads (and the
        cards rewritten since the last look, dropped from the cache before reporting).

        The head is read first: a position read later is never above a head read earlier
        only because of the order of the two reads."""
        try:
            head = self.head()
            self.progress.wrote(head)
            positions = self._positions()
        except Exception:
            self._forget_cards()
            raise
        known = set(self.progress.positions())
        self.progress.advanced({name: position for name, position in positions.items() if name in known})

    def _positions(self) -> dict[str, int]:
        """The tracking positions of the store reads go to, with the card cache in step with them."""
        if self.routed is not None:
            try:
                with self.routed.replica.snapshot() as view:
                    found = _tracking(view)
                    usable = self.routed.up or self._caught_up(found)
                    changed = self._changed_cards(view, "replica", found) if usable else None
            except Exception as error:
                self._replica(False, error)
            else:
                if usable:
                    self._follow_cards("replica", found, changed)  # before reads may go back to it
                    self._replica(True)
                    return found
        with self.primary.snapshot() as view:
            found = _tracking(view)
            changed = self._changed_cards(view, "primary", found)
        self._follow_cards("primary", found, changed)
        return found

    def _changed_cards(self, view: View, source: str, found: dict[str, int]) -> list[str] | None:
        """The counties whose card changed since the last look, read in the positions' snapshot;
        None when that cannot be known (every card is to be dropped)."""
        if self.cards is None or CARDS not in found or self._cards_at is None:
            return None
        seen_source, seen = self._cards_at
        if seen_source != source or found[CARDS] < seen:
            return None
        if found[CARDS] == seen:
            return []
        return [str(row["county"]) for row in view.execute(CHANGED, [seen])]

    def _follow_cards(self, source: str, found: dict[str, int], changed: list[str] | None) -> None:
        if self.cards is None:
            return
        if changed is None:
            self.cards.clear()
        else:
            self.cards.rewritten(changed)
        self._cards_at = (source, found[CARDS]) if CARDS in found else None

    def _forget_cards(self) -> None:
        self._cards_at = None
        if self.cards is not None:
            self.cards.clear()

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


def _tracking(view: View) -> dict[str, int]:
    return {row["name"]: int(row["position"]) for row in view.execute(TRACKING)}
