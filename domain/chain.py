"""The hash chain of a county stream: tamper evidence over a canonical encoding.

Each county event carries ``previous_hash`` (its predecessor's ``event_hash``, empty
for the first) and ``event_hash``: SHA-256 of the canonical encoding of the event's
type, stream, version, recorded time and every other field. Changing, removing or
reordering a stored event breaks the chain at that point.

A field added to a stored dataclass (a scheme, an indicator) after events holding it were
recorded is declared with ``field(default…, metadata=ADDED_LATER)``: it enters the canonical encoding only when it
differs from its default, so that the events recorded before it existed (read back with
the default) keep the hash they were recorded with.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any
from uuid import UUID

GENESIS = ""
ADDED_LATER: Mapping[str, bool] = MappingProxyType({"ruraleval.chain.added_later": True})
CHAIN_FIELDS = ("event_hash",)
_BASE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic", "event_hash")


def _is_default(field: dataclasses.Field[Any], value: Any) -> bool:
    """Whether ``value`` is the default of a field declared with ``metadata=ADDED_LATER``."""
    if not all(field.metadata.get(key) for key in ADDED_LATER):
        return False
    if field.default_factory is not dataclasses.MISSING:
        return bool(value == field.default_factory())
    return bool(value == field.default)


# Values encoded as they are, by exact type (a subclass, an enum say, takes the general path).
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})


@cache
def _fields_of(kind: Any) -> tuple[tuple[str, dataclasses.Field[Any] | None], ...] | None:
    """A dataclass's fields, each with itself when it was added later (its default is left
    out), else None; None for a class that is no dataclass. Per class, once: looking the
    fields and their metadata up for every event was most of the writer's hashing (issue 10)."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(
        (field.name, field if all(field.metadata.get(key) for key in ADDED_LATER) else None)
        for field in dataclasses.fields(kind)
    )


def _plain(value: Any) -> Any:
    if type(value) in _AS_THEY_ARE:
        return value
    if isinstance(value, Decimal):
        return f"D{value}"
    if isinstance(value, datetime):
        return f"T{value.isoformat()}"
    if isinstance(value, UUID):
        return f"U{value.hex}"
    kind: Any = type(value)
    fields = None if isinstance(value, type) else _fields_of(kind)
    if fields is not None:
        plain: dict[str, Any] = {}
        for name, later in fields:
            item = getattr(value, name)
            if later is None or not _is_default(later, item):
                plain[name] = _plain(item)
        return plain
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
