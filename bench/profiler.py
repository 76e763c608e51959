"""Where the server's CPU goes: the bench's server process under cProfile, every thread.

``python -m bench.profiler serve --host … --port …`` runs ``ruraleval serve`` with one
``cProfile.Profile`` per thread (the main thread's event loop, the request worker threads,
the ledger's writer, the projections' thread), each timing with ``time.thread_time``: the
CPU its thread used, not the wall clock, so a thread waiting for an fsync costs nothing.
Python 3.11's cProfile sees one thread only, hence one profiler per thread, installed by
``threading.setprofile`` as each thread starts. ``$RURALEVAL_BENCH_PROFILE`` names the
directory of the windows: while ``<dir>/active`` exists a window is open; when it is
removed, what every profiler counted between the two moments is summarised into
``<dir>/profile.json`` (``windows`` counts the windows closed; the bench waits for it).

Profiling slows the server (each call and return reads a thread clock), so the bench runs
it on a server of its own, never during the measured rounds; shares matter, not rates.

The summary: CPU by thread, the functions with the most self time, and buckets. A
function's self time goes to the bucket of its file (rules below); the self time of
functions no rule names (the standard library, builtins) goes up the call graph to the
nearest callers a rule names, in proportion to the time each caller spent in it.
"""

from __future__ import annotations

import cProfile
import json
import os
import sys
import threading
import time
from functools import cache
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

ENV = "RURALEVAL_BENCH_PROFILE"
POLL = 0.01
TOP = 25
DEPTH = 8  # how far up the call graph unnamed self time looks for a bucket

# Fragments of a function's key (its file from the package or repository root, or a builtin's
# name). The standard library is left out on purpose (json, uuid, hashlib, threading, …):
# its time goes to whoever called it.
STORE = (
    "/psycopg/", "/psycopg_pool/", "psycopg_c", "sqlite3.", "/eventsourcing/postgres.py", "/eventsourcing/sqlite.py",
    "/eventsourcing/persistence.py", "/ruraleval/sequencing.py", "/ruraleval/transcoder.py",
)  # fmt: skip
AUTH = (
    "/api/auth.py", "/ruraleval/security.py", "/jwt/", "/jose/", "/domain/access.py", "/ruraleval/access.py",
    "/ruraleval/throttle.py",
)  # fmt: skip
VALIDATION = ("/pydantic/", "pydantic_core", "/fastapi/_compat", "/fastapi/encoders.py", "/api/models.py")
HTTP = ("/uvicorn/", "/h11/", "httptools", "uvloop", "/starlette/", "/fastapi/", "/anyio/", "/asyncio/", "/api/")
LEDGER = ("/ruraleval/ledger.py", "/ruraleval/platform.py", "/eventsourcing/", "/domain/")
BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logging", ("/logging/", "/structlog/", "/ruraleval/logs.py")),
    ("store I/O (SQL drivers, recorders, event mapper)", STORE),
    ("auth (tokens, API keys, access)", AUTH),
    ("validation & serialisation (pydantic, JSON)", VALIDATION),
    ("projections (catch-up, queries)", ("/projections/",)),
    ("ledger writer & domain", LEDGER),
    ("HTTP / ASGI (uvicorn, starlette, fastapi, api/)", HTTP),
)
OTHER = "other (unattributed)"

Key = str
Snapshot = dict[Key, tuple[float, float, dict[Key, float]]]  # self s, total s, {callee: total s from here}

_profilers: list[tuple[str, cProfile.Profile]] = []
_lock = threading.Lock()


ROOT = str(Path(__file__).resolve().parents[1]).replace("\\", "/") + "/"
MARKERS = ("/site-packages/", "/dist-packages/", f"/python{sys.version_info.major}.{sys.version_info.minor}/")


def _key(code: CodeType | str) -> Key:
    """``/package/module.py:line(function)``, or a builtin's own name."""
    if isinstance(code, str):
        return code  # "<built-in method …>" or "<method … of … objects>"
    path = code.co_filename.replace("\\", "/")
    for marker in MARKERS:
        if marker in path:
            path = "/" + path.rsplit(marker, 1)[1]
            break
    else:
        path = "/" + path.removeprefix(ROOT) if path.startswith(ROOT) else path
    return f"{path}:{code.co_firstlineno}({code.co_name})"


def _start(frame: FrameType, event: str, arg: object) -> None:
    """threading's profile hook: the thread's first call replaces it with a profiler of its own."""
    sys.setprofile(None)
    thread = threading.current_thread()
    if thread.name == "bench-profiler":
        return
    profiler = cProfile.Profile(time.thread_time)
    with _lock:
        _profilers.append((thread.name, profiler))
    profiler.enable()


def _snapshot() -> dict[str, Snapshot]:
    """What every thread's profiler counted so far, by thread name (worker threads merged)."""
    merged: dict[str, Snapshot] = {}
    with _lock:
        profilers = list(_profilers)
    for name, profiler in profilers:
        stats = merged.setdefault(name.rstrip("0123456789_- ") or name, {})
        for entry in profiler.getstats():
            key = _key(entry.code)
            inline, total, callees = stats.get(key, (0.0, 0.0, {}))
            for sub in entry.calls or ():
                callee = _key(sub.code)
                callees[callee] = callees.get(callee, 0.0) + sub.totaltime
            stats[key] = (inline + entry.inlinetime, total + entry.totaltime, callees)
    return merged


def _minus(after: Snapshot, before: Snapshot) -> Snapshot:
    window: Snapshot = {}
    for key, (inline, total, callees) in after.items():
        old_inline, old_total, old_callees = before.get(key, (0.0, 0.0, {}))
        calls = {callee: seconds - old_callees.get(callee, 0.0) for callee, seconds in callees.items()}
        window[key] = (inline - old_inline, total - old_total, {k: v for k, v in calls.items() if v > 0})
    return window


def bucket_of(key: Key) -> str | None:
    for name, fragments in BUCKETS:
        if any(fragment in key for fragment in fragments):
            return name
    return None


def summarise(window: dict[str, Snapshot]) -> dict[str, Any]:
    functions: Snapshot = {}
    for stats in window.values():
        for key, (inline, total, callees) in stats.items():
            old_inline, old_total, old_callees = functions.get(key, (0.0, 0.0, {}))
            for callee, seconds in callees.items():
                old_callees[callee] = old_callees.get(callee, 0.0) + seconds
            functions[key] = (old_inline + inline, old_total + total, old_callees)
    callers: dict[Key, dict[Key, float]] = {}
    for caller, (_, _, callees) in functions.items():
        for callee, seconds in callees.items():
            callers.setdefault(callee, {})[caller] = seconds

    @cache
    def shares(key: Key, depth: int) -> tuple[tuple[str, float], ...]:
        named = bucket_of(key)
        if named:
            return ((named, 1.0),)
        up = callers.get(key, {})
        spent = sum(up.values())
        if depth == 0 or spent <= 0:
            return ((OTHER, 1.0),)
        result: dict[str, float] = {}
        for caller, seconds in up.items():
            for name, share in shares(caller, depth - 1):
                result[name] = result.get(name, 0.0) + share * seconds / spent
        return tuple(result.items())

    buckets: dict[str, float] = {}
    for key, (inline, _, _) in functions.items():
        for name, share in shares(key, DEPTH):
            buckets[name] = buckets.get(name, 0.0) + inline * share
    total = sum(inline for inline, _, _ in functions.values())
    threads = {name: sum(inline for inline, _, _ in stats.values()) for name, stats in window.items()}
    return {
        "cpu_seconds": round(total, 3),
        "buckets": _shares(buckets, total),
        "threads": _shares(threads, total),
        "top_self": _shares({key: inline for key, (inline, _, _) in functions.items()}, total, TOP),
        "top_cumulative": _shares({key: t for key, (_, t, _) in functions.items()}, total, TOP),
    }


def _shares(totals: dict[str, float], total: float, top: int | None = None) -> dict[str, dict[str, float]]:
    largest = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:top]
    return {
        name: {"cpu_s": round(seconds, 3), "share": round(seconds / total, 4) if total else 0.0}
        for name, seconds in largest
        if seconds > 0
    }


def _control(directory: Path) -> None:
    """Opens and closes the windows the bench asks for; writes each window's summary."""
    windows, before, began = 0, None, 0.0
    while True:
        time.sleep(POLL)
        active = (directory / "active").exists()
        if active and before is None:
            before, began = _snapshot(), time.perf_counter()
        elif not active and before is not None:
            after, seconds = _snapshot(), time.perf_counter() - began
            window = {name: _minus(stats, before.get(name, {})) for name, stats in after.items()}
            windows += 1
            document = {"windows": windows, "window_seconds": round(seconds, 3), **summarise(window)}
            before = None
            temporary = directory / "profile.json.tmp"
            temporary.write_text(json.dumps(document, indent=1, ensure_ascii=False), "utf-8")
            temporary.replace(directory / "profile.json")


# The bench's side.


def start_window(directory: Path) -> None:
    (directory / "active").touch()
    time.sleep(5 * POLL)  # let the server's controller see it before the load begins


def stop_window(directory: Path, expected_windows: int, timeout: float = 30.0) -> dict[str, Any] | None:
    """Closes the window; its summary once the server wrote it (None if not in time)."""
    (directory / "active").unlink(missing_ok=True)
    deadline = time.monotonic() + timeout
    path = directory / "profile.json"
    while time.monotonic() < deadline:
        try:
            document: dict[str, Any] = json.loads(path.read_text("utf-8"))
            if document["windows"] >= expected_windows:
                return document
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    return None


def main() -> int:
    directory = os.environ.get(ENV)
    if directory:
        threading.setprofile(_start)
        threading.Thread(target=_control, args=(Path(directory),), name="bench-profiler", daemon=True).start()
        main_profiler = cProfile.Profile(time.thread_time)
        _profilers.append(("MainThread", main_profiler))
        main_profiler.enable()
    from ruraleval.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
