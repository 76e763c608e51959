"""ECharts options of the analysis pages, built in Python and passed to the page as JSON data
(``static/js/leader.js`` draws every ``data-chart``). Each chart has a table of the same
numbers beside it; ``aria`` describes the chart in words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.decimals import round2
from pages.leader_charts import COLOURS, TEXT
from pages.reads_analysis import Across
from reports.model import Vertical


def _plain(value: Decimal | None) -> float | None:
    shown = round2(value)
    return None if shown is None else float(shown)


def _base(description: str) -> dict[str, Any]:
    return {
        "aria": {"enabled": True, "label": {"description": description}},
        "color": COLOURS,
        "textStyle": TEXT,
        "animation": False,
    }


def _line(name: str, value: Decimal | None, colour: str, dashed: bool, below: bool = False) -> dict[str, Any] | None:
    """A mean (solid) or median (dashed) line. Means are labelled at the left end, medians at the
    right, all counties' above their line and a region's below, so no two labels meet however
    close (or equal) the figures are."""
    if value is None:
        return None
    position = ("insideEnd" if dashed else "insideStart") + ("Bottom" if below else "Top")
    return {"name": name, "yAxis": _plain(value), "label": {"formatter": f"{name} {{c}}", "position": position},
            "lineStyle": {"color": colour, "type": "dashed" if dashed else "solid", "width": 2}}  # fmt: skip


def scores_bars(across: Across) -> dict[str, Any]:
    """The listed counties' scores, best first, with the mean and median of all counties (and of
    the chosen region) as lines across the bars."""
    found = across.found
    lines = [
        _line("全部县平均", found.scores.mean, "#b8312f", False),
        _line("全部县中位数", found.scores.median, "#b8312f", True),
    ]
    if across.region is not None and across.region in found.region_scores:
        label = across.region_labels.get(across.region, across.region)
        spread = found.region_scores[across.region]
        lines += [_line(f"{label}平均", spread.mean, "#1d6b3f", False, below=True),
                  _line(f"{label}中位数", spread.median, "#1d6b3f", True, below=True)]  # fmt: skip
    described = (f"{found.node_name}各县得分条形图（{len(found.counties)} 个县，名次在前），"
                 "横线为平均分和中位数，下表列出相同数字。")  # fmt: skip
    option = _base(described)
    return option | {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 56, "right": 120, "top": 32, "bottom": 72},
        "xAxis": {"type": "category", "data": [point.name for point in found.counties],
                  "axisLabel": {"interval": 0, "rotate": 30 if len(found.counties) > 8 else 0}},
        "yAxis": {"type": "value", "name": "得分（分）", "min": 0},
        "series": [{"name": "得分", "type": "bar", "data": [_plain(point.score) for point in found.counties],
                    "markLine": {"symbol": "none", "data": [line for line in lines if line is not None]}}],
    }  # fmt: skip


def years_bars(vertical: Vertical) -> dict[str, Any]:
    """The node's score in each scheme year (none where the year has no node of that code)."""
    option = _base(f"{vertical.node_name}各年度得分条形图，下表列出相同数字。")
    return option | {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 24, "top": 32, "bottom": 32},
        "xAxis": {"type": "category", "data": [f"{point.year}年" for point in vertical.years]},
        "yAxis": {"type": "value", "name": "得分（分）", "min": 0},
        "series": [{"name": "得分", "type": "bar", "data": [_plain(point.score) for point in vertical.years],
                    "barMaxWidth": 48}],
    }  # fmt: skip


def months_lines(vertical: Vertical, unit: str) -> dict[str, Any]:
    """The node's score as known at each month's end (left axis) and, for a data indicator, its
    year value as known then (right axis), ending with both as they stand at the instant asked."""
    points = list(vertical.months) + ([vertical.latest] if vertical.latest is not None else [])
    labels = [f"{int(point.month[5:])}月末" if point.month else "所查时刻" for point in points]
    series: list[dict[str, Any]] = [
        {"name": "该月末所知的得分", "type": "line", "yAxisIndex": 0, "symbolSize": 7, "lineStyle": {"width": 3},
         "data": [_plain(point.score) for point in points]},
    ]  # fmt: skip
    axes: list[dict[str, Any]] = [{"type": "value", "name": "得分（分）", "min": 0}]
    if any(point.value is not None for point in points):
        series.append({"name": "该月末所知的年度值", "type": "bar", "yAxisIndex": 1, "barMaxWidth": 24,
                       "data": [_plain(point.value) for point in points]})  # fmt: skip
        axes.append({"type": "value", "name": f"年度值{f'（{unit}）' if unit else ''}", "splitLine": {"show": False}})
    option = _base(f"{vertical.node_name}各月末所知的得分（左轴）及年度值（右轴），末项为所查时刻，下表列出相同数字。")
    return option | {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 56, "right": 64, "top": 40, "bottom": 32},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": axes,
        "series": series,
    }
