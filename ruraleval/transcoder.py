"""orjson serialisation of events and snapshots, with exact types preserved.

Decimals, datetimes and the domain's dataclasses are written as small tagged
objects, so that what is read back is what was written (no float in between).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic, resolve_topic

_TAG = "__t"
_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return {_TAG: "d", "v": str(obj)}
    if isinstance(obj, datetime):
        return {_TAG: "t", "v": obj.isoformat()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {field.name: getattr(obj, field.name) for field in dataclasses.fields(obj)}
        return {_TAG: "c", "k": _topic(type(obj)), "v": fields}
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__}")


@lru_cache(maxsize=256)
def _topic(cls: type) -> str:
    return get_topic(cls)


@lru_cache(maxsize=256)
def _class(topic: str) -> Any:
    return resolve_topic(topic)


def _restore(obj: Any) -> Any:
    if isinstance(obj, dict):
        tag = obj.get(_TAG)
        if tag is None:
            return {key: _restore(value) for key, value in obj.items()}
        if tag == "d":
            return Decimal(obj["v"])
        if tag == "t":
            return datetime.fromisoformat(obj["v"])
        fields = {key: _restore(value) for key, value in obj["v"].items()}
        return _class(obj["k"])(**fields)
    if isinstance(obj, list):
        return [_restore(item) for item in obj]
    return obj


class OrjsonTranscoder(Transcoder):
    """The eventsourcing ``Transcoder`` for this platform."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_default, option=_OPTIONS)

    def decode(self, data: bytes) -> Any:
        return _restore(orjson.loads(data))


def dumps(obj: Any) -> bytes:
    """Canonical JSON for read models: sorted keys, tagged exact types."""
    return orjson.dumps(obj, default=_default, option=_OPTIONS | orjson.OPT_SORT_KEYS)


def loads(data: bytes | str) -> Any:
    return _restore(orjson.loads(data))
