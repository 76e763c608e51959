"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.context import platform
from api.models import ReadinessOut
from ruraleval.platform import Platform

router = APIRouter(tags=["运行状态 health"])


@router.get("/healthz", summary="进程存活")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadinessOut, summary="存储可用；各投影落后事件日志多少")
def readyz(service: Platform = Depends(platform)) -> JSONResponse:
    try:
        head = service.ledger.head()
        positions = service.projections.positions()
    except Exception as error:  # the store does not answer: not ready, and say why
        body = {
            "ready": False,
            "store": service.store.kind,
            "head": 0,
            "projections": {},
            "error": type(error).__name__,
        }
        return JSONResponse(body, status_code=503)
    projections = {name: {"position": position, "lag": head - position} for name, position in positions.items()}
    return JSONResponse({"ready": True, "store": service.store.kind, "head": head, "projections": projections})
