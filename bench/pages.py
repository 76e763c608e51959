"""The pages section: server time of every page for the demo, and the ranking slider's step.

Pages: the application in-process (no HTTP server: the server's own time is wanted) over a
fresh store holding the demo. Every GET page route the application has at run time (all
but ``/api/…``, ``/static``, ``/docs``) is measured, so pages added later are measured
without a change here. Each page is opened as a demo user who may: the first link to it
that the users find by following links from their homes (the page's owner's, if it is
someone's home), else the first demo user and the demo's path values (its counties,
indicators, periods) that get a 200 (or the redirect of ``/``); then ``--page-warmup``
requests, then ``--page-requests`` timed ones. The time is the application's, from the
request entering it to the last byte of its answer (an ASGI wrapper), without the test
client's overhead.

Slider: the leader's time slider replays the year's ranking month by month; each step is
an as-of read of the temporal read model. Over ``--slider-counties`` counties with 12
months of data (the time-travel bench's timeline: submissions, corrections, overrides),
each of the 12 month ends is read ``--slider-reads`` times.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from bench import scheme, tt_rebuild, tt_timeline
from bench.config import BenchConfig
from bench.progress import progress
from bench.stats import Summary
from bench.stores import provision
from domain.access import Principal
from domain.access import Scope as Grant
from domain.collection import start_of_day
from domain.review import waiting_on
from pages.reads_leader import ranking_as_of as page_ranking
from ruraleval import demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazily included routers: app.routes holds every route

    def iter_route_contexts(routes: Iterable[Any]) -> Iterator[Any]:  # type: ignore[misc]
        return iter(routes)


GOAL_P95_MS = 150.0
SKIPPED_PREFIXES = ("/api/", "/static", "/docs", "/openapi.json")
COOKIE = "ruraleval_session"
# Users tried for a page, in this order (after the user whose home it is): the first allowed
# to open it is kept; the leader first, who sees every county.
USERS = ("leader", "evaluator.east", "coordinator.130425", "dept.130425", "auditor", "admin")
LINK = re.compile(r'href="(/[^"#]*)"')
CRAWL_LIMIT = 60  # pages fetched per user while looking for pages by their links
PASSWORDS = {username: password for username, password, *_ in demo.DEMO_USERS}


# ------------------------------------------------------------------------------- pages


class ServerClock:
    """ASGI wrapper: how long the application took over the last request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last = time.perf_counter() - began


def page_routes(app: FastAPI) -> list[str]:
    """Path templates of the GET pages the application serves now: its routes tagged "pages"
    (as tests/test_pages.py finds them) but /static and /docs."""
    found = {
        str(route.path)
        for route in iter_route_contexts(app.routes)
        if "pages" in (getattr(route, "tags", None) or ())
        and "GET" in (getattr(route, "methods", None) or ())
        and not str(route.path).startswith(SKIPPED_PREFIXES)
    }
    return sorted(found)


def path_values(service: Platform) -> list[dict[str, str]]:
    """Sets of path parameters from the demo, each consistent in itself (a county, one of its
    indicators and periods, a node of its scores), tried in this order: the correction of
    大名县, a return waiting for its answer, the override of 瑞金市, a county of team east-1."""
    common = {
        "year": str(demo.YEAR),
        "scheme_id": demo.SCHEME_ID,
        "team": "east-1",
        "username": "leader",
        "grant_id": "demo-leader",
        "proposal_id": "P2023-001",
        "override_id": "demo-override-1",
        "adjustment_id": "demo-adjustment-0",
    }
    code, indicator, period = demo.CORRECTED[0]
    stories = [{"code": code, "indicator": indicator, "period": period, "node": "total"}]
    book = service.ledger.county(code).book(demo.YEAR)
    for thread in book.threads.values():
        if waiting_on(thread) == "county":
            stories.append({"code": code, "indicator": thread.indicator, "period": thread.period,
                            "node": thread.indicator})  # fmt: skip
            break
    stories.append({"code": "360781", "indicator": "3.1", "period": str(demo.YEAR), "node": "3.1"})
    stories.append({"code": "320583", "indicator": "2.3", "period": "2023-10", "node": "2"})
    return [common | story for story in stories]


def fill(template: str, values: dict[str, str]) -> str | None:
    names = re.findall(r"{(\w+)(?::\w+)?}", template)
    if any(name not in values for name in names):
        return None
    return re.sub(r"{(\w+)(?::\w+)?}", lambda match: values[match.group(1)], template)


@contextmanager
def demo_site(url: str) -> Iterator[tuple[TestClient, ServerClock, dict[str, str]]]:
    """The application over ``url`` with the demo loaded, and each demo user's session cookie."""
    from api.app import create_app  # the web layer only for this section

    app = create_app(lambda: Platform(parse_database_url(url)), background=False)
    clock = ServerClock(app)
    with TestClient(clock, base_url="http://testserver") as client:
        began = time.perf_counter()
        demo.load_demo(app.state.platform)
        progress(f"pages: demo loaded in {time.perf_counter() - began:.2f} s")
        cookies = {username: sign_in(client, username) for username in USERS}
        yield client, clock, cookies


def sign_in(client: TestClient, username: str) -> str:
    client.cookies.clear()
    form = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "the sign-in form has no CSRF token"
    data = {"username": username, "password": PASSWORDS[username], "csrf_token": token.group(1)}
    answer = client.post("/signin", data=data, follow_redirects=False)
    assert answer.status_code == 303, f"{username} could not sign in: {answer.status_code}"
    cookie = client.cookies.get(COOKIE)
    assert cookie
    return cookie


def _get(client: TestClient, cookie: str | None, url: str) -> int:
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set(COOKIE, cookie)
    return client.get(url, follow_redirects=False).status_code


def homes(client: TestClient, cookies: dict[str, str]) -> dict[str, str]:
    """Each user's home page (where ``/`` sends them) → the user; the first user of a shared home."""
    found: dict[str, str] = {}
    for username in USERS:
        client.cookies.clear()
        client.cookies.set(COOKIE, cookies[username])
        location = client.get("/", follow_redirects=False).headers.get("location", "")
        found.setdefault(location, username)
    return found


def crawl(client: TestClient, cookies: dict[str, str]) -> list[tuple[str, str]]:
    """(url, user) of the pages each user reaches by following links from their home, in the
    order found: real path values for pages this file knows nothing of."""
    found: list[tuple[str, str]] = []
    for username in USERS:
        queue, visited = ["/"], set[str]()
        while queue and len(visited) < CRAWL_LIMIT:
            url = queue.pop(0)
            if url in visited:
                continue
            visited.add(url)
            client.cookies.clear()
            client.cookies.set(COOKIE, cookies[username])
            answer = client.get(url, follow_redirects=False)
            location = answer.headers.get("location", "")
            if answer.is_redirect and location.startswith("/"):
                queue.append(location)
            if answer.status_code != 200 or not answer.headers.get("content-type", "").startswith("text/html"):
                continue
            found.append((url, username))
            for link in LINK.findall(answer.text):
                link = html.unescape(link)
                if not link.startswith((*SKIPPED_PREFIXES, "/signin", "/signout")):
                    queue.append(link)
    return found


def matcher(template: str) -> re.Pattern[str]:
    """The template as a pattern of the path (the query aside): ``{name}`` is one segment."""
    parts = re.split(r"({\w+(?::\w+)?})", template)
    pattern = "".join(
        ("[^?]+" if part.endswith(":path}") else "[^/?]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{pattern}(?:\\?.*)?$")


def choose(
    client: TestClient,
    cookies: dict[str, str],
    template: str,
    candidates: list[dict[str, str]],
    owners: dict[str, str],
    crawled: list[tuple[str, str]],
) -> tuple[str, str, int] | None:
    """(url, user, status) of the first user and path values that open the page, or None: a page
    reached by a link (by the user whose home it is, if it is one), else the demo's path values."""
    pattern = matcher(template)
    reached = [(url, user) for url, user in crawled if pattern.match(url)]
    if reached:
        link, user = next(((u, who) for u, who in reached if owners.get(u) == who), reached[0])
        return link, user, 200
    for values in candidates:
        url = fill(template, values)
        if url is None:
            continue
        for username in sorted(USERS, key=lambda user: user != owners.get(str(url))):
            status = _get(client, cookies[username], url)
            if status == 200 or (status == 303 and template == "/"):
                return url, username, status
    return None


def time_pages(config: BenchConfig, kind: str) -> dict[str, Any]:
    with provision(kind, config.pg_host, config.pg_port) as target, demo_site(target.url) as (client, clock, cookies):
        assert isinstance(client.app, ServerClock) and isinstance(client.app.app, FastAPI)
        candidates = path_values(client.app.app.state.platform)
        owners = homes(client, cookies)
        crawled = crawl(client, cookies)
        pages: list[dict[str, Any]] = []
        skipped: list[dict[str, str]] = []
        for template in page_routes(client.app.app):
            chosen = (
                (f"{template}", "", 200)
                if template == "/signin"
                else choose(client, cookies, template, candidates, owners, crawled)
            )
            if chosen is None:
                skipped.append({"path": template, "why": "no demo user and path values open it (200)"})
                continue
            url, username, _ = chosen
            cookie = cookies.get(username)
            for _ in range(config.page_warmup):
                _get(client, cookie, url)
            samples: list[float] = []
            statuses: dict[str, int] = {}
            for _ in range(config.page_requests):
                answered = _get(client, cookie, url)
                samples.append(clock.last)
                statuses[str(answered)] = statuses.get(str(answered), 0) + 1
            ms = Summary.of(samples).scaled(1000)
            # A workbook download is a file built on request, not a page a user waits to read: timed, no goal.
            download = template.endswith(".xlsx")
            pages.append({"path": template, "url": url, "user": username or "anonymous", "statuses": statuses,
                          "ms": ms.to_json(), "download": download,
                          "meets_goal": download or ms.p95 <= GOAL_P95_MS})  # fmt: skip
            progress(f"{kind}: page {url} as {username or '-'}: p50 {ms.median:.1f} ms, p95 {ms.p95:.1f} ms")
    worst = max((page["ms"]["p95"] for page in pages), default=float("nan"))
    return {"pages": pages, "skipped": skipped, "goal_p95_ms": GOAL_P95_MS, "worst_p95_ms": worst,
            "all_meet_goal": all(page["meets_goal"] for page in pages)}  # fmt: skip


# ------------------------------------------------------------------------------ slider


def replay_step(
    service: Platform, principal: Principal, year: int, instant: datetime, since: datetime | None
) -> list[dict[str, Any]]:
    """One step of the slider as the leader's page reads it (``/rankings/replay``): the ranking
    as of ``instant`` with how far each rank moved since the previous step."""
    return page_ranking(service, principal, year, instant, None, since=since).rows


STEP_READ = replay_step
LEADER = Principal("bench.leader", (Grant("leader", None),))


def month_ends(year: int) -> list[datetime]:
    """The last instant of each month, Beijing time (the slider's monthly steps)."""
    firsts = [date(year + month // 12, month % 12 + 1, 1) for month in range(1, 13)]
    return [start_of_day(first) - timedelta(microseconds=1) for first in firsts]


def time_slider(config: BenchConfig, kind: str) -> dict[str, Any]:
    codes = scheme.county_codes(config.slider_counties)
    timeline = tt_timeline.build(codes, 12, config.seed, config.tt_correction_rate, config.tt_overrides_per_year)
    with provision(kind, config.pg_host, config.pg_port) as target, tt_rebuild.open_platform(target.url) as service:
        progress(f"{kind}: slider: {len(timeline.steps):,} commands for {len(codes)} counties × 12 months")
        loaded = tt_timeline.load(service.ledger, timeline)
        began = time.perf_counter()
        service.projections.catch_up()
        projected = time.perf_counter() - began
        progress(f"{kind}: slider: loaded in {loaded.seconds:.1f} s, read models caught up in {projected:.1f} s")
        steps = month_ends(tt_timeline.FIRST_YEAR)
        befores = [None, *steps[:-1]]
        for instant, since in zip(steps, befores, strict=True):  # warm-up: one read of each step
            STEP_READ(service, LEADER, tt_timeline.FIRST_YEAR, instant, since)
        samples: dict[int, list[float]] = {index: [] for index in range(len(steps))}
        shown: dict[int, list[dict[str, Any]]] = {}
        for _ in range(config.slider_reads):  # the slider played through, again and again
            for index, (instant, since) in enumerate(zip(steps, befores, strict=True)):
                began = time.perf_counter()
                shown[index] = STEP_READ(service, LEADER, tt_timeline.FIRST_YEAR, instant, since)
                samples[index].append(time.perf_counter() - began)
    rows = []
    previous: dict[str, int] = {}
    for index, instant in enumerate(steps):
        ranks = {row["county"]: row["rank"] for row in shown[index]}
        moved = sum(1 for county, rank in ranks.items() if previous.get(county, rank) != rank)
        summary = Summary.of(samples[index]).scaled(1000)
        rows.append({"month": f"{instant.year}-{instant.month:02d}", "as_of": instant.isoformat(),
                     "counties": len(ranks), "ranks_moved": moved, "ms": summary.to_json()})  # fmt: skip
        previous = ranks
    every = [value for values in samples.values() for value in values]
    return {"counties": len(codes), "commands": len(timeline.steps), "load_seconds": round(loaded.seconds, 2),
            "catch_up_seconds": round(projected, 2), "reads_per_step": config.slider_reads,
            "read": f"{STEP_READ.__module__}.{STEP_READ.__name__}", "steps": rows,
            "step_ms": Summary.of(every).scaled(1000).to_json()}  # fmt: skip


def run(config: BenchConfig, kind: str) -> dict[str, Any]:
    began = time.perf_counter()
    result: dict[str, Any] = {"pages": time_pages(config, kind), "slider": time_slider(config, kind)}
    result["seconds"] = round(time.perf_counter() - began, 1)
    return result
