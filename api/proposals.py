"""Change proposals (变更申请): the county proposes, an evaluator of its team decides (ADR 20)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.context import one_hop, platform
from api.dependencies import allowed, record
from api.models import Body, ReasonIn, Text, Year
from api.models_counties import Recorded
from api.schemes import plain_numbers
from domain import commands as c
from domain import proposals
from domain.access import Action
from domain.state import Proposal
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["变更申请 proposals"])

CHANGE_DESCRIPTION = """所申请变更的内容，与直接修改的接口相同：
- adjust_weights：`{"parent": "3", "weights": {"3.1": 6, "3.4": 4}}`
  （方案标为 county_adjustable 的分支内，各下级占比在其范围内）
- define_indicator：`{"indicator": {个性指标定义}, "sibling_weights": {…}}`
- revise_indicator：`{"code": "3.9", "changes": {"method": {…}}}`（仅本县个性指标）
- retire_indicator：`{"code": "3.9", "sibling_weights": {…}}`（仅本县个性指标）"""


class ProposalIn(Body):
    kind: Literal["define_indicator", "revise_indicator", "retire_indicator", "adjust_weights"] = Field(
        description="define_indicator 新增个性指标 / revise_indicator 修订个性指标 / "
        "retire_indicator 停用个性指标 / adjust_weights 调整权重",
        examples=["adjust_weights"],
    )
    change: dict[str, Any] = Field(description=CHANGE_DESCRIPTION, examples=[{"parent": "3", "weights": {"3.1": 6}}])
    reason: Text
    year: Year | None = Field(default=None, ge=2000, le=2100)


class ProposalOut(BaseModel):
    id: str
    year: int
    kind: str
    kind_label: str
    summary: str
    change: dict[str, Any]
    reason: str
    proposed_by: str
    proposed_at: datetime
    status: str = Field(description="pending / approved / rejected / withdrawn")
    status_label: str = Field(description="待审核 / 已批准 / 已驳回 / 已撤回")
    decided_by: str | None = Field(description="批准、驳回或撤回的人")
    decided_at: datetime | None
    decision_reason: str | None


class ProposalsOut(BaseModel):
    county: str
    year: int
    proposals: list[ProposalOut]


@router.post("/{code}/proposals", status_code=201, response_model=Recorded,
             dependencies=allowed(Action.PROPOSE_CHANGES),
             summary="提交变更申请（本县个性指标、方案允许县调整的权重）；经本县评估组批准后生效")  # fmt: skip
async def propose_change(
    code: str, body: ProposalIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.ProposeChange(body.kind, body.change, body.reason, body.year))


@router.get("/{code}/proposals", response_model=ProposalsOut, dependencies=allowed(Action.READ),
            summary="变更申请列表（status：pending 待审核 / approved 已批准 / rejected 已驳回 / "
                    "withdrawn 已撤回）")  # fmt: skip
@one_hop
def list_proposals(
    code: str,
    status: Literal["pending", "approved", "rejected", "withdrawn", "all"] = Query(
        "all", description="pending / approved / rejected / withdrawn / all"
    ),
    year: Year | None = Query(None, ge=2000, le=2100),
    service: Platform = Depends(platform),
) -> ProposalsOut:
    book = service.ledger.county(code).book(year)
    found = [proposal_out(book.scheme.year, p) for p in reversed(book.proposals.values())
             if status in ("all", p.status)]  # fmt: skip
    return ProposalsOut(county=code, year=book.scheme.year, proposals=found)


def proposal_out(year: int, proposal: Proposal) -> ProposalOut:
    return ProposalOut(
        id=proposal.id,
        year=year,
        kind=proposal.kind,
        kind_label=proposals.KIND_LABELS[proposal.kind],
        summary=proposals.describe(proposal),
        change=plain_numbers(proposal.change),
        reason=proposal.reason,
        proposed_by=proposal.proposed_by,
        proposed_at=proposal.proposed_at,
        status=proposal.status,
        status_label=proposals.STATUS_LABELS[proposal.status],
        decided_by=proposal.decided_by or None,
        decided_at=proposal.decided_at,
        decision_reason=proposal.decision_reason or None,
    )


@router.post("/{code}/proposals/{proposal_id}/approve", response_model=Recorded,
             dependencies=allowed(Action.DECIDE_PROPOSALS),
             summary="批准变更申请（本县评估组或中心专班，须填写理由）：按当前指标体系重新检查后生效")  # fmt: skip
async def approve_proposal(
    code: str, proposal_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.ApproveProposal(proposal_id, body.reason))


@router.post("/{code}/proposals/{proposal_id}/reject", response_model=Recorded,
             dependencies=allowed(Action.DECIDE_PROPOSALS), summary="驳回变更申请（须填写理由）")  # fmt: skip
async def reject_proposal(
    code: str, proposal_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.RejectProposal(proposal_id, body.reason))


@router.post("/{code}/proposals/{proposal_id}/withdraw", response_model=Recorded,
             dependencies=allowed(Action.PROPOSE_CHANGES), summary="撤回本县的变更申请（须填写理由）")  # fmt: skip
async def withdraw_proposal(
    code: str, proposal_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.WithdrawProposal(proposal_id, body.reason))
