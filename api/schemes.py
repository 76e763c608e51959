"""Publishing, revising and reading evaluation schemes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from api.auth import require
from api.context import command_context, one_hop, platform
from api.models_counties import SchemeOut, SchemeRevisionIn
from domain.access import Action
from domain.scheme import usual_rules
from domain.scheme_reading import parse_scheme, read_published_document
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/schemes", tags=["评估方案 schemes"])
PUBLISH = [Depends(require(Action.PUBLISH_SCHEME, county_param=None))]

EXAMPLE = {
    "id": "example-2023",
    "name": "示例县乡村振兴示范创建评估方案（2023年度）",
    "year": 2023,
    **usual_rules(),
    "indicators": [
        {"code": "1", "name": "产业兴旺", "weight": 100},
        {
            "code": "1.1",
            "parent": "1",
            "name": "农业科技进步贡献率",
            "kind": "common",
            "unit": "%",
            "direction": "higher_better",
            "method": {"type": "attainment", "target": 61.5, "baseline": 56.7},
            "weight": 100,
            "frequency": "annual",
            "aggregate": "latest",
            "range": [0, 100],
        },
    ],
}


def plain_numbers(value: Any) -> Any:
    """Decimals as JSON numbers: integers stay integers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_numbers(item) for item in value]
    return value


@router.post("", status_code=201, response_model=SchemeOut, dependencies=PUBLISH, summary="发布评估方案")
@one_hop
def publish_scheme(
    request: Request,
    document: dict[str, Any] = Body(examples=[EXAMPLE]),
    service: Platform = Depends(platform),
) -> SchemeOut:
    scheme = read_published_document(document)
    service.ledger.publish_scheme(scheme, command_context(request))
    return SchemeOut(id=scheme.id, revision=1, scheme=plain_numbers(scheme.to_document()))


@router.post(
    "/{scheme_id}/revisions",
    response_model=SchemeOut,
    dependencies=PUBLISH,
    summary="修订评估方案（此后入选的县采用新版本）",
)
@one_hop
def revise_scheme(
    scheme_id: str, body: SchemeRevisionIn, request: Request, service: Platform = Depends(platform)
) -> SchemeOut:
    scheme = parse_scheme({**body.scheme, "id": scheme_id})
    outcome = service.ledger.revise_scheme(scheme, body.reason, command_context(request))
    return SchemeOut(id=scheme.id, revision=outcome.result["revision"], scheme=plain_numbers(scheme.to_document()))


@router.get(
    "/{scheme_id}",
    response_model=SchemeOut,
    dependencies=[Depends(require(Action.READ, county_param=None))],
    summary="查看评估方案",
)
@one_hop
def get_scheme(scheme_id: str, service: Platform = Depends(platform)) -> SchemeOut:
    published = service.ledger.scheme(scheme_id)
    return SchemeOut(id=scheme_id, revision=published.revision, scheme=plain_numbers(published.scheme.to_document()))
