"""Current scorecards as answered, kept in memory until the read model rewrites them.

A scores read is asked far more often than a county's card changes. Whatever keeps a
process's ``Progress`` also keeps its cache in step with the read model its reads see, and
drops a county's entries *before* it reports a position at or past the rewrite:

- a process with a projection thread: the scorecards projection names the counties it
  rewrote, and after that batch commits their entries are dropped (``rewritten``);
- a process that follows read models kept elsewhere (ADR 28): the ``Follower`` reads, in
  the snapshot it reads the positions from, the counties whose card changed since the
  position it last reported, and drops those; when it cannot know them it drops all
  (``clear``).

An entry is stored only if no rewrite of its county (and no ``clear``) happened while it
was being read: the reader takes the county's *generation* before its snapshot and ``put``
compares it. So the cache never holds a card older than the positions its process reported.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable


class CardCache:
    def __init__(self, maxsize: int = 20_000) -> None:
        self.maxsize = maxsize
        self._cards: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._years: dict[str, set[int]] = {}  # the years cached per county, to drop them without a scan
        self._ticks = itertools.count(1)
        self._generations: dict[str, int] = {}  # county → tick of its last rewrite
        self._cleared = 0  # tick of the last ``clear``: every county's generation is at least this
        self._lock = threading.Lock()

    def generation(self, county: str) -> int:
        with self._lock:
            return max(self._generations.get(county, 0), self._cleared)

    def get(self, county: str, year: int) -> bytes | None:
        with self._lock:
            return self._cards.get((county, year))

    def put(self, county: str, year: int, generation: int, answer: bytes) -> None:
        """Keeps ``answer`` unless the county's card was rewritten (or the cache cleared) since
        ``generation`` was read."""
        with self._lock:
            if max(self._generations.get(county, 0), self._cleared) != generation:
                return
            self._cards[(county, year)] = answer
            self._years.setdefault(county, set()).add(year)
            while len(self._cards) > self.maxsize:
                (old_county, old_year), _ = self._cards.popitem(last=False)
                self._years[old_county].discard(old_year)

    def rewritten(self, counties: Iterable[str]) -> None:
        """The cards of ``counties`` changed (called after the commit that changed them)."""
        with self._lock:
            for county in counties:
                self._generations[county] = next(self._ticks)
                for year in self._years.pop(county, ()):
                    self._cards.pop((county, year), None)

    def clear(self) -> None:
        """Any card may have changed: drops every entry, and refuses every read begun before."""
        with self._lock:
            self._cleared = next(self._ticks)
            self._generations.clear()
            self._cards.clear()
            self._years.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cards)
