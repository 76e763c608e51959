"""Request and response bodies. Types are checked here; the rules live in the domain."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from domain import passwords
from domain.decimals import ZERO, within_reach
from domain.inputs import NUL_WORDS, ascii_digits_words, county_code_refusal, normalise, nul_path


def _normalised(raw: Any) -> Any:
    """Text that stands for a number, a period or a code, normalised (ADR 17); other types as sent."""
    return normalise(raw) if isinstance(raw, str) else raw


def _digits(raw: Any) -> Any:
    """Normalised, and refused when a digit of another script is left: ``int()`` and ``Decimal()``
    would read ٢٠٢٣ as 2023."""
    if not isinstance(raw, str):
        return raw
    text = normalise(raw)
    words = ascii_digits_words(text, "数值")
    if words is not None:
        # The words go through the context: a template would read braces in the input.
        raise PydanticCustomError("ascii_digits", "{words}", {"words": words})
    return text


def _county_code(code: str) -> str:
    refusal = county_code_refusal(code)
    if refusal is not None:
        raise PydanticCustomError(refusal[0], "{words}", {"words": refusal[1]})
    return code


def no_nul(text: str) -> str:
    """A form field's text without U+0000 (ADR 17; a JSON body's fields are checked by ``Body``)."""
    if "\x00" in text:
        raise PydanticCustomError("no_nul", "{words}", {"words": NUL_WORDS})
    return text


def _within_reach(value: Decimal) -> Decimal:
    if not within_reach(value):  # how large a value, score or weight may be, the domain's rules say
        raise PydanticCustomError("number_size", "{words}", {"words": "数值过大或过小，无法计算（指数须在 ±999 以内）"})
    return ZERO if value.is_zero() else value  # never -0, nor 0E-99


# Numbers arrive as JSON numbers or, for digits a float cannot hold, as strings (ASCII digits after NFKC).
Number = Annotated[
    Decimal, BeforeValidator(_digits), AfterValidator(_within_reach), Field(allow_inf_nan=False, examples=[61.5])
]
# A year sent as text is read by the same rule. (As a query parameter: ``Annotated[Year, Query(…)]``;
# FastAPI drops the validator of ``year: Year = Query(…)``.)
Year = Annotated[int, BeforeValidator(_digits)]
# A period is normalised here and judged by the domain, which names the rule (and, in a batch, the row).
Period = Annotated[
    str,
    BeforeValidator(_normalised),
    Field(max_length=16, description="2023-05、2023-Q2 或 2023", examples=["2023-05"]),
]
# A county code: normalised, then 6 digits 0–9 or refused (admin_code, ascii_digits).
CountyCode = Annotated[
    str,
    BeforeValidator(_normalised),
    AfterValidator(_county_code),
    Field(description="6 位县级行政区划代码", examples=["130425"]),
]
# A county code in the organisation's commands: normalised, and judged by the organisation's rules.
CountyCodeText = Annotated[str, BeforeValidator(_normalised), Field(max_length=16, examples=["130425"])]
Text = Annotated[str, Field(max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """No text of a body (however deep in it) holds U+0000 (ADR 17)."""
        inside = nul_path(value)
        if inside is not None:  # the field is this one; where inside it, the words say (e.g. 0.comment)
            raise PydanticCustomError("no_nul", "{words}", {"words": f"{inside} {NUL_WORDS}".lstrip()})
        return value


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


class CorrectionIn(Body):
    indicator: str
    period: Period
    value: Number
    reason: Text


class WithdrawalIn(Body):
    indicator: str
    period: Period
    reason: Text


class OverrideIn(Body):
    year: Year
    node: str = Field(description="指标编号、一级指标编号或 total", examples=["total"])
    score: Number
    authority: str = Field(
        description="county / city / province / centre；方案的 authorities 由高到低排列，低权限的结果不能替代高权限的",
        examples=["centre"],
    )
    reason: Text


class ReasonIn(Body):
    reason: Text


class OptionalReasonIn(Body):
    reason: Text = ""


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


class CountedOut(BaseModel):
    adjustment_id: str
    category: str
    kind: str = Field(description="bonus 加分 / penalty 减分")
    points: float
    counted: float = Field(description="计入得分的部分：按记录顺序填满上限，超出上限的部分不计")


class CapOut(BaseModel):
    cap: float
    before_cap: float = Field(description="封顶前合计")
    after_cap: float = Field(description="封顶后计入的合计")


class PointsOut(BaseModel):
    entries: list[CountedOut] = Field(description="年度有效（未撤销）的加减分，按记录顺序")
    bonus: CapOut
    penalty: CapOut


class AdjustmentOut(CountedOut):
    actor: str
    reason: str
    recorded_at: str


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


class SchemeOut(BaseModel):
    id: str
    revision: int
    scheme: dict[str, Any]


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


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="有效期（秒）")


class PasswordIn(Body):
    """A new password: one's own (with the current one), or another user's reset by an admin."""

    old_password: str | None = Field(
        default=None,
        max_length=passwords.MAX_LENGTH,
        description="修改自己的密码时必填（当前密码）；管理员为他人重设密码时不填",
    )
    new_password: str = Field(
        min_length=passwords.MIN_LENGTH,
        max_length=passwords.MAX_LENGTH,
        description=f"新密码，至少 {passwords.MIN_LENGTH} 个字符",
    )
    reason: str | None = Field(default=None, max_length=2000, description="管理员为他人重设密码时必填：重设理由")


class GrantIn(Body):
    role: str = Field(description="admin / evaluator / county_coordinator / department_user / leader / auditor")
    county: CountyCodeText | None = Field(default=None, description="县级管理员、责任部门用户：所属县")
    team: str | None = Field(default=None, description="评估组成员：所属评估组")
    department: str | None = Field(default=None, description="责任部门用户：部门名称")


class GrantChangeIn(GrantIn):
    reason: Text


class UserIn(Body):
    username: str = Field(examples=["zhang.san"])
    display_name: str = Field(default="", max_length=64, examples=["张三"])
    password: str = Field(
        min_length=passwords.MIN_LENGTH,
        max_length=passwords.MAX_LENGTH,
        description=f"至少 {passwords.MIN_LENGTH} 个字符",
    )
    roles: list[GrantIn] = Field(default_factory=list)


class GrantOut(BaseModel):
    id: str
    role: str
    role_label: str
    county: str | None
    team: str | None
    department: str | None
    revoked: bool


class UserOut(BaseModel):
    username: str
    display_name: str
    active: bool
    demo: bool
    grants: list[GrantOut]


class TeamIn(Body):
    code: str = Field(examples=["east-1"])
    name: str = Field(examples=["东部第一评估组"])
    region: str = Field(examples=["east"])


class TeamCountiesIn(Body):
    counties: list[CountyCodeText] = Field(
        examples=[["130425", "370783"]], description="评估组负责的全部县（替换原有名单）"
    )
    reason: Text
    region_override: bool = Field(default=False, description="确需把本区域以外的县分配给该组时设为 true")
    region_override_reason: Text | None = Field(default=None, description="跨区域分配的理由（region_override 时必填）")


class TeamOut(BaseModel):
    code: str
    name: str
    region: str
    counties: list[str]


class ApiKeyIn(Body):
    label: str = Field(max_length=100, examples=["县农业农村局数据中台"])
    indicators: list[str] = Field(default_factory=list, description="限定可报送的指标；为空表示该县全部指标")


class ApiKeyOut(BaseModel):
    id: str
    county: str
    label: str
    indicators: list[str]
    revoked: bool


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="完整密钥，仅在创建时显示一次")


class AuditEventOut(BaseModel):
    version: int
    type: str
    recorded_at: str
    actor: str
    reason: str | None
    payload: dict[str, Any]


class PrincipalOut(BaseModel):
    name: str
    kind: str
    roles: list[str]
    readable_counties: list[str] | None


class BreakOut(BaseModel):
    county: str
    version: int
    what: str


class VerificationOut(BaseModel):
    ok: bool
    events_checked: int
    problems: list[BreakOut]
    digest_matches: bool | None = None


class DigestOut(BaseModel):
    digest: str = Field(description="所有县事件流当前末端的摘要；请在系统之外记下")


class ChangeOut(BaseModel):
    recorded_at: str
    before: float | None
    after: float | None
    cause: dict[str, Any] = Field(
        description="事件类型（event）及其中文名（label）、版本、操作人、理由，以及指标、期间、数值、调整权限、"
        '变动的下级节点等；只含文本、编号和数值（十进制字符串，如 "61.5"），指标定义为其文档（definition）'
    )
    standing: ResultOut | None = Field(default=None, description="此次变化后该节点的有效结果")
    revoked: RevokedOut | None = Field(
        default=None, description="撤销事件撤销的得分调整或加减分：谁记录、谁撤销、理由"
    )
    restored: ResultOut | None = Field(
        default=None, description="撤销该节点有效的调整后恢复的结果：其下的调整或计算得分"
    )


class HistoryOut(BaseModel):
    county: str
    year: int
    node: str
    changes: list[ChangeOut]


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
