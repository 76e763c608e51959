"""The audit trail, the event log pages and the service's readiness."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuditEventOut(BaseModel):
    version: int
    type: str
    recorded_at: str
    actor: str
    reason: str | None
    payload: dict[str, Any]


class DigestOut(BaseModel):
    digest: str = Field(description="所有县事件流当前末端的摘要；请在系统之外记下")


class EventOut(BaseModel):
    position: int
    version: int
    type: str
    recorded_at: str
    actor: str
    correlation_id: str
    reason: str | None
    payload: dict[str, Any]


class EventsPage(BaseModel):
    county: str
    total: int
    offset: int
    limit: int
    events: list[EventOut]


class ProjectionState(BaseModel):
    position: int = Field(description="读模型已处理到的日志位置")
    lag: int = Field(description="落后日志头部的事件数")
    failure: str | None = Field(default=None, description="最近一次更新失败的原因（失败时其查询返回 503）")


class ReadinessOut(BaseModel):
    ready: bool
    store: str
    head: int
    projections: dict[str, ProjectionState]
    projected_by: str = Field("thread", description="thread：本进程的投影线程；external：独立的投影进程")
    reads_from: str = Field("primary", description="读模型查询所用的库：primary 主库 / replica 只读副本")
