"""Liveness and readiness."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.context import one_hop, platform
from api.models_audit import ReadinessOut
from ruraleval.platform import Platform

log = structlog.get_logger("ruraleval.api")
router = APIRouter(tags=["运行状态 health"])


@router.get("/healthz", summary="进程存活")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    responses={503: {"model": ReadinessOut, "description": "存储不可用"}},
    summary="存储可用；各投影落后事件日志多少",
)
@one_hop
def readyz(service: Platform = Depends(platform)) -> JSONResponse:
    try:
        head = service.ledger.head()
        # Following another process or a replica: the positions reads are answered at (ADR 28).
        positions = service.progress.positions() if service.follower else service.projections.positions()
    except Exception as error:  # the store does not answer: not ready, and the log says why
        log.warning("not_ready", error=type(error).__name__)
        body = {"ready": False, "store": service.store.kind, "head": 0, "projections": {}}
        return JSONResponse(body, status_code=503)
    failures = service.progress.failures()
    projections = {
        name: {"position": position, "lag": head - position, "failure": failures.get(name)}
        for name, position in positions.items()
    }
    reads_from = "replica" if service.routed is not None and service.routed.up else "primary"
    body = {"ready": True, "store": service.store.kind, "head": head, "projections": projections,
            "projected_by": service.mode, "reads_from": reads_from}  # fmt: skip
    return JSONResponse(body)
