"""What caused a change of score, as plain data: codes, names, text and decimal strings.

A cause is stored with each row of the score history and answered as JSON, so it holds no
Python object: an indicator definition becomes its document (``indicator_document``), a
scheme its id, name and year, a Decimal the decimal string people write (``61.5``, never
``Decimal('61.50')`` nor ``6.15E+1``), an instant its ISO text. ``describe`` puts a cause
into Chinese words for the command line and the auditor's pages: its amounts to two places,
with their unit (a value in its indicator's, a score or points in 分).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from domain.commands import AUTHORITY_LABELS
from domain.consequences import KIND_LABELS as CONSEQUENCE_KINDS
from domain.decimals import plain
from domain.periods import FREQUENCY_LABELS
from domain.proposals import KIND_LABELS as PROPOSAL_KINDS
from domain.scheme import IndicatorDef, Scheme, indicator_document

# The event's fields a cause carries, beside its type, version, actor and reason.
CAUSE_FIELDS = ("indicator", "period", "value", "previous", "node", "score", "authority", "points", "category",
                "parent", "weights", "sibling_weights", "department", "code", "override_id", "adjustment_id",
                "scheme", "proposal_id", "kind", "change", "report_id", "item_id", "deadline")  # fmt: skip

# Every county event in words (a test checks that each one has its label).
EVENT_LABELS = {
    "CompositeInputRecorded": "录入综合得分输入项",
    "Enrolled": "县入选评估",
    "SchemeAdopted": "采用评估方案",
    "IndicatorDefined": "新增指标",
    "IndicatorRevised": "修订指标",
    "IndicatorRetired": "停用指标",
    "WeightsAdjusted": "调整权重",
    "ResponsibilityAssigned": "指定责任部门",
    "DataSubmitted": "报送数据",
    "DataCorrected": "更正数据",
    "SubmissionWithdrawn": "撤回数据",
    "ScoreOverridden": "调整得分",
    "OverrideRevoked": "撤销得分调整",
    "PointsAdjusted": "加减分",
    "PointsRevoked": "撤销加减分",
    "AnomalyFlagged": "提示数值异常波动",
    "AnomalyConfirmed": "确认异常波动",
    "SubmissionAccepted": "审核通过",
    "SubmissionReturned": "退回数据",
    "FeedbackPosted": "反馈留言",
    "FeedbackThreadClosed": "结束反馈",
    "ActionPlanRecorded": "上传行动方案",
    "BatchReceived": "批量报送",
    "PeriodClosed": "关账",
    "PeriodReopened": "重新开启期间",
    "ChangeProposed": "提交变更申请",
    "ProposalApproved": "批准变更申请",
    "ProposalRejected": "驳回变更申请",
    "ProposalWithdrawn": "撤回变更申请",
    "ConsequenceDecided": "认定挂钩结果",
    "ReportIssued": "出具评估报告",
    "RectificationRaised": "下达整改事项",
    "RectificationPlanFiled": "制定整改方案",
    "RectificationProgressReported": "报告整改进展",
    "RectificationDeclaredDone": "申报整改完成",
    "RectificationVerified": "整改核验销号",
    "RectificationRejected": "整改核验未通过",
}

FIELD_LABELS = {
    "indicator": "指标",
    "definition": "指标定义",
    "period": "期间",
    "value": "数值",
    "previous": "原值",
    "node": "节点",
    "score": "得分",
    "authority": "调整权限",
    "points": "分值",
    "category": "类别",
    "parent": "上级指标",
    "weights": "权重",
    "sibling_weights": "同级权重",
    "department": "责任部门",
    "code": "编号",
    "override_id": "得分调整编号",
    "adjustment_id": "加减分编号",
    "scheme": "评估方案",
    "proposal_id": "变更申请编号",
    "kind": "申请类别",
    "change": "申请内容",
    "proposal": "变更申请",
    "children": "变动的下级节点",
    "report_id": "报告编号",
    "item_id": "整改事项编号",
    "deadline": "整改期限",
}
_NOT_DETAILS = ("event", "label", "version", "actor", "reason")
# Amounts shown to two places: a value in its indicator's unit, a score and points in 分.
VALUE_AMOUNTS = ("value", "previous")
SCORE_AMOUNTS = ("score", "points")
CENT = Decimal("0.01")
METHOD_LABELS = {"attainment": "达成率法", "threshold": "阈值分档法", "manual": "人工评分"}
# The fields of a definition or a proposal's change, when one is shown as a mapping.
MAPPING_LABELS = {"name": "名称", "unit": "单位", "weight": "权重", "target": "目标", "baseline": "基期",
                  "method": "评分方法", "direction": "方向", "frequency": "报送频次", "range": "有效范围",
                  "aggregate": "汇总方式", "retired": "停用", "parent": "上级指标", "weights": "权重",
                  "sibling_weights": "同级权重", "code": "编号", "kind": "类别", "type": "方法"}  # fmt: skip
KIND_LABELS = {"common": "共性指标", "specific": "个性指标", "satisfaction": "认可度指标", "bonus_penalty": "加减分项"}


def plain_data(value: Any) -> Any:
    """``value`` as JSON-ready data: None, bool, int, float, str, lists and objects of them."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, IndicatorDef):
        return plain_data(indicator_document(value))
    if isinstance(value, Scheme):
        return {"id": value.id, "name": value.name, "year": value.year}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain_data(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_data(item) for item in value]
    return str(value)  # a UUID, an enumeration: its text


def cause_of(event: Any) -> dict[str, Any]:
    """The cause of the changes an event made: its type (and label), version, actor, reason, and data."""
    name = type(event).__name__
    cause: dict[str, Any] = {
        "event": name,
        "label": EVENT_LABELS.get(name, name),
        "version": event.originator_version,
        "actor": event.actor,
        "reason": getattr(event, "reason", None),
    }
    for field in _cause_fields(event):
        value = getattr(event, field)
        if isinstance(value, IndicatorDef):  # a definition: its code, like every other cause's indicator
            cause[field] = value.code
            cause["definition"] = plain_data(value)
        else:
            cause[field] = plain_data(value)
    return cause


_FIELDS_OF: dict[type, tuple[str, ...]] = {}


def _cause_fields(event: Any) -> tuple[str, ...]:
    """The CAUSE_FIELDS an event has: the same for every event of its (frozen dataclass) type."""
    fields = _FIELDS_OF.get(type(event))
    if fields is None:
        fields = _FIELDS_OF[type(event)] = tuple(field for field in CAUSE_FIELDS if hasattr(event, field))
    return fields


def describe(cause: Mapping[str, Any], units: Mapping[str, str] | None = None) -> str:
    """The data of a cause in words, in FIELD_LABELS' order: ``指标 1.2；期间 2023-05；数值 61.50 万元``
    (``units``: each indicator's unit by its code, when the caller knows them)."""
    order = {key: index for index, key in enumerate(FIELD_LABELS)}
    unit = (units or {}).get(str(cause.get("indicator") or ""), "")
    parts = []
    for key in sorted(cause, key=lambda key: (order.get(key, len(order)), key)):
        value = cause[key]
        if key in _NOT_DETAILS or value is None or value == "" or value == [] or value == {}:
            continue
        if (key in VALUE_AMOUNTS or key in SCORE_AMOUNTS) and not isinstance(value, Mapping | list):
            words = amount(value, unit if key in VALUE_AMOUNTS else "分")
        else:
            words = _words(key, value)
        label = "挂钩结果" if key == "kind" and value in CONSEQUENCE_KINDS else FIELD_LABELS.get(key, key)
        parts.append(f"{label} {words}")
    return "；".join(parts)


def amount(value: Any, unit: str = "") -> str:
    """A decimal amount to two places (``41.3`` → ``41.30``), with its unit if known."""
    try:
        shown = f"{Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    except (InvalidOperation, ValueError):  # not a finite decimal: as it was written
        return str(value)
    return f"{shown} {unit}" if unit else shown


def _words(key: str, value: Any) -> str:
    if key in ("definition", "indicator") and isinstance(value, Mapping):  # an event's stored definition
        return _definition_words(value)
    if key == "authority" and value in AUTHORITY_LABELS:
        return AUTHORITY_LABELS[value]
    if key == "proposal" and isinstance(value, Mapping):
        return f"{value.get('summary', '')}（{value.get('id', '')}，{value.get('status_label', '')}）"
    if key == "scheme" and isinstance(value, Mapping):
        return f"{value.get('name', '')}（{value.get('id', '')}，{value.get('year', '')} 年度）"
    if key == "kind" and value in PROPOSAL_KINDS:
        return PROPOSAL_KINDS[value]
    if key == "kind" and value in CONSEQUENCE_KINDS:
        return CONSEQUENCE_KINDS[value]
    if key == "change" and isinstance(value, Mapping):
        return _change_words(value)
    if isinstance(value, Mapping):  # fields by their label; codes (of weights) as "3.1 为 6"
        return "、".join(_entry_words(str(item), entry) for item, entry in value.items()) or "无"
    if isinstance(value, list):
        return "、".join(_words(key, item) for item in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _entry_words(item: str, entry: Any) -> str:
    if item in MAPPING_LABELS:
        return f"{MAPPING_LABELS[item]} {_words(item, entry)}"
    return f"{item} 为 {_words(item, entry)}"


def _change_words(change: Mapping[str, Any]) -> str:
    """A proposal's change in words, by its shape: a new indicator, weights, or an indicator's code."""
    if isinstance(change.get("indicator"), Mapping):
        extra = {"sibling_weights": change["sibling_weights"]} if change.get("sibling_weights") else {}
        return _proposed_indicator_words({**change["indicator"], **extra})
    if change.get("name"):
        return _proposed_indicator_words(change)
    if isinstance(change.get("weights"), Mapping):
        where = f"“{change['parent']}”下" if change.get("parent") else "一级指标"
        return f"{where}的权重 {_words('weights', change['weights'])}"
    if change.get("code") and change.get("changes"):
        return f"指标 {change['code']}：{_words('changes', change['changes'])}"
    if change.get("code"):
        return f"指标 {change['code']}"
    return _words("", dict(change))


def _proposed_indicator_words(change: Mapping[str, Any]) -> str:
    """A proposed indicator in words (its method's terms may sit beside its other fields)."""
    method = dict(change["method"]) if isinstance(change.get("method"), Mapping) else {}
    for name in ("type", "target", "baseline"):
        if change.get(name) is not None:
            method.setdefault(name, change[name])
    words = [_definition_words({**change, "method": method})]
    if change.get("kind") in KIND_LABELS:
        words.insert(0, KIND_LABELS[change["kind"]])
    if change.get("parent"):
        words.append(f"上级指标 {change['parent']}")
    siblings = change.get("sibling_weights")
    if isinstance(siblings, Mapping) and siblings:
        words.append("同级权重 " + "、".join(f"{code} 为 {weight}" for code, weight in siblings.items()))
    if change.get("retired"):
        words.append("停用")
    return "，".join(words)


def _definition_words(definition: Mapping[str, Any]) -> str:
    words = [f"{definition.get('code', '')} {definition.get('name', '')}".strip()]
    if definition.get("unit"):
        words.append(f"单位 {definition['unit']}")
    if definition.get("weight") is not None:
        words.append(f"权重 {definition['weight']}")
    method = definition.get("method")
    if isinstance(method, Mapping):
        terms = [METHOD_LABELS.get(str(method.get("type", "")), str(method.get("type", "")))]
        terms += [f"{label} {method[name]}" for name, label in (("target", "目标"), ("baseline", "基期")) if
                  method.get(name) is not None]  # fmt: skip
        words.append("评分 " + " ".join(terms))
    frequency = definition.get("frequency")
    if frequency in FREQUENCY_LABELS:
        words.append(f"{FREQUENCY_LABELS[frequency]}报送")
    if isinstance(definition.get("range"), list):
        low, high = definition["range"]
        words.append(f"有效范围 [{low}, {high}]")
    return "，".join(words)
