"""The hash chain's canonical encoding never changes: stored events must keep verifying.

``_plain`` was rewritten for speed (issue 10: the writer hashes every event); the reference
below is the encoding as it was, and any value built of what events hold must encode alike.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from domain.chain import ADDED_LATER, _is_default, _plain


def reference_plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"D{value}"
    if isinstance(value, datetime):
        return f"T{value.isoformat()}"
    if isinstance(value, UUID):
        return f"U{value.hex}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if not _is_default(field, item):
                plain[field.name] = reference_plain(item)
        return plain
    if isinstance(value, Mapping):
        return {str(key): reference_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [reference_plain(item) for item in value]
    return value


class Kind(enum.StrEnum):
    NUMBER = "number"
    SHARE = "share"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass(frozen=True)
class Inner:
    code: str
    value: Decimal | None
    added: tuple[str, ...] = dataclasses.field(default=(), metadata=ADDED_LATER)


@dataclasses.dataclass(frozen=True)
class Outer:
    inner: Inner
    items: list[Any]
    mapping: dict[Any, Any]
    flag: bool = dataclasses.field(default=False, metadata=ADDED_LATER)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.just(UTC)),
    st.uuids(),
    st.sampled_from(list(Kind)),
    st.sampled_from(list(Level)),
)
inners = st.builds(Inner, st.text(max_size=6), st.none() | st.decimals(allow_nan=False, allow_infinity=False),
                   st.lists(st.text(max_size=3), max_size=2).map(tuple))  # fmt: skip


def mappings(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.text(max_size=4), children, max_size=2)


values = st.recursive(
    scalars | inners,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4) | st.integers() | st.sampled_from(list(Kind)), children, max_size=3),
        st.builds(Outer, inners, st.lists(children, max_size=3), mappings(children), st.booleans()),
    ),
    max_leaves=12,
)


@given(values)
def test_the_canonical_encoding_of_any_event_value_is_what_it_always_was(value: Any) -> None:
    def encoded(plain: Any) -> str:  # as ``canonical`` writes it
        return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    assert encoded(_plain(value)) == encoded(reference_plain(value))
