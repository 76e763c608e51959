"""Scores, rankings and their history; overrides and points with what they count."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.models import AdjustmentOut, Body, CountedOut, Number, Text, Year


class OverrideIn(Body):
    year: Year
    node: str = Field(description="指标编号、一级指标编号或 total", examples=["total"])
    score: Number
    authority: str = Field(
        description="county / city / province / centre；方案的 authorities 由高到低排列，低权限的结果不能替代高权限的",
        examples=["centre"],
    )
    reason: Text


class AdjustmentIn(Body):
    year: Year
    points: Number = Field(
        description="加分为正数，减分为负数，须与类别（加分项或减分项）一致；绝对值不超过方案的加分或减分上限，最多两位小数",
        examples=[2],
    )
    category: str = Field(description="方案中的加减分类指标编号", examples=["B1"])
    reason: Text


class ResultOut(BaseModel):
    """Whose result stands for a node: an override (who, under which authority, why, when) or the computed score."""

    source: str = Field(description="override：得分调整；computed：计算得分")
    score: float | None
    override_id: str | None = None
    authority: str | None = None
    authority_label: str | None = Field(default=None, description="权限：省级、市级、中心、县级")
    actor: str | None = None
    reason: str | None = None
    recorded_at: str | None = None


class SupersededOut(ResultOut):
    fits: bool = Field(description="得分不超过节点当前满分：其上的调整撤销后可恢复；超过时不恢复")


class RevokedOut(ResultOut):
    """What a revocation revoked: an override (source override) or an entry of points (source points)."""

    adjustment_id: str | None = None
    points: float | None = None
    category: str | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None


class CapOut(BaseModel):
    cap: float
    before_cap: float = Field(description="封顶前合计")
    after_cap: float = Field(description="封顶后计入的合计")


class PointsOut(BaseModel):
    entries: list[CountedOut] = Field(description="年度有效（未撤销）的加减分，按记录顺序")
    bonus: CapOut
    penalty: CapOut


class NodeOut(BaseModel):
    code: str
    name: str
    parent: str | None
    level: int
    kind: str
    value: float | None
    score: float
    computed: float
    max: float
    overridden: bool
    authority: str | None
    authority_label: str | None = None
    override_id: str | None
    override: ResultOut | None = Field(default=None, description="有效的得分调整：谁、何种权限、理由、时间")
    superseded: list[SupersededOut] = Field(
        default=[], description="其下未撤销的调整，按优先顺序（权限由高到低，同权限时新者在前）"
    )


class ScoresOut(BaseModel):
    as_of: str | None = Field(default=None, description="实际采用的记录时刻（有 as_of 时）")
    county: str
    name: str
    region: str
    year: int
    total: float
    computed_total: float
    bonus: float
    penalty: float
    grade: str
    total_overridden: bool
    total_authority: str | None
    total_authority_label: str | None = None
    total_override: ResultOut | None = None
    total_superseded: list[SupersededOut] = []
    bonus_cap: float | None = None
    penalty_cap: float | None = None
    bonus_before_cap: float | None = Field(default=None, description="封顶前的加分合计（bonus 为封顶后）")
    penalty_before_cap: float | None = Field(default=None, description="封顶前的减分合计（penalty 为封顶后）")
    adjustments: list[AdjustmentOut] = Field(default=[], description="年度有效的加减分及各自计入的部分")
    composites: dict[str, float | None]
    nodes: list[NodeOut]


class RankingOut(BaseModel):
    county: str
    name: str
    region: str
    province: str
    total: float
    grade: str
    rank: int
    region_rank: int


class RankingsOut(BaseModel):
    as_of: str | None = Field(default=None, description="实际采用的记录时刻（有 as_of 时）")
    year: int
    region: str | None = Field(default=None, description="只列出的分区（有 region 时）；排名仍为全部县中的名次")
    counties: list[RankingOut]
    regions: dict[str, list[RankingOut]]


class ChangeOut(BaseModel):
    recorded_at: str
    before: float | None
    after: float | None
    cause: dict[str, Any] = Field(
        description="事件类型（event）及其中文名（label）、版本、操作人、理由，以及指标、期间、数值、调整权限、"
        '变动的下级节点等；只含文本、编号和数值（十进制字符串，如 "61.5"），指标定义为其文档（definition）'
    )
    standing: ResultOut | None = Field(default=None, description="此次变化后该节点的有效结果")
    revoked: RevokedOut | None = Field(default=None, description="撤销事件撤销的得分调整或加减分：谁记录、谁撤销、理由")
    restored: ResultOut | None = Field(
        default=None, description="撤销该节点有效的调整后恢复的结果：其下的调整或计算得分"
    )


class HistoryOut(BaseModel):
    county: str
    year: int
    node: str
    changes: list[ChangeOut]
