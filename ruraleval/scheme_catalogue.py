"""The schemes the centre has published, read from their own streams' events.

Schemes are few (one or two a year) and have no read model: their events are found in the
log by topic, which the store filters, so listing them does not read the counties' events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic

from domain.schemes import PublishedScheme
from ruraleval.ledger import Ledger

TOPICS = (get_topic(PublishedScheme.SchemePublished), get_topic(PublishedScheme.SchemeRevised))
BATCH = 500


@dataclass
class SchemeEntry:
    id: str
    name: str
    year: int
    indicators: int
    published_at: datetime
    published_by: str
    revision: int = 1
    revised_at: datetime | None = None
    revised_by: str | None = None
    revise_reason: str | None = None


def published_schemes(ledger: Ledger) -> list[SchemeEntry]:
    """Every published scheme as it stands (latest revision), latest year first."""
    found: dict[str, SchemeEntry] = {}
    recorder, to_event = ledger.app.recorder, ledger.app.mapper.to_domain_event
    after = 0
    while True:
        batch = recorder.select_notifications(start=after, limit=BATCH, topics=TOPICS, inclusive_of_start=False)
        if not batch:
            break
        for notification in batch:
            after = notification.id
            _apply(found, to_event(notification))
    return sorted(found.values(), key=lambda entry: (-entry.year, entry.id))


def _apply(found: dict[str, SchemeEntry], event: Any) -> None:
    scheme = event.scheme
    counted = sum(1 for node in scheme.indicators if node.method is not None)
    if isinstance(event, PublishedScheme.SchemePublished):
        found[scheme.id] = SchemeEntry(scheme.id, scheme.name, scheme.year, counted, event.timestamp, event.actor)
        return
    entry = found.get(scheme.id)
    if entry is not None:
        entry.name, entry.year, entry.indicators = scheme.name, scheme.year, counted
        entry.revision += 1
        entry.revised_at, entry.revised_by, entry.revise_reason = event.timestamp, event.actor, event.reason
