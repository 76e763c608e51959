"""Tamper evidence: recompute every county's hash chain; digests of all stream heads.

A digest names a log position and hashes the head (version and event hash) of every
county stream at that position. An auditor writes it down outside the system; later,
``verify --digest`` proves that the history behind it is unchanged, while events
appended since are allowed.

A digest is read in either case of its hex (it is copied by hand). One naming a position the
log has not reached is refused (``DigestNotRecorded``): it cannot be checked, which is not the
same as a history found changed. One whose hash differs is reported apart from the chains
(``digest_matches`` false): the chains may be intact while the heads they end in are not the
ones written down.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.chain import GENESIS, recompute
from domain.county import County
from domain.verification import TownVerification
from ruraleval.ledger import Ledger

DIGEST_PREFIX = "re1"
COUNTY_TOPIC = "domain.county:County."
# Chained streams: the counties and their verification years (ADR 27).
CHAINED_TOPICS = (COUNTY_TOPIC, "domain.verification:TownVerification.")
BATCH = 2000
DIGEST_FORM = re.compile(rf"^{DIGEST_PREFIX}-([0-9]+)-([0-9a-f]{{64}})$")


@dataclass
class Break:
    county: str
    version: int
    what: str


@dataclass
class Verification:
    ok: bool
    events_checked: int
    problems: list[Break] = field(default_factory=list)
    digest_matches: bool | None = None
    digest: str = ""  # the digest of the heads at the end of the walk (as ``digest`` gives it)


@dataclass
class _Stream:
    name: str
    version: int = 0
    head: str = GENESIS
    broken: bool = False


class InvalidDigest(ValueError):
    pass


class DigestNotRecorded(InvalidDigest):
    """A well-formed digest naming a log position beyond the log's head."""


def verify(ledger: Ledger, expected_digest: str | None = None) -> Verification:
    """Checks every county chain; with a digest, also the heads at its position."""
    if expected_digest:
        expected_digest = expected_digest.strip().lower()
    position = _digest_position(expected_digest) if expected_digest else None
    if position is not None:
        # Read before the walk: every event up to a position at or below it is then walked.
        _require_recorded(position, ledger.head())
    streams: dict[UUID, _Stream] = {}
    problems: list[Break] = []
    heads_at_position: str | None = None
    ends: dict[UUID, _Stream] = {}  # every stream's last event, broken or not: the current digest
    checked = last = 0
    for notification_id, stream, version, event in _county_notifications(ledger):
        if position is not None and heads_at_position is None and notification_id > position:
            heads_at_position = _heads_digest(streams, position)
        state = streams.setdefault(stream, _Stream(stream.hex))
        ends[stream] = _Stream(stream.hex, version, getattr(event, "event_hash", ""))
        checked, last = checked + 1, notification_id
        if state.broken:
            continue
        problem = _check(state, version, event)
        if problem is not None:
            state.broken = True
            problems.append(Break(state.name, version, problem))
            continue
        if isinstance(event, County.Enrolled):
            state.name = event.code
        elif isinstance(event, TownVerification.Opened):
            state.name = f"{event.county_code}/{event.year} 镇级核查"
        state.version, state.head = version, event.event_hash
    result = Verification(ok=not problems, events_checked=checked, problems=problems, digest=_heads_digest(ends, last))
    if expected_digest is not None and position is not None:
        actual = heads_at_position or _heads_digest(streams, position)
        result.digest_matches = actual == expected_digest
        result.ok = result.ok and result.digest_matches
    return result


def _require_recorded(position: int, head: int) -> None:
    if position > head:
        raise DigestNotRecorded(
            f"该摘要所记位置为第 {position} 条记录，而日志目前只记录到第 {head} 条：此位置尚未记录，"
            "无法据此核对。请确认摘要抄写无误；若它确由本平台给出，则其后的记录已被删除"
        )


def _check(state: _Stream, version: int, event: Any) -> str | None:
    if event is None:
        return "事件内容无法读取（已被改动）"
    if version != state.version + 1:
        missing = ", ".join(str(v) for v in range(state.version + 1, version)) or str(version)
        return f"版本不连续：缺少第 {missing} 号事件（已被删除）"
    if event.previous_hash != state.head:
        return "与前一事件的哈希链断开（前一事件已被改动、删除或重排）"
    if recompute(event) != event.event_hash:
        return "事件内容与其哈希不符（已被改动或重排）"
    return None


def digest(ledger: Ledger) -> str:
    """A digest of every county stream's head at the current end of the log."""
    streams: dict[UUID, _Stream] = {}
    position = 0
    for notification_id, stream, version, event in _county_notifications(ledger):
        state = streams.setdefault(stream, _Stream(stream.hex))
        state.version, state.head = version, getattr(event, "event_hash", "")
        position = notification_id
    return _heads_digest(streams, position)


def _heads_digest(streams: dict[UUID, _Stream], position: int) -> str:
    lines = sorted(f"{stream.hex}:{state.version}:{state.head}" for stream, state in streams.items())
    value = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return f"{DIGEST_PREFIX}-{position}-{value}"


def _digest_position(text: str) -> int:
    form = DIGEST_FORM.match(text)
    if form is None:
        raise InvalidDigest(f"摘要格式不正确：应为 {DIGEST_PREFIX}-<位置>-<64 位十六进制>")
    return int(form.group(1))


def _county_notifications(ledger: Ledger) -> Any:
    """(position, stream, version, event or None if unreadable) for every county event."""
    recorder, mapper = ledger.app.recorder, ledger.app.mapper
    after = 0
    while True:
        batch = recorder.select_notifications(start=after, limit=BATCH, inclusive_of_start=False)
        if not batch:
            return
        for notification in batch:
            after = notification.id
            if not notification.topic.startswith(CHAINED_TOPICS):
                continue
            try:
                event: Any = mapper.to_domain_event(notification)
            except Exception:  # a payload changed into something unreadable is itself evidence
                event = None
            stream = notification.originator_id
            assert isinstance(stream, UUID)
            yield notification.id, stream, notification.originator_version, event
