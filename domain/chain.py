"""The hash chain of a county stream: tamper evidence over a canonical encoding.

Each county event carries ``previous_hash`` (its predecessor's ``event_hash``, empty
for the first) and ``event_hash``: SHA-256 of the canonical encoding of the event's
type, stream, version, recorded time and every other field. Changing, removing or
reordering a stored event breaks the chain at that point.

A field added to a stored dataclass (a scheme, an indicator) after events holding it were
chained is declared with ``field(default=…, metadata=ADDED_LATER)``: while it holds its default it is left out of the
encoding, so events stored before it existed keep their hashes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS = ""
CHAIN_FIELDS = ("event_hash",)
_BASE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic", "event_hash")
# The metadata of a dataclass field added after events holding its class were stored.
ADDED_LATER = {"ruraleval.added_later": True}


def _encoded(field: dataclasses.Field[Any], value: Any) -> bool:
    """A field added later is left out while it holds its default (see the module doc)."""
    return not (field.metadata.get("ruraleval.added_later") and value == field.default)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"D{value}"
    if isinstance(value, datetime):
        return f"T{value.isoformat()}"
    if isinstance(value, UUID):
        return f"U{value.hex}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if _encoded(field, getattr(value, field.name))
        }
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def canonical(kind: str, stream: UUID, version: int, recorded_at: datetime, fields: Mapping[str, Any]) -> bytes:
    """One byte string per event, the same before storage and after any round trip."""
    body = {
        "kind": kind,
        "stream": stream.hex,
        "version": version,
        "at": recorded_at.isoformat(),
        "fields": _plain(fields),
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(kind: str, stream: UUID, version: int, recorded_at: datetime, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(kind, stream, version, recorded_at, fields)).hexdigest()


def event_fields(event: Any) -> dict[str, Any]:
    """The fields of a stored event that its hash covers."""
    return {key: value for key, value in vars(event).items() if key not in _BASE_FIELDS}


def recompute(event: Any) -> str:
    """The hash an event should carry, from its content as it is now."""
    kind = type(event).__qualname__
    return digest(kind, event.originator_id, event.originator_version, event.timestamp, event_fields(event))
