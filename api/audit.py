"""The auditor's views: chain verification, the digest of all stream heads, and a county's
verification year as events (its stream is not a county stream: ``/counties/{code}/events`` lists those)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Path, Query

from api.auth import require
from api.context import county_in_path, one_hop, platform
from api.models import VerificationOut
from api.models_audit import DigestOut
from domain.access import Action
from domain.errors import InvalidCommand
from ruraleval import town_audit
from ruraleval.audit import DigestNotRecorded, InvalidDigest, digest, verify
from ruraleval.platform import Platform

router = APIRouter(
    prefix="/api/v1/audit",
    tags=["审计 audit"],
    dependencies=[Depends(require(Action.READ_AUDIT, county_param=None))],
)


@router.get("/verify", response_model=VerificationOut, summary="重新计算每个县的哈希链，报告被改动、删除或重排的事件")
@one_hop
def verify_chains(
    expected: str | None = Query(None, alias="digest", description="此前记下的摘要：证明其之前的历史未被改动"),
    service: Platform = Depends(platform),
) -> VerificationOut:
    try:
        result = verify(service.ledger, expected)
    except DigestNotRecorded as error:
        raise InvalidCommand.of("digest", "digest_not_recorded", str(error)) from None
    except InvalidDigest as error:
        raise InvalidCommand.of("digest", "digest_format", str(error)) from None
    return VerificationOut(**asdict(result))


@router.get("/digest", response_model=DigestOut, summary="所有县事件流末端的摘要")
@one_hop
def stream_digest(service: Platform = Depends(platform)) -> DigestOut:
    return DigestOut(digest=digest(service.ledger))


@router.get("/counties/{code}/verification/{year}/events", summary="县镇级核查年度的事件流（谁、何时、哈希链）")
@one_hop
def verification_events(
    code: str, year: int = Path(ge=2000, le=2100), service: Platform = Depends(platform)
) -> list[dict[str, Any]]:
    return town_audit.verification_events(service.ledger, county_in_path(code), year)
