"""Every read the pages make of the read models and the county streams, in one place.

Page handlers call these functions and nothing else of ``projections`` or the ledger, so
that a change in how reads are made (freshness, snapshots) is made here once. Each
function returns plain data shaped for its page; none holds SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.access import Action, Principal
from domain.collection import STATUS_LABELS, beijing_date
from domain.commands import REGION_LABELS
from domain.errors import NotFound
from domain.inputs import county_code_refusal
from domain.review import THREAD_STATUS_LABELS, waiting_on
from domain.warnings import KIND_LABELS, LEVEL_LABELS
from projections import monitoring_queries as monitoring
from projections import queries
from projections.catalog import COUNTIES, SCORES, WARNINGS
from ruraleval.platform import Platform

OWED = ("missing", "due")  # what a county still has to send
DONE_LATE = "late"


def _ready(service: Platform, names: tuple[str, ...]) -> None:
    """The read models ``names`` can answer (else 503 with the reason, as the API's reads).

    Pages read what is projected, never catching up themselves (ADR 24); once pages write,
    the session keeps the position of the user's last write and reads wait for it.
    """
    service.progress.require(names)


def today(service: Platform) -> date:
    return beijing_date(service.ledger.clock())


def county(service: Platform, code: str) -> dict[str, Any] | None:
    """The enrolled county (code, name, province, region, schemes), or None."""
    _ready(service, COUNTIES)
    with service.reads.snapshot() as view:
        rows = queries.list_counties(view)
    found = next((row for row in rows if row["code"] == code), None)
    if found is None:
        return None
    return {**found, "region_label": REGION_LABELS.get(found["region"], found["region"])}


def enrolled_county(service: Platform, code: str) -> dict[str, Any]:
    """The enrolled county of a page's path; a 404 naming the code otherwise (asked after the
    permission, so a county outside the user's scope is refused before it is looked up)."""
    if county_code_refusal(code) is not None:
        raise NotFound.of("code", "known_county", f"“{code[:12]}”不是县级行政区划代码")
    meta = county(service, code)
    if meta is None:
        raise NotFound.of("code", "known_county", f"行政区划代码为 {code} 的县尚未入选评估")
    return meta


def counties(service: Platform, principal: Principal) -> list[dict[str, Any]]:
    """The counties the principal may read, with their region in Chinese."""
    _ready(service, COUNTIES)
    visible = principal.readable_counties()
    with service.reads.snapshot() as view:
        rows = queries.list_counties(view)
    return [
        {**row, "region_label": REGION_LABELS.get(row["region"], row["region"])}
        for row in rows
        if visible is None or row["code"] in visible
    ]


def years(service: Platform) -> list[int]:
    """The scheme years any county has taken on, latest first."""
    _ready(service, COUNTIES)
    with service.reads.snapshot() as view:
        rows = queries.list_counties(view)
    found = {int(year) for row in rows for year in row["schemes"]}
    return sorted(found, reverse=True)


def default_year(service: Platform, years: list[int], counties: Collection[str] | None = None) -> int | None:
    """The year a page shows when none is asked, of ``years`` (latest first): the latest in which
    ``counties`` (None: any county) have a value recorded, else the latest. A year taken on
    before its data come (大名县's 2024, holding only the points a consequence gave it) does not
    hide the year whose results people work on."""
    if not years:
        return None
    _ready(service, SCORES)
    with service.reads.snapshot() as view:
        recorded = queries.years_with_values(view, counties)
    return next((year for year in years if year in recorded), years[0])


def county_year(service: Platform, meta: dict[str, Any], asked: int | None) -> int | None:
    """The year asked of a county's page, else its default year (``default_year``)."""
    if asked is not None:
        return asked
    years = sorted((int(year) for year in meta["schemes"]), reverse=True)
    return default_year(service, years, [meta["code"]])


@dataclass
class Owed:
    """What a county (or one department of it) owes, as of a day."""

    county: dict[str, Any]
    year: int
    day: date
    departments: frozenset[str] | None  # None: the whole county
    owed: list[dict[str, Any]]
    late: list[dict[str, Any]]
    counts: dict[str, int]
    returned: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


def owed(service: Platform, principal: Principal, meta: dict[str, Any], year: int, day: date) -> Owed:
    """The county's schedule judged on ``day``, returns awaiting its answer, flags to confirm and
    its warnings; for a department user only what its departments answer for."""
    _ready(service, WARNINGS)
    code = meta["code"]
    scope = principal.data_scope(Action.SUBMIT_DATA, code)
    departments = scope.departments if scope is not None else None
    book = service.ledger.county(code).book(year)

    def ours(indicator: str, department: str | None = None) -> bool:
        if departments is None:
            return True
        if department is None and indicator in book.responsibility:
            department = book.responsibility[indicator].department
        return department in departments

    filters = monitoring.Filters(county=code, year=year, visible=principal.readable_counties())
    with service.reads.snapshot() as view:  # the schedule and the warnings of one moment
        schedule = monitoring.schedule(view, code, year, day, None)
        found = monitoring.warning_page(view, day, None, filters, 0, 200).found
    entries = [
        entry | {"status_label": STATUS_LABELS[entry["status"]]}
        for entry in schedule
        if ours(entry["indicator"], entry["department"])
    ]
    names = {node.code: node.name for node in book.indicators.values()}
    returned = [
        {"indicator": t.indicator, "name": names.get(t.indicator, ""), "period": t.period,
         "status_label": THREAD_STATUS_LABELS[t.status], "returned_at": t.returned_at,
         "comment": t.comments[-1].text if t.comments else ""}
        for t in book.threads.values()
        if waiting_on(t) == "county" and ours(t.indicator)
    ]  # fmt: skip
    flags = [
        {"indicator": a.indicator, "name": names.get(a.indicator, ""), "period": a.period, "message": a.message,
         "flagged_at": a.flagged_at}
        for a in book.anomalies.values()
        if not a.confirmed and a.resolved_at is None and ours(a.indicator)
    ]  # fmt: skip
    warnings = [
        {"indicator": f.warning.indicator, "name": f.warning.indicator_name, "period": f.warning.period,
         "kind_label": KIND_LABELS[f.warning.kind], "level": f.warning.level,
         "level_label": LEVEL_LABELS[f.warning.level], "reason": f.warning.reason}
        for f in found
        if ours(f.warning.indicator, f.warning.department)
    ]  # fmt: skip
    return Owed(
        county=meta,
        year=year,
        day=day,
        departments=departments,
        owed=[entry for entry in entries if entry["status"] in OWED],
        late=[entry for entry in entries if entry["status"] == DONE_LATE],
        counts=monitoring.status_counts(entries),
        returned=returned,
        flags=flags,
        warnings=warnings,
    )
