"""Time travel by replay: the slow, obviously right answer the temporal read model must match."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.county import County, county_id
from domain.scoring import Scorecard, score_year
from domain.verification import TownVerification, verification_id
from ruraleval.ledger import Ledger


def county_as_of(ledger: Ledger, code: str, instant: datetime) -> County | None:
    """The county folded from the events recorded at or before ``instant``."""
    county: Any = None
    for event in ledger.app.events.get(county_id(code)):
        if event.timestamp > instant:  # type: ignore[attr-defined]
            break  # recorded time never runs backwards within a stream
        county = event.mutate(county)  # type: ignore[attr-defined]
    return county


def scorecard_as_of(ledger: Ledger, code: str, year: int, instant: datetime) -> Scorecard | None:
    county = county_as_of(ledger, code, instant)
    if county is None or str(year) not in county.years:
        return None
    return score_year(county.years[str(year)])


def verification_as_of(ledger: Ledger, code: str, year: int, instant: datetime) -> TownVerification | None:
    """A county's verification year folded from the events recorded at or before ``instant``."""
    verification: Any = None
    for event in ledger.app.events.get(verification_id(code, year)):
        if event.timestamp > instant:  # type: ignore[attr-defined]
            break
        verification = event.mutate(verification)  # type: ignore[attr-defined]
    return verification
