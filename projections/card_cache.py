"""Current scorecards as answered, kept in memory by the process whose thread projects them.

A scores read is asked far more often than a county's card changes. The process that runs
the projection thread knows exactly when a card changes: the scorecards projection names
the counties it rewrote, and after that batch commits (before any waiting read is told
the new position) their entries are dropped. An entry is stored only if no rewrite of its
county committed while it was being read (the county's generation did not move), so the
cache never holds a card older than the read model's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable


class CardCache:
    def __init__(self, maxsize: int = 20_000) -> None:
        self.maxsize = maxsize
        self._cards: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()

    def generation(self, county: str) -> int:
        with self._lock:
            return self._generations.get(county, 0)

    def get(self, county: str, year: int) -> bytes | None:
        with self._lock:
            return self._cards.get((county, year))

    def put(self, county: str, year: int, generation: int, answer: bytes) -> None:
        """Keeps ``answer`` unless the county's card was rewritten since ``generation`` was read."""
        with self._lock:
            if self._generations.get(county, 0) != generation:
                return
            self._cards[(county, year)] = answer
            while len(self._cards) > self.maxsize:
                self._cards.popitem(last=False)

    def rewritten(self, counties: Iterable[str]) -> None:
        """The cards of ``counties`` changed (called after the commit that changed them)."""
        with self._lock:
            for county in counties:
                self._generations[county] = self._generations.get(county, 0) + 1
                for key in [key for key in self._cards if key[0] == county]:
                    del self._cards[key]
