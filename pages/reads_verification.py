"""What the verification pages read (镇级核查, ADR 27): the county's verification year, from its
own stream (``ruraleval.town_reads``), as the API's routes do; ``None`` before it is opened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import NotFound
from domain.verification import TownVerification
from ruraleval import registry_workbook, town_reads
from ruraleval.platform import Platform


def verification_year(service: Platform, code: str, year: int) -> TownVerification | None:
    try:
        return service.ledger.town_verification(code, year)
    except NotFound:
        return None


def as_of(service: Platform, code: str, year: int, instant: str | None) -> tuple[TownVerification, datetime | None]:
    """The year as it stood at ``instant`` (settled first), or now; 404 if it was not opened then."""
    return town_reads.year_as_of(service.ledger, code, year, instant)


def registry_template(found: TownVerification) -> bytes:
    return registry_workbook.template(found.scheme.verification.household_flags)


def summary(found: TownVerification) -> dict[str, Any]:
    return town_reads.overview(found) | {"registry": town_reads.registry(found)}


def teams(found: TownVerification) -> dict[str, Any]:
    return town_reads.teams(found)


def samples(found: TownVerification) -> dict[str, Any]:
    return town_reads.samples(found)


def scores(found: TownVerification, instant: datetime | None) -> dict[str, Any]:
    return town_reads.scores(found, instant)
