"""The FastAPI application: one platform per process, opened and closed with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

import pages
import pages.docs
from api import (
    analysis,
    audit,
    auth,
    consequences,
    counties,
    feedback,
    health,
    imports,
    organisation,
    passwords,
    problems,
    proposals,
    reads,
    rectification,
    reports,
    schemes,
    warnings,
)
from api import composite_inputs as composite_input_routes
from api import town_outcomes as town_outcome_routes
from api import verification as town_verification
from api import verification_corrections as town_corrections
from api.context import RequestContext, normalised_path
from api.headers import SecurityHeaders
from ruraleval import __version__
from ruraleval.platform import Platform

DESCRIPTION = """
乡村振兴百县示范创建监测评估平台 API。

每一项指标定义、权重调整、数据报送、得分调整、加减分都是县事件流中不可更改的事件；
得分与排名由事件计算得出。数值可以用 JSON 数字或字符串提交（字符串可保留任意精度）。
错误以 `application/problem+json` 返回，`errors` 中列出字段（field）与违反的规则（rule）。
"""


class RuralEvalApp(FastAPI):
    """FastAPI with the security headers outermost: Starlette answers a 500 (and a body
    over its size limit) in middleware outside the user middleware, whose answers
    ``add_middleware`` would never see."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), [pages.docs.DOCS, pages.docs.OAUTH2_REDIRECT])


# Seconds. The writer's batch on SQLite makes many more short waits than on PostgreSQL
# (every statement), so it needs the interpreter back sooner to keep pace beside busy
# readers (ADR 24 has the measured trade-off between the two).
SWITCH_INTERVAL = {"sqlite": 0.0001, "postgresql": 0.0005}
# An API process that does not project (RURALEVAL_PROJECTIONS=external, ADR 28) has no projection
# thread to hand the interpreter to: Python's own 5 ms kept reads at 0.58-0.74 of their rate
# beside 4 writers (p99 84-103 ms) against 0.34-0.41 (p99 ~150 ms) at 0.5 ms, writes/s no lower.
EXTERNAL_SWITCH_INTERVAL = 0.005


def switch_interval(kind: str, projections: str = "thread") -> float:
    """``RURALEVAL_SWITCH_INTERVAL`` (seconds) if set, to compare settings; else the store's and layout's."""
    import os

    configured = os.environ.get("RURALEVAL_SWITCH_INTERVAL")
    if configured:
        return float(configured)
    if projections == "external" and kind == "postgresql":
        return EXTERNAL_SWITCH_INTERVAL
    return SWITCH_INTERVAL.get(kind, 0.0005)


def serve_worker() -> FastAPI:
    """The factory ``ruraleval serve`` hands uvicorn (``factory=True``): each worker process
    calls it, so each configures its logs and switch interval and opens its own platform from
    the environment (``RURALEVAL_DATABASE_URL``, ``RURALEVAL_SECRET_KEY``,
    ``RURALEVAL_PROJECTIONS``, ``RURALEVAL_READ_DATABASE_URL``; ADR 28)."""
    import sys

    from ruraleval.logs import configure_logging, worker_name
    from ruraleval.settings import database_url, parse_database_url, projections_mode

    configure_logging(worker=worker_name("api"))
    sys.setswitchinterval(switch_interval(parse_database_url(database_url()).kind, projections_mode()))
    app = create_app()
    prepare_routes(app)  # here, not in create_app: ~1 s that each of the tests' many apps need not pay
    return app


def prepare_routes(app: FastAPI) -> None:
    """FastAPI prepares an included router's routes the first time a request is matched against
    them, ~5 ms a route: the first request to pass them all (a 404) held the event loop ~0.6 s
    (1.2 s in a test client), and every request behind it. Matching a path that no route takes,
    against every route, prepares them all before the server takes requests."""
    nowhere = {"type": "http", "path": "/\x00", "method": "GET", "root_path": "", "headers": [], "query_string": b""}
    for route in app.router.routes:
        route.matches(dict(nowhere))


def create_app(make_platform: Callable[[], Platform] = Platform, *, background: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = make_platform()
        service.check_production_ready()
        if background:
            service.start_background_projections()
        app.state.platform = service
        try:
            yield
        finally:
            service.close()

    app = RuralEvalApp(
        title="RuralEval 乡村振兴监测评估平台",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(normalised_path)],
        # An empty path segment (/indicators/ for /indicators/{indicator}) is a 404 problem, not a
        # 307 to a route that takes another method and would answer 405 to the body sent again.
        redirect_slashes=False,
        # /docs is served by pages.docs from the platform's own files (no CDN); no ReDoc.
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(RequestContext)
    problems.install(app)
    # Routes are matched in order, each candidate costing FastAPI a few microseconds twice over:
    # the busiest (liveness, scores, submissions) come first: liveness at the
    # twentieth router took 1,400 requests/s, first 2,800. No path of one router is matched
    # by another's, so the order changes nothing else.
    app.include_router(health.router)
    for module in (
        reads,
        counties,
        auth,
        schemes,
        proposals,
        feedback,
        imports,
        organisation,
        passwords,
        audit,
        warnings,
        analysis,
        reports,
        rectification,
        consequences,
    ):
        reads_of = (reads, warnings, analysis, rectification, consequences)
        answers = problems.RESPONSES | (problems.READ_RESPONSES if module in reads_of else {})
        app.include_router(module.router, responses=answers)
    for module in (town_verification, composite_input_routes):  # issue 13: towns (ADR 27), composite inputs
        app.include_router(module.router, responses=problems.RESPONSES)
    for module in (town_outcome_routes, town_corrections):  # issue 13: the towns' results used; corrections
        app.include_router(module.router, responses=problems.RESPONSES)
    pages.install(app)
    return app
