"""A county's verification year as the auditor reads it (ADR 27): every event of its stream in
order, with who recorded it, when, its hash and the previous one (the chain ``verify`` checks),
and its fields in short. Read from the stream itself: a county's year is small."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import NotFound
from domain.verification import verification_id
from ruraleval.ledger import Ledger

SKIPPED = {"originator_id", "originator_version", "timestamp", "actor", "correlation_id", "previous_hash",
           "event_hash"}  # fmt: skip
MAX_SHOWN = 200  # characters of a field's value; lists and larger values are summarised


def shown(value: Any) -> str:
    """A field's value in short: a list by its length, a record by its fields' names."""
    if isinstance(value, Decimal | int | float | bool | str) or value is None:
        text = str(value)
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, list | tuple):
        text = f"{len(value)} 项" if len(value) > 5 else "、".join(shown(item) for item in value)
    elif isinstance(value, dict):
        text = "；".join(f"{key}：{shown(item)}" for key, item in list(value.items())[:12])
    else:
        names = "、".join(list(vars(value))[:8]) if hasattr(value, "__dict__") else ""
        text = f"{type(value).__name__}（{names}）" if names else str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def verification_events(ledger: Ledger, code: str, year: int) -> list[dict[str, Any]]:
    events: list[Any] = list(ledger.app.events.get(verification_id(code, year)))
    if not events:
        raise NotFound.of("year", "known_verification", f"县 {code} 尚未开始 {year} 年度的镇级核查")
    return [
        {
            "version": event.originator_version,
            "type": type(event).__name__,
            "recorded_at": event.timestamp.isoformat(),
            "actor": getattr(event, "actor", ""),
            "correlation_id": getattr(event, "correlation_id", ""),
            "previous_hash": getattr(event, "previous_hash", ""),
            "event_hash": getattr(event, "event_hash", ""),
            "fields": {key: shown(value) for key, value in vars(event).items() if key not in SKIPPED},
        }
        for event in events
    ]
