"""Bodies of a county's commands (enrolment, indicators, submissions) and what a command recorded."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.models import Body, CountyCode, Number, Period, Text, Year
from api.models_scores import PointsOut, ResultOut


class CountyIn(Body):
    code: CountyCode
    name: str = Field(examples=["大名县"])
    province: str = Field(examples=["河北省"])
    region: str = Field(description="east / central / west", examples=["east"])
    scheme: str = Field(description="评估方案编号", examples=["demo-2023"])


class AdoptionIn(Body):
    scheme: str = Field(description="另一年度的评估方案编号", examples=["demo-2024"])


class IndicatorIn(Body):
    indicator: dict[str, Any] = Field(
        description="个性指标定义，字段同评估方案中的指标（kind 为 specific）",
        examples=[
            {
                "code": "1.9",
                "parent": "1",
                "name": "特色产业产值",
                "kind": "specific",
                "unit": "亿元",
                "direction": "higher_better",
                "method": {"type": "attainment", "target": 10},
                "weight": 2,
                "frequency": "quarterly",
                "aggregate": "sum",
                "range": [0, 100],
            }
        ],
    )
    sibling_weights: dict[str, Number] = Field(
        default_factory=dict, description="同级指标的新权重，使合计仍等于上级权重"
    )
    reason: Text
    year: Year | None = None


class IndicatorRevisionIn(Body):
    changes: dict[str, Any] = Field(
        description="name, unit, direction, method, frequency, aggregate, range 中要修改的字段"
    )
    reason: Text
    year: Year | None = None


class IndicatorRetirementIn(Body):
    sibling_weights: dict[str, Number] = Field(default_factory=dict)
    reason: Text
    year: Year | None = None


class WeightsIn(Body):
    parent: str | None = Field(description="上级指标编号；调整一级指标时为 null", examples=["1"])
    weights: dict[str, Number] = Field(examples=[{"1.1": 8, "1.2": 12}])
    reason: Text
    year: Year | None = None


class ResponsibilityIn(Body):
    department: str = Field(max_length=64, examples=["县农业农村局"])
    person: str = Field(default="", max_length=64, examples=["李四"])
    year: Year | None = None


class SubmissionIn(Body):
    indicator: str = Field(examples=["1.2"])
    period: Period
    value: Number
    source: str = Field(default="form", description="form / import / api", max_length=32)
    idempotency_key: str | None = Field(default=None, max_length=128)
    comment: Text = Field(default="", description="说明；数值异常波动时用于确认")
    reason: Text = Field(default="", description="更正理由：已有不同数据时，有更正权限者须填写，按更正记录")


class WithdrawalIn(Body):
    indicator: str
    period: Period
    reason: Text


class SchemeRevisionIn(Body):
    scheme: dict[str, Any]
    reason: Text


class Recorded(BaseModel):
    """What a command recorded: the stream version and the log position of its events."""

    county: str | None = None
    version: int | None = None
    position: int | None = None
    events: list[str] = []
    replayed: bool = False
    unchanged: bool = Field(default=False, description="与已有数据相同：未作任何记录")
    override_id: str | None = None
    adjustment_id: str | None = None
    proposal_id: str | None = Field(default=None, description="变更申请编号（提交、批准、驳回、撤回变更申请时）")
    item_id: str | None = Field(default=None, description="整改事项编号（下达整改事项时）")
    flag: str | None = Field(default=None, description="数值异常波动的提示：已接收，请填写说明确认")
    standing: ResultOut | None = Field(
        default=None, description="撤销得分调整后该节点的有效结果：其下仍有效的调整，或计算得分"
    )
    counted: float | None = Field(default=None, description="本条加减分计入得分的部分（封顶后）")
    points: PointsOut | None = Field(default=None, description="加减分后（或撤销后）年度各条加减分的计入情况和合计")


class CountyOut(BaseModel):
    code: str
    name: str
    province: str
    region: str
    region_label: str
    schemes: dict[str, str]
    enrolled_at: str


class SchemeOut(BaseModel):
    id: str
    revision: int
    scheme: dict[str, Any]
