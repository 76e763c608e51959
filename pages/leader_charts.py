"""ECharts options of the leader's charts, built in Python and passed to the page as JSON data.

``static/js/leader.js`` reads each option from a ``data-chart`` attribute and draws it: no
chart code in the templates (the CSP forbids inline script). Every chart has a table of the
same numbers beside it on the page; ``aria`` gives the chart a description of its own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pages.leader_tables import grid_columns
from pages.reads_leader import CountyScores

COLOURS = ["#14466f", "#b8312f", "#1d6b3f", "#8a5a00", "#6a3d9a", "#0b7285"]
TEXT = {"fontFamily": "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif"}


def _plain(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _base(description: str) -> dict[str, Any]:
    return {
        "aria": {"enabled": True, "label": {"description": description}},
        "color": COLOURS,
        "textStyle": TEXT,
        "animation": False,
        "tooltip": {"trigger": "item"},
    }


def grid_heatmap(grid: dict[str, Any]) -> dict[str, Any]:
    """Region × county (rows) × dimension (columns): the count of warnings in each cell."""
    columns = grid_columns(grid)
    counties = [(region, county) for region in grid["regions"] for county in region["counties"]]
    data = []
    for row, (_, county) in enumerate(counties):
        counts = {cell["dimension"]: cell["total"] for cell in county["cells"]}
        for column, (code, _) in enumerate(columns):
            data.append([column, row, counts.get(code, 0)])
    highest = max((value for *_, value in data), default=0)
    described = f"网格化预警热力图：{len(counties)} 个县、{len(columns)} 个一级指标，每格为预警数量，下表列出相同数字。"
    option = _base(described)
    return option | {
        "tooltip": {"position": "top"},
        "grid": {"left": 150, "right": 24, "top": 16, "bottom": 80},
        "xAxis": {"type": "category", "data": [f"{code} {name}" for code, name in columns], "splitArea": {"show": True},
                  "axisLabel": {"interval": 0}},
        "yAxis": {"type": "category", "inverse": True, "splitArea": {"show": True},
                  "data": [f"{region['region_label']} · {county['county_name']}" for region, county in counties]},
        "visualMap": {"min": 0, "max": max(highest, 1), "calculable": False, "orient": "horizontal", "left": "center",
                      "bottom": 8, "text": ["多", "少"],
                      "inRange": {"color": ["#f4f6f8", "#f6d365", "#e8590c", "#b8312f"]}},
        "series": [{"name": "预警数量", "type": "heatmap", "data": data,
                    "label": {"show": True, "color": "#1d2733", "textBorderColor": "#ffffff", "textBorderWidth": 3},
                    "emphasis": {"itemStyle": {"borderColor": "#1d2733", "borderWidth": 1}}}],
    }  # fmt: skip


def months_lines(scores: CountyScores) -> dict[str, Any]:
    """The total (left axis) and each dimension (right axis) at each month's end."""
    labels = [point["label"] for point in scores.months]
    series = [{"name": "总分", "type": "line", "yAxisIndex": 0, "symbolSize": 8, "lineStyle": {"width": 3},
               "data": [_plain(point["total"]) for point in scores.months]}]  # fmt: skip
    for dim in scores.dimensions:
        series.append({"name": f"{dim['code']} {dim['name']}", "type": "line", "yAxisIndex": 1, "symbolSize": 5,
                       "data": [_plain(point["scores"][dim["code"]]) for point in scores.months]})  # fmt: skip
    option = _base("各月末的总分（左轴）和各一级指标得分（右轴）折线图，下表列出相同数字。")
    return option | {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 56, "right": 56, "top": 48, "bottom": 40},
        "xAxis": {"type": "category", "data": labels, "boundaryGap": False},
        "yAxis": [{"type": "value", "name": "总分（分）", "min": 0, "max": 100},
                  {"type": "value", "name": "一级指标（分）", "min": 0, "splitLine": {"show": False}}],
        "series": series,
    }  # fmt: skip


def comparison_bars(scores: CountyScores, county_name: str, region_label: str) -> dict[str, Any]:
    """Each dimension: the county, its region's mean and its region's best, as horizontal bars."""
    names = [f"{row['code']} {row['name']}" for row in scores.comparison]
    option = _base(f"{county_name}与{region_label}平均、{region_label}最高的一级指标得分横向条形图，下表列出相同数字。")
    return option | {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 120, "right": 40, "top": 40, "bottom": 24},
        "xAxis": {"type": "value", "name": "分"},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {"name": county_name, "type": "bar", "data": [_plain(row["score"]) for row in scores.comparison]},
            {"name": f"{region_label}平均", "type": "bar", "data": [_plain(row["mean"]) for row in scores.comparison]},
            {"name": f"{region_label}最高", "type": "bar", "data": [_plain(row["best"]) for row in scores.comparison]},
        ],
    }
