"""What the verification pages read (镇级核查, ADR 27): the county's verification year, from its
own stream (``ruraleval.town_reads``), as the API's routes do; ``None`` before it is opened."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.errors import NotFound
from domain.verification import TownVerification
from pages.people import display_names, who
from ruraleval import registry_workbook, town_audit, town_outcome_reads, town_reads
from ruraleval.platform import Platform


def verification_year(service: Platform, code: str, year: int) -> TownVerification | None:
    try:
        return service.ledger.town_verification(code, year)
    except NotFound:
        return None


def opened_years(service: Platform, code: str, candidates: Iterable[int]) -> list[int]:
    return town_reads.opened_years(service.ledger, code, candidates)


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


def outcomes(found: TownVerification) -> dict[str, Any]:
    """The towns' notices, consequences and rectification items (004 八–九)."""
    return town_outcome_reads.outcomes(found)


def notice_file(service: Platform, found: TownVerification, notice_id: str) -> tuple[str, str, bytes]:
    """An issued notice's stored bytes: (ASCII name, Chinese name, PDF)."""
    notice = town_outcome_reads.notice_of(found, notice_id)
    stored = service.files.get(notice.file_sha256)
    chinese = f"{found.registry.town_name(notice.town)}-{found.year}年度核查结果通报-{notice.id}.pdf"
    return f"{found.county_code}-{found.year}-{notice.town}-{notice.id}.pdf", chinese, stored.content


def events(service: Platform, code: str, year: int) -> list[dict[str, Any]]:
    """The verification year's events for the auditor (``ruraleval.town_audit``)."""
    names = display_names(service.organisation.current())
    return [event | {"actor_name": who(names, event["actor"])}
            for event in town_audit.verification_events(service.ledger, code, year)]  # fmt: skip
