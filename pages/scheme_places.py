"""Where in an uploaded scheme a problem lies, in words: 指标“1.1”的权重.

The reader names an indicator by its place in the file (``indicators[0].weight``), the tree's
rules by its code (``indicators.1.method``, ``weights.1``); the API keeps both in ``field``.
The page says one thing for both: the indicator by its code (looked up in the uploaded file
when the reader gave a place), the part by its Chinese name.
"""

from __future__ import annotations

import re
from typing import Any

PARTS = {"weight": "权重", "method": "评分方法", "parent": "上级指标", "code": "编号", "name": "名称",
         "kind": "类别", "unit": "单位", "sign": "加减分方向", "range": "取值范围", "frequency": "填报频率",
         "aggregate": "汇总方式", "direction": "指标方向", "county_adjustable": "县可调整范围",
         "target": "目标值", "type": "类型"}  # fmt: skip
TOP = {"id": "方案编号", "year": "年度", "name": "方案名称", "authorities": "认定机构顺序", "composites": "综合得分",
       "indicators": "指标"}  # fmt: skip
BY_PLACE = re.compile(r"^indicators\[(\d+)\](?:\.(.+))?$")
BY_CODE = re.compile(r"^indicators\.(.+?)(?:\.(" + "|".join(PARTS) + r"))?$")
WEIGHTS = re.compile(r"^weights(?:\.(.+))?$")


def place(field: str, document: Any) -> str:
    """The problem's place in words; the field as given when it is none of an indicator's."""
    found = BY_PLACE.match(field)
    if found:
        index, rest = int(found.group(1)), found.group(2)
        return _part(_indicator_by_place(document, index), rest)
    found = BY_CODE.match(field)
    if found:
        return _part(f"指标“{found.group(1)}”", found.group(2))
    found = WEIGHTS.match(field)
    if found:
        return f"指标“{found.group(1)}”的下级指标权重" if found.group(1) else "一级指标权重"
    head, _, rest = field.partition(".")
    return _part(TOP[head], rest or None) if head in TOP else field


def _indicator_by_place(document: Any, index: int) -> str:
    items = document.get("indicators") if isinstance(document, dict) else None
    item = items[index] if isinstance(items, list) and index < len(items) else None
    code = item.get("code") if isinstance(item, dict) else None
    return f"指标“{code}”" if isinstance(code, str) and code.strip() else f"第 {index + 1} 个指标"


def _part(indicator: str, rest: str | None) -> str:
    if not rest:
        return indicator
    words = [PARTS.get(segment.split("[", 1)[0], segment) for segment in rest.split(".")]
    return "的".join([indicator, *words])
