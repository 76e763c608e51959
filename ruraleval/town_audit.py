"""A county's verification year as the auditor reads it (ADR 27): every event of its stream in
order, with who recorded it, when, its hash and the previous one (the chain ``verify`` checks),
and its fields in short. Read from the stream itself: a county's year is small."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import NotFound
from domain.scheme import AUTHORITY_LABELS
from domain.towns import COUNTY_OFFICE, COUNTY_OFFICE_LABEL, Household, Town, Village
from domain.verification import verification_id
from domain.verification_rules import ABSENCE_LABELS
from domain.verification_state import Member
from ruraleval.ledger import Ledger

SKIPPED = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "correlation_id",
           "previous_hash", "event_hash"}  # fmt: skip
MAX_SHOWN = 200  # characters of a field's value; lists and larger values are summarised

# Every verification event in words, as the county's history words its own (projections/causes.py).
EVENT_LABELS = {
    "Opened": "开始年度镇级核查",
    "ObjectsRegistered": "登记镇、村、户",
    "ObjectCorrected": "更正登记信息",
    "TeamFormed": "组建核查组",
    "TeamAssigned": "指定核查组负责的镇",
    "AbsenceRecorded": "记录缺勤、迟到、早退",
    "SampleDrawn": "抽样",
    "SampledByHigherLevel": "标记省、市抽查",
    "ScoreRecorded": "录入核查得分",
    "ScoreRevoked": "撤销核查得分",
    "TownNoticeIssued": "出具核查结果通报",
    "TownConsequenceDecided": "认定表扬或约谈",
    "TownRectificationRaised": "下达整改事项",
    "TownRectificationPlanFiled": "制定整改方案",
    "TownRectificationProgressReported": "报告整改进展",
    "TownRectificationDeclaredDone": "申报整改完成",
    "TownRectificationVerified": "整改核验销号",
    "TownRectificationRejected": "整改核验未通过",
}
FIELD_LABELS = {
    "county_code": "县代码", "county_name": "县", "year": "年度", "scheme": "核查方案",
    "towns": "镇", "villages": "村", "households": "户", "source": "来源", "filename": "文件名",
    "kind": "类别", "code": "编码", "changes": "更正内容", "reason": "理由",
    "team_id": "核查组", "name": "名称", "members": "成员", "town": "镇",
    "absence_id": "记录编号", "member": "成员", "on": "日期",
    "seed": "种子", "rules": "抽样规则", "population": "总体", "drawn": "抽中",
    "object": "对象", "authority": "结果层级", "score_id": "得分编号", "sheet": "评分表",
    "checked_on": "核查日期", "items": "各项得分", "score": "得分",
    "notice_id": "通报编号", "as_of": "数据截至", "content_sha256": "内容哈希", "file_sha256": "文件哈希",
    "result": "综合评价成绩", "grade": "等次", "rank": "名次", "problems": "问题",
    "consequence_id": "挂钩结果编号", "rule": "规则", "causes": "依据",
    "item_id": "整改事项编号", "report_id": "通报编号", "problem_id": "问题编号", "indicator": "指标",
    "problem": "问题", "requirement": "整改要求", "deadline": "整改期限", "answerer": "责任单位",
    "text": "内容", "files": "附件", "comment": "核验意见", "verified_on": "销号日期",
    "head": "户主", "poverty_relief": "脱贫村", "flags": "标识", "helped_village": "所帮扶村", "home": "来源",
}  # fmt: skip
KIND_WORDS = {"town": "镇", "village": "村", "household": "户", "notice": "来自通报", "county": "县核查办",
              "form": "表单", "workbook": "登记表", **ABSENCE_LABELS}  # fmt: skip


def shown(value: Any) -> str:
    """A field's value in short, as the API gives it: a list by its length, a record by its fields' names."""
    if isinstance(value, Decimal | int | float | bool | str) or value is None:
        text = str(value)
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, list | tuple):
        text = f"{len(value)} 项" if len(value) > 5 else "、".join(shown(item) for item in value)
    elif isinstance(value, dict):
        text = "；".join(f"{key}：{shown(item)}" for key, item in list(value.items())[:12])
    else:
        names = "、".join(list(vars(value))[:8]) if hasattr(value, "__dict__") else ""
        text = f"{type(value).__name__}（{names}）" if names else str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def words(value: Any, key: str = "") -> str:
    """A field's value in words and in short (the audit page): a list by its length, a record by its name."""
    if key == "authority" and value in AUTHORITY_LABELS:
        text = AUTHORITY_LABELS[value]
    elif key in ("kind", "source") and value in KIND_WORDS:
        text = KIND_WORDS[value]
    elif key == "team_id" and value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, Decimal | int | float | str) or value is None:
        text = "—" if value is None or value == "" else str(value)
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, list | tuple):
        text = f"{len(value)} 项" if len(value) > 5 else "、".join(words(item) for item in value) or "无"
    elif isinstance(value, dict):
        text = "；".join(f"{FIELD_LABELS.get(str(k), k)} {words(item, str(k))}" for k, item in list(value.items())[:12])
        text = text or "无"
    elif isinstance(value, Member):
        home = COUNTY_OFFICE_LABEL if value.home == COUNTY_OFFICE else value.home
        text = f"{value.name}（{home}{'，帮扶 ' + value.helped_village if value.helped_village else ''}）"
    elif isinstance(value, Town | Village):
        text = f"{value.name}（{value.code}）"
    elif isinstance(value, Household):
        text = f"{value.head}（{value.code}）"
    elif hasattr(value, "name") and isinstance(value.name, str):  # a scheme
        text = value.name
    else:
        text = "（记录）"
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def verification_events(ledger: Ledger, code: str, year: int) -> list[dict[str, Any]]:
    events: list[Any] = list(ledger.app.events.get(verification_id(code, year)))
    if not events:
        raise NotFound.of("year", "known_verification", f"县 {code} 尚未开始 {year} 年度的镇级核查")
    teams = {getattr(e, "team_id", ""): getattr(e, "name", "") for e in events if type(e).__name__ == "TeamFormed"}
    return [
        {
            "version": event.originator_version,
            "type": type(event).__name__,
            "label": EVENT_LABELS.get(type(event).__name__, type(event).__name__),
            "recorded_at": event.timestamp.isoformat(),
            "actor": getattr(event, "actor", ""),
            "correlation_id": getattr(event, "correlation_id", ""),
            "previous_hash": getattr(event, "previous_hash", ""),
            "event_hash": getattr(event, "event_hash", ""),
            "fields": {key: shown(value) for key, value in vars(event).items() if key not in SKIPPED},
            "words": [
                (
                    FIELD_LABELS.get(key, key),
                    teams.get(value, value) if key == "team_id" and value else words(value, key),
                )
                for key, value in vars(event).items()
                if key not in SKIPPED
            ],
        }
        for event in events
    ]
