"""The auditor's pages (审计): a score's timeline, what changed between two instants, the
hash chains and their digest, the organisation's change record.

Each page checks ``READ_AUDIT`` (the API's audit routes), and a county's pages also the
county itself; a score's timeline only needs the county, as the API's history route
does. Instants travel in the URL (``from``, ``to``: a date, meaning the end of that day
in Beijing, or an instant with its offset), so a view can be shared; they are shown in
Beijing time.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Action
from domain.errors import DomainError, InvalidCommand, NotFound
from domain.inputs import normalise
from domain.recorded_time import CHINA, parse_as_of
from pages import reads, reads_audit
from pages.formats import day, moment
from pages.render import page
from pages.session import Viewer, platform_of, require, viewer
from projections.temporal import TOTAL
from ruraleval.audit import InvalidDigest
from ruraleval.platform import Platform

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
YearParam = Annotated[int | None, Query(ge=2000, le=2100)]
# No length rule of FastAPI's here: its refusal would name the parameter in English; a text is
# cut to TEXT_LIMIT before use, and an instant or a digest too long is refused beside its field.
Text = Annotated[str | None, Query()]
TEXT_LIMIT = 100
ORDER_LABELS = {"asc": "从早到晚", "desc": "最新的在前"}
# A time without its offset, as a browser's date-and-time field sends it: Beijing time.
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")
INSTANT_LABELS = {"from": "起始时刻", "to": "截止时刻"}
INSTANT_LIMIT = 40
DIGEST_LIMIT = 200


def _county(request: Request, who: Viewer, code: str) -> dict[str, Any]:
    require(who, Action.READ_AUDIT, code)
    return reads.enrolled_county(platform_of(request), code)


def _year(service: Platform, meta: dict[str, Any], asked: int | None) -> int:
    years = sorted((int(year) for year in meta["schemes"]), reverse=True)
    if asked is None and years:
        return reads.county_year(service, meta, None) or years[0]  # the latest year with values
    if asked is None or asked not in years:
        taken = "、".join(str(year) for year in years) or "无"
        words = f"{meta['name']}没有 {asked or ''} 年度的评估方案（已采用年度：{taken}）"
        raise NotFound.of("year", "scheme_year", words)
    return asked


@router.get("/audit", response_class=HTMLResponse, response_model=None)
def audit_home(request: Request, who: Signed, county: Text = None) -> Response:
    require(who, Action.READ_AUDIT)
    service = platform_of(request)
    counties = reads.counties(service, who.principal)
    if county:
        code = normalise(county[:TEXT_LIMIT])
        if any(row["code"] == code for row in counties):
            return RedirectResponse(f"/audit/counties/{code}/history", status_code=303)
    return page(request, "audit/home.html", {"counties": counties, "chosen": (county or "")[:TEXT_LIMIT]})


@router.get("/audit/counties/{code}/history", response_class=HTMLResponse)
def score_timeline(
    request: Request,
    code: str,
    who: Signed,
    year: YearParam = None,
    node: Text = None,
    order: Text = None,
) -> Response:
    # Anyone who may read the county sees its timeline, as the API's history route answers it
    # (a leader follows a consequence's points here); the audit views beside it are the auditor's.
    require(who, Action.READ, code)
    meta = reads.enrolled_county(platform_of(request), code)
    audit = who.principal.may(Action.READ_AUDIT, code)
    chosen = _year(platform_of(request), meta, year)
    shown = reads_audit.timeline(platform_of(request), meta, chosen, normalise(node[:TEXT_LIMIT]) if node else TOTAL)
    if shown is None:
        raise NotFound.of("node", "known_node", f"{chosen} 年度没有得分节点“{(node or '')[:20]}”")
    errors, order = {}, normalise(order[:TEXT_LIMIT]) if order else "asc"
    if order not in ORDER_LABELS:
        errors["order"] = "排列顺序只能是" + "或".join(f"“{label}”" for label in ORDER_LABELS.values())
        order = "asc"
    if order == "desc":
        shown.entries.reverse()
    return page(request, "audit/history.html", {"timeline": shown, "years": _years(meta), "order": order,
                                                "errors": errors, "changes_link": _changes_link,
                                                "audit": audit},
                status=422 if errors else 200)  # fmt: skip


def _years(meta: dict[str, Any]) -> list[int]:
    return sorted((int(year) for year in meta["schemes"]), reverse=True)


def _changes_link(code: str, year: int, recorded_at: str) -> str:
    """What else changed in the county at the moment of one entry of a timeline."""
    moment = datetime.fromisoformat(recorded_at)
    start = moment - timedelta(microseconds=1)  # "after from": the entry's own instant is included
    query = urlencode({"year": year, "from": start.astimezone(CHINA).isoformat(),
                       "to": moment.astimezone(CHINA).isoformat()})  # fmt: skip
    return f"/audit/counties/{code}/changes?{query}"


@router.get("/audit/counties/{code}/changes", response_class=HTMLResponse)
async def county_changes(
    request: Request,
    code: str,
    who: Signed,
    year: YearParam = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    meta = await run_in_threadpool(_county, request, who, code)
    service = platform_of(request)
    chosen = await run_in_threadpool(_year, service, meta, year)
    form = {"from": start or "", "to": end or ""}
    now = service.ledger.clock()
    context: dict[str, Any] = {"county": meta, "year": chosen, "years": _years(meta), "form": form, "errors": {},
                               "found": None, "suggestions": _suggestions(code, chosen, now)}  # fmt: skip
    if not start and not end:
        return page(request, "audit/changes.html", context)
    instants, errors = {}, {}
    for name, text in form.items():
        try:
            instants[name] = _instant(text, now, name)
        except DomainError as error:
            errors[name] = error.problems[0].message
    if not errors and instants["from"] >= instants["to"]:
        errors["to"] = "截止时刻须晚于起始时刻"
    if errors:
        return page(request, "audit/changes.html", context | {"errors": errors}, status=422)
    await reads_audit.settle(service, instants["to"], reads_audit.TIMELINE)
    found = await run_in_threadpool(reads_audit.changes_between, service, meta, chosen, instants["from"],
                                    instants["to"])  # fmt: skip
    return page(request, "audit/changes.html", context | {"found": found, "instant_words": _instant_words})


def _instant_words(instant: datetime) -> str:
    """An instant compared to the second: a date's end of day as 日终, seconds when there are some
    (10:59:59 is not 10:59, and what happened between them may be the point)."""
    local = instant.astimezone(CHINA)
    if local.time() == time.max:
        return f"{day(local)}日终"
    return moment(local) + (f":{local:%S}" if local.second or local.microsecond else "")


def _suggestions(code: str, year: int, now: datetime) -> list[tuple[str, str]]:
    """Comparisons an auditor often makes: the year's second half, and the months after its end
    (late data, corrections, overrides); only those already past."""
    base = f"/audit/counties/{code}/changes?year={year}"
    spans = [
        (date(year, 6, 30), date(year, 12, 31), "下半年"),
        (date(year, 12, 31), date(year + 1, 3, 31), "年度截止之后的补报、更正和调整"),
    ]
    today = now.astimezone(CHINA).date()
    return [
        (f"{day(start)} → {day(end)}（{words}）", f"{base}&from={start.isoformat()}&to={end.isoformat()}")
        for start, end, words in spans
        if end <= today
    ]


def _instant(text: str, now: datetime, name: str) -> datetime:
    label = INSTANT_LABELS[name]
    value = normalise(text)
    if not value:
        raise InvalidCommand.of(name, "required", f"请填写{label}")
    if len(value) > INSTANT_LIMIT:
        words = f"{label}过长：应为日期（如 2024-01-15）或带时区的时刻，不超过 {INSTANT_LIMIT} 个字符"
        raise InvalidCommand.of(name, "too_long", words)
    if LOCAL_TIME.match(value):
        value += "+08:00"
    return parse_as_of(value, now, label)


@router.get("/audit/chains", response_class=HTMLResponse)
async def chains(
    request: Request, who: Signed, expected: Annotated[str | None, Query(alias="digest")] = None
) -> Response:
    require(who, Action.READ_AUDIT)
    service = platform_of(request)
    written = normalise(expected[:DIGEST_LIMIT]) if expected else None  # a longer one is malformed anyway
    try:
        found = await run_in_threadpool(reads_audit.chains, service, written or None)
    except InvalidDigest as error:  # refused before any chain was walked: the chains are still checked and shown
        found = await run_in_threadpool(reads_audit.chains, service, None)
        context = {"found": found, "digest_error": str(error), "expected": written}
        return page(request, "audit/chains.html", context, status=422)
    return page(request, "audit/chains.html", {"found": found, "digest_error": None, "expected": written})


@router.get("/audit/organisation", response_class=HTMLResponse)
def organisation_record(request: Request, who: Signed, username: Text = None) -> Response:
    require(who, Action.READ_AUDIT)
    service = platform_of(request)
    chosen = normalise(username[:TEXT_LIMIT]) if username else None
    rows = reads_audit.organisation_record(service, chosen or None)
    users = sorted(reads_audit.organisation(service).users)
    return page(request, "audit/organisation.html", {"rows": rows, "users": users, "chosen": chosen or ""})
