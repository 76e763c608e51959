"""Consequences (一挂钩): commendation, interviews and points, decided by the scheme's rules
from the facts that caused them (ADR 26). Points a consequence implies are recorded as their
own ``PointsAdjusted`` in the next year's book, whose reason names the consequence."""

from __future__ import annotations

from typing import Any

from domain.state import Consequence, CountyYear

KINDS = ("commendation", "interview_deputy", "interview_principal", "penalty_points", "bonus_points")
KIND_LABELS = {
    "commendation": "通报表扬",
    "interview_deputy": "约谈分管负责同志",
    "interview_principal": "约谈主要负责同志",
    "penalty_points": "下一年度扣分",
    "bonus_points": "下一年度加分",
}


def next_consequence_id(book: CountyYear) -> str:
    """``<year>-C<n>``: numbered in the order decided within the year."""
    return f"{book.scheme.year}-C{len(book.consequences) + 1}"


def apply_decided(book: CountyYear, event: Any) -> None:
    book.consequences[event.consequence_id] = Consequence(
        id=event.consequence_id,
        kind=event.kind,
        rule=event.rule,
        causes=dict(event.causes),
        points=event.points,
        points_year=event.points_year,
        adjustment_id=event.adjustment_id,
        actor=event.actor,
        recorded_at=event.timestamp,
    )
