"""Structured logs: JSON in production, readable lines on a developer's terminal."""

from __future__ import annotations

import logging
import os
import sys

import structlog

from ruraleval.settings import production


def configure_logging(level: str | None = None) -> None:
    level_name = (level or os.environ.get("RURALEVAL_LOG_LEVEL", "INFO")).upper()
    as_json = production() or os.environ.get("RURALEVAL_LOG_FORMAT") == "json"
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level_name]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
