"""The request path's shape (ADR 24): FastAPI adds no thread hop of its own to any API route.

A plain ``def`` route costs two worker-thread hops (the body, then the validation of its
answer); every API route is ``async``, and the blocking ones do their work in exactly
one hop (``one_hop`` or a single ``run_in_threadpool``).
"""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute

from api.app import create_app


def test_every_api_route_runs_on_the_event_loop() -> None:
    app = create_app(background=False)
    plain = [
        f"{sorted(route.methods)} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute)
        and route.path.startswith(("/api/", "/healthz", "/readyz"))
        and not inspect.iscoroutinefunction(route.endpoint)
    ]
    assert plain == []
