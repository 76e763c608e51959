"""The leader's tables, built once for the page and its Excel download (``pages.downloads``).

Each builder turns a read (``pages.reads_leader``) into a ``Table`` of plain values in the
order the page shows its columns. Whose result stands for an overridden figure is written
out in words (``mark_text``), so a downloaded ranking says it as the page does.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

from domain.recorded_time import CHINA
from domain.warnings import LEVEL_LABELS
from pages.downloads import Table
from pages.formats import day, number
from pages.reads_leader import CountyScores, LeaderRanking


def when(as_of: datetime | None) -> str:
    """The caption's "as of" in words: 截至 2023年6月30日日终（记录时间）, or 当前."""
    if as_of is None:
        return "当前"
    local = as_of.astimezone(CHINA)
    if local.time() == time.max:  # a date was asked for: the end of that Beijing day
        return f"截至 {day(local)}日终（记录时间）"
    fraction = f".{local.microsecond:06d}".rstrip("0") if local.microsecond else ""
    return f"截至 {day(local)} {local:%H:%M:%S}{fraction}（记录时间）"  # to the second asked: 10:59:59, not 10:59


def result_text(result: dict[str, Any] | None) -> str:
    if result is None:
        return "计算结果"
    return f"{result['authority_label']}结果 {number(result['score'])} 分"


def mark_text(mark: dict[str, Any]) -> str:
    """One overridden or superseded figure in words: whose result stands, and what it superseded."""
    label = mark["node"] if mark["node"] == mark["name"] else f"{mark['node']} {mark['name']}"
    if mark["node"] == "total":
        label = "总分"
    text = f"{label}：以{result_text(mark['standing'])}为准" if mark["standing"] else f"{label}：以计算结果为准"
    if mark["beneath"]:
        text += "（" + "、".join(result_text(item) for item in mark["beneath"]) + "被取代）"
    return text


def ranking_table(ranking: LeaderRanking, region_label: str | None) -> Table:
    scope = f"，{region_label}" if region_label else ""
    title = f"{ranking.year}年度得分排名（{when(ranking.as_of)}{scope}）"
    headers = ["排名", "县", "行政区划代码", "省份", "分区", "分区排名", "总分（分）", "等级", "调整情况"]
    rows = [
        [row["rank"], row["name"], row["county"], row["province"], row["region_label"], row["region_rank"],
         row["total"], row["grade"], "；".join(mark_text(mark) for mark in row["marks"])]
        for row in ranking.rows
    ]  # fmt: skip
    return Table(title, headers, rows)


def grid_columns(grid: dict[str, Any]) -> list[tuple[str, str]]:
    """The dimensions of the grid, in the order the counties' schemes list them."""
    seen: dict[str, str] = {}
    for region in grid["regions"]:
        for county in region["counties"]:
            for cell in county["cells"]:
                seen.setdefault(cell["dimension"], cell["dimension_name"])
    return list(seen.items())


def grid_table(grid: dict[str, Any], as_of: datetime | None) -> Table:
    columns = grid_columns(grid)
    headers = ["分区", "县", "行政区划代码", *(f"{code} {name}" for code, name in columns), "合计", "最高等级"]
    rows = []
    for region in grid["regions"]:
        for county in region["counties"]:
            counts = {cell["dimension"]: cell["total"] for cell in county["cells"]}
            rows.append([region["region_label"], county["county_name"], county["county"],
                         *(counts.get(code, 0) for code, _ in columns), county["total"],
                         LEVEL_LABELS.get(county["worst"] or "", "无预警")])  # fmt: skip
    return Table(f"{grid['year']}年度网格化预警（按 {day(grid['at'])} 判断截止日期，{when(as_of)}）", headers, rows)


def scores_table(county: dict[str, Any], scores: CountyScores, as_of: datetime | None) -> Table:
    card = scores.card
    headers = ["指标编号", "指标", "层级", "数值", "单位", "得分（分）", "计算得分（分）", "满分（分）", "调整情况"]
    rows: list[list[Any]] = []
    for node in card["nodes"]:
        unit = scores.units.get(node["code"], "") if node["value"] is not None else ""
        rows.append([node["code"], node["name"], node["level"], node["value"], unit, node["score"], node["computed"],
                     node["max"], node_mark(node)])  # fmt: skip
    rows.append(["total", "总分", 0, None, "", card["total"], card["computed_total"], Decimal(100), total_mark(card)])
    return Table(f"{county['name']}{card['year']}年度各级指标得分（{when(as_of)}）", headers, rows)


def node_mark(node: dict[str, Any]) -> str:
    return _mark(node.get("override"), node.get("superseded") or [])


def total_mark(card: dict[str, Any]) -> str:
    return _mark(card.get("total_override"), card.get("total_superseded") or [])


def _mark(standing: dict[str, Any] | None, beneath: list[dict[str, Any]]) -> str:
    if standing is None and not beneath:
        return ""
    text = f"以{result_text(standing)}为准" if standing else "以计算结果为准"
    if standing is not None:
        text += f"（{standing['actor']}，{standing['reason']}）"
    if beneath:
        text += "；" + "、".join(result_text(item) for item in beneath) + "被取代"
    return text


def months_table(county: dict[str, Any], scores: CountyScores, as_of: datetime | None) -> Table:
    headers = ["月份", "总分（分）", *(f"{d['code']} {d['name']}（分）" for d in scores.dimensions)]
    rows = [[point["label"], point["total"], *(point["scores"][d["code"]] for d in scores.dimensions)]
            for point in scores.months]  # fmt: skip
    title = f"{county['name']}{scores.card['year']}年度各月末得分（{when(as_of)}）"
    return Table(title, headers, rows)


def comparison_table(county: dict[str, Any], scores: CountyScores, as_of: datetime | None) -> Table:
    region = county["region_label"]
    headers = ["一级指标", "本县得分（分）", f"{region}平均（分）", f"{region}最高（分）", "满分（分）", "调整情况"]
    rows = [[f"{row['code']} {row['name']}", row["score"], row["mean"], row["best"], row["max"], node_mark(row["node"])]
            for row in scores.comparison]  # fmt: skip
    title = f"{county['name']}与{county['region_label']}{scores.region_counties}个县的一级指标得分对比（{when(as_of)}）"
    return Table(title, headers, rows)
