"""The evaluator's review queue (评估组工作台) and the feedback threads (在线反馈) of a county.

Permissions are the API's: the queue and the review decisions need ``review_data`` on the
county (api/feedback.py ``/reviews``), reading threads ``read``, a comment ``discuss``, closing
a thread ``review_data``. Writes go through ``pages.writes``; a refusal is shown beside its field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain import commands as c
from domain.access import Action
from domain.errors import DomainError, InvalidCommand, NotFound
from domain.inputs import normalise, shown
from domain.review import THREAD_STATUS_LABELS, speaking_side
from pages import reads
from pages import reads_review as rr
from pages.render import page
from pages.review_forms import NOTHING_FAILED, Failed, done, fragment, posted, refused
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import county_command
from ruraleval.platform import Platform

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
YearParam = Annotated[int | None, Query(ge=2000, le=2100)]
QueueStatus = Literal["todo", "answered", "flagged", "submitted", "returned"]
ThreadStatus = Literal["open", "returned", "answered", "accepted", "closed", "all"]
THREAD_FILTERS = {"open": "未结束", "returned": THREAD_STATUS_LABELS["returned"],
                  "answered": THREAD_STATUS_LABELS["answered"], "accepted": "审核通过", "closed": "已结束",
                  "all": "全部"}  # fmt: skip
NOTICES = {
    "accept": "已审核通过。",
    "return": "已退回，并把意见发给县里。",
    "comment": "留言已发出。",
    "close": "反馈已结束。",
}
REVIEW_FIELDS = ("comment",)  # the form shows the rest above it


def known_county(request: Request, code: str) -> dict[str, Any]:
    """The enrolled county (404 page otherwise), checked after the permission."""
    return reads.enrolled_county(platform_of(request), code)


def year_of(service: Platform, meta: dict[str, Any], asked: int | None) -> int:
    chosen = reads.county_year(service, meta, asked)
    if chosen is None or str(chosen) not in meta["schemes"]:
        raise NotFound.of("year", "scheme_year", f"{meta['name']}没有 {asked or ''} 年度的评估方案")
    return chosen


# --------------------------------------------------------------------------------- the queue


def _team(request: Request, who: Viewer) -> list[dict[str, Any]]:
    require(who, Action.READ)
    team = rr.reviewable(platform_of(request), who.principal, lambda code: who.principal.may(Action.REVIEW_DATA, code))
    if not team:
        require(who, Action.REVIEW_DATA)  # refuses, saying which roles may
    return team


def _queue_page(
    request: Request, who: Viewer, status: str, county: str | None, year: int | None, number: int,
    failed: Failed = NOTHING_FAILED, notice: str = "",
) -> Response:  # fmt: skip
    team = _team(request, who)
    if county is not None:
        require(who, Action.REVIEW_DATA, county)
        if not any(row["code"] == county for row in team):
            known_county(request, county)
    queue = rr.queue(platform_of(request), team, year, status, county, number)
    context = {"queue": queue, "filters": rr.QUEUE_FILTERS, "failed": failed, "notice": NOTICES.get(notice, ""),
               "years": reads.years(platform_of(request))}  # fmt: skip
    return page(request, "review/queue.html", context, status=failed.status if failed.form else 200)


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation_home(
    request: Request, who: Signed, status: QueueStatus = "todo", county: str = Query("", max_length=12),
    year: str = Query("", max_length=4), page: int = Query(1, ge=1, le=10_000), done: str = "",
) -> Response:  # fmt: skip
    """The queue; an empty filter (the form's "all") means none, so a shared URL keeps its filters."""
    return _queue_page(request, who, status, county or None, _year_filter(year), page, notice=done)


def _year_filter(text: str) -> int | None:
    """The queue's year filter read as the API reads a year (NFKC, digits 0–9); empty for all years,
    anything else refused (422) rather than silently ignored."""
    year = normalise(text)
    if not year:
        return None
    if not (year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100):
        raise InvalidCommand.of("year", "year", f"年度须为 2000–2100 之间的年份，如 2023；收到“{shown(year)}”")
    return int(year)


@router.post("/counties/{code}/reviews", response_class=HTMLResponse)
async def review(request: Request, code: str, who: Signed) -> Response:
    """Accept or return one value; from the queue or from its thread, back to where it came from."""
    require(who, Action.REVIEW_DATA, code)
    values = await posted(request)
    indicator, period = values.get("indicator", ""), values.get("period", "")
    decision = values.get("decision", "")
    row = request.headers.get("HX-Request") == "true" and values.get("back") != "thread"
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        command = c.ReviewSubmission(indicator, period, decision, values.get("comment", ""))
        await county_command(request, code, command, Action.REVIEW_DATA)
    except DomainError as error:
        failed = refused(form_id(code, indicator, period), REVIEW_FIELDS, error, values)
        if row:
            return _row(request, who, code, indicator, period, values, failed)
        if values.get("back") == "thread":
            return _thread_page(request, who, code, indicator, period, None, failed)
        status = values.get("status", "todo")
        status = status if status in rr.QUEUE_FILTERS else "todo"
        return _queue_page(request, who, status, values.get("county") or None, None, _int(values.get("page")), failed)
    if row:
        return _row(request, who, code, indicator, period, values, NOTHING_FAILED, NOTICES[decision])
    if values.get("back") == "thread":
        return done(f"/counties/{code}/feedback/thread", decision, indicator=indicator, period=period)
    return done("/evaluation", decision, status=values.get("status"), county=values.get("county"),
                page=values.get("page"))  # fmt: skip


def _row(
    request: Request, who: Viewer, code: str, indicator: str, period: str, values: dict[str, str], failed: Failed,
    notice: str = "",
) -> Response:  # fmt: skip
    """The queue row alone (htmx swaps it): after a decision its new state, after a refusal the message."""
    found = rr.queue_row(platform_of(request), known_county(request, code), indicator, period)
    if found is None:
        raise NotFound.of("period", "existing_submission", f"指标“{indicator}”在“{period}”没有数据")
    status = values.get("status", "todo")
    queue = rr.Queue(status if status in rr.QUEUE_FILTERS else "todo", values.get("county") or None, None, [], {},
                     _int(values.get("page")), 1, 0)  # fmt: skip
    context = {"row": found, "queue": queue, "failed": failed, "notice": notice}
    return fragment(request, "review/queue_row.html", context, status=failed.status if failed.form else 200)


def form_id(code: str, indicator: str, period: str) -> str:
    return f"r-{code}-{indicator}-{period or 'all'}".replace(".", "_")


def _int(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 6 else 1


# ------------------------------------------------------------------------------ the threads


@router.get("/counties/{code}/feedback", response_class=HTMLResponse)
def feedback(
    request: Request, code: str, who: Signed, status: ThreadStatus = "open", year: YearParam = None, done: str = ""
) -> Response:
    return _threads_page(request, who, code, status, year, notice=done)


def _threads_page(
    request: Request, who: Viewer, code: str, status: str, year: int | None, failed: Failed = NOTHING_FAILED,
    notice: str = "",
) -> Response:  # fmt: skip
    require(who, Action.READ, code)
    meta = known_county(request, code)
    scope = who.principal.data_scope(Action.DISCUSS, code)  # a department asks about its own indicators
    service = platform_of(request)
    found = rr.threads(service, code, year_of(service, meta, year), status, scope)
    context = {"county": meta, **found, "status": status, "filters": THREAD_FILTERS, "failed": failed,
               "notice": NOTICES.get(notice, ""), "may_discuss": who.principal.may(Action.DISCUSS, code)}  # fmt: skip
    return page(request, "review/threads.html", context, status=failed.status if failed.form else 200)


def _thread_page(
    request: Request, who: Viewer, code: str, indicator: str, period: str, year: int | None,
    failed: Failed = NOTHING_FAILED, notice: str = "",
) -> Response:  # fmt: skip
    require(who, Action.READ, code)
    meta = known_county(request, code)
    service = platform_of(request)
    found = rr.thread(service, code, year_of(service, meta, year) if year else None, indicator, period)
    if found is None:
        what = f"“{indicator}”{('在“' + period + '”') if period else ''}"
        raise NotFound.of("indicator", "known_thread", f"{meta['name']}的指标{what}没有数据，也没有反馈")
    principal = who.principal
    context = {
        "county": meta, "thread": found, "failed": failed, "notice": NOTICES.get(notice, ""),
        "form": form_id(code, indicator, period),
        "may_review": principal.may(Action.REVIEW_DATA, code) and bool(period),
        "may_close": principal.may(Action.REVIEW_DATA, code) and not found["new"]
        and found["status"] not in ("closed", "accepted"),
        "may_discuss": principal.may(Action.DISCUSS, code),
        "side": speaking_side(principal, code),
    }  # fmt: skip
    return page(request, "review/thread.html", context, status=failed.status if failed.form else 200)


@router.get("/counties/{code}/feedback/thread", response_class=HTMLResponse)
def feedback_thread(
    request: Request, code: str, who: Signed, indicator: str = Query("", max_length=32),
    period: str = Query("", max_length=16), year: YearParam = None, done: str = "",
) -> Response:  # fmt: skip
    if not indicator:  # no thread named: the county's list of them
        require(who, Action.READ, code)
        return RedirectResponse(f"/counties/{code}/feedback", status_code=303)
    return _thread_page(request, who, code, indicator, period, year, notice=done)


@router.post("/counties/{code}/feedback", response_class=HTMLResponse)
async def comment(request: Request, code: str, who: Signed) -> Response:
    """A comment in a thread; the county's answer to a return (the API's ``PostFeedback``)."""
    require(who, Action.DISCUSS, code)
    values = await posted(request)
    indicator, period = values.get("indicator", ""), values.get("period", "")
    year = _int(values.get("year")) if values.get("year") else None
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        side = speaking_side(who.principal, code)
        command = c.PostFeedback(indicator, period, side, values.get("comment", ""), year)
        await county_command(request, code, command, Action.DISCUSS)
    except DomainError as error:
        if values.get("back") == "list":  # a new question, asked on the list of threads
            failed = refused("question", ("indicator", "comment"), error, values)
            return _threads_page(request, who, code, "open", year, failed)
        failed = refused("comment-" + form_id(code, indicator, period), ("comment",), error, values)
        return _thread_or_list(request, who, code, indicator, period, year, failed, error)
    return done(f"/counties/{code}/feedback/thread", "comment", indicator=indicator, period=period, year=year)


def _thread_or_list(
    request: Request, who: Viewer, code: str, indicator: str, period: str, year: int | None, failed: Failed,
    error: DomainError,
) -> Response:  # fmt: skip
    """The thread with the refusal beside its form; when the indicator or period names no thread
    (missing, unknown, malformed), the list of threads with the words beside the question form."""
    try:
        return _thread_page(request, who, code, indicator, period, year, failed)
    except NotFound:
        question = refused("question", ("indicator", "comment"), error, failed.values)
        if not indicator:
            question.errors["indicator"] = "请选择指标"
        question.status = 422  # the form named no thread: a bad input, not a missing page
        return _threads_page(request, who, code, "open", year, question)


@router.post("/counties/{code}/feedback/close", response_class=HTMLResponse)
async def close(request: Request, code: str, who: Signed) -> Response:
    require(who, Action.REVIEW_DATA, code)
    values = await posted(request)
    indicator, period = values.get("indicator", ""), values.get("period", "")
    year = _int(values.get("year")) if values.get("year") else None
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        command = c.CloseThread(indicator, period, values.get("comment", ""), year)
        await county_command(request, code, command, Action.REVIEW_DATA)
    except DomainError as error:
        failed = refused("close-" + form_id(code, indicator, period), ("comment",), error, values)
        return _thread_or_list(request, who, code, indicator, period, year, failed, error)
    return done(f"/counties/{code}/feedback/thread", "close", indicator=indicator, period=period, year=year)
