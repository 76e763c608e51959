"""Logging keeps working after the stream it was configured with is replaced and closed.

A test's captured stderr (or a worker's redirection) closed after ``configure_logging`` made
every later log call raise ``ValueError: I/O operation on closed file``; in the writer thread
that killed the thread, and every caller then waited for ever.
"""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from ruraleval.logs import configure_logging


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_a_log_line_goes_to_the_current_stderr_after_the_old_one_closed(
    monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    monkeypatch.setenv("RURALEVAL_LOG_FORMAT", log_format)
    first = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO")
    first.close()
    second = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", second)
    try:
        structlog.get_logger("test").info("still_logging", where="the current stream")
        second.flush()
        assert b"still_logging" in second.buffer.getvalue()  # type: ignore[attr-defined]
    finally:
        structlog.reset_defaults()
