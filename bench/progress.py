"""Progress lines on stdout while the bench runs."""

from __future__ import annotations

import time


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)
