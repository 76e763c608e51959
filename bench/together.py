"""Run N workers that start at one signal; time them and merge what they counted."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

Worker = Callable[[int, Callable[[], object], Counter[str]], None]


def run_together(count: int, worker: Worker, name: str) -> tuple[float, Counter[str]]:
    """Each worker gets its index, a ``ready()`` to call once set up, and its own counter.

    The clock starts when every worker is ready and stops when the last one ends.
    """
    start = threading.Barrier(count + 1)
    counters: list[Counter[str]] = [Counter() for _ in range(count)]
    threads = [
        threading.Thread(target=worker, args=(i, start.wait, counters[i]), name=f"{name}-{i}") for i in range(count)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    merged: Counter[str] = Counter()
    for counts in counters:
        merged.update(counts)
    return seconds, merged
