"""The report's charts as SVG, drawn by matplotlib with the same bytes every time (ADR 25).

Text is drawn as outlines (``svg.fonttype = "path"``) in the report's CJK font, so the SVG
needs no font downstream and Typst embeds it as drawn; ``svg.hashsalt`` fixes the ids and
``metadata={"Date": None}`` leaves out the clock. Figures are built without pyplot (no
global figure registry); saving them (where text is laid out) takes a lock.
"""

from __future__ import annotations

import io
import threading
from decimal import Decimal

import matplotlib

matplotlib.use("svg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from reports.content import Report
from ruraleval.settings import report_font

FAMILY = "Noto Sans CJK SC"
COUNTY, REGION, ALL, BEST = "#2f6db5", "#e39b3b", "#8c8c8c", "#3a9a5b"
_lock = threading.Lock()
_ready: set[str] = set()
# matplotlib shares its FreeType font objects between threads (``font_manager.get_font`` caches
# them): drawing, where text is laid out, is one thread at a time.
_drawing = threading.Lock()


def _prepare() -> None:
    """Registers the report font with matplotlib and fixes the SVG writer's settings (once)."""
    path = report_font()
    with _lock:
        if path in _ready:
            return
        font_manager.fontManager.addfont(path)
        matplotlib.rcParams.update(
            {
                "svg.fonttype": "path",
                "svg.hashsalt": "ruraleval-report",
                "font.family": [FAMILY],
                "font.size": 9,
                "axes.unicode_minus": False,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        )
        _ready.add(path)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with _drawing:
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _f(value: Decimal | None) -> float:
    return float(value) if value is not None else 0.0


def _share(value: Decimal | None, maximum: Decimal) -> float:
    """A score as a percentage of its node's maximum (0 when the node has none)."""
    return float(value / maximum * 100) if value is not None and maximum else 0.0


def dimension_chart(report: Report) -> str:
    """Each dimension's score against its maximum (一级指标得分)."""
    _prepare()
    dimensions = report.dimensions
    figure = Figure(figsize=(6.4, 0.5 + 0.45 * max(len(dimensions), 1)))
    axes = figure.add_subplot()
    labels = [d.name for d in dimensions]
    positions = range(len(dimensions))
    axes.barh(positions, [_f(d.max) for d in dimensions], color="#dde6f2", label="满分")
    axes.barh(positions, [_f(d.score) for d in dimensions], color=COUNTY, height=0.5, label="得分")
    for y, d in zip(positions, dimensions, strict=True):
        axes.text(_f(d.max), y, f" {d.score:.2f} / {d.max:.2f}", va="center")
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("分")
    axes.legend(ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
    return _svg(figure)


def horizontal_chart(report: Report) -> str:
    """The county against its region and all counties, per node, as a share of the maximum (横向比较)."""
    _prepare()
    rows = report.horizontal
    figure = Figure(figsize=(6.4, 2.8))
    axes = figure.add_subplot()
    width = 0.26
    xs = list(range(len(rows)))
    series = [
        ("本县", [_share(r.score, r.max) for r in rows], COUNTY),
        (f"{report.county.region_label}平均", [_share(r.region_mean, r.max) for r in rows], REGION),
        ("全部县平均", [_share(r.all_mean, r.max) for r in rows], ALL),
    ]
    for offset, (label, values, colour) in zip((-width, 0, width), series, strict=True):
        axes.bar([x + offset for x in xs], values, width, label=label, color=colour)
    axes.plot(xs, [_share(r.all_best, r.max) for r in rows], "D", color=BEST, label="全部县最高")
    axes.set_xticks(xs, ["总分" if r.node == "total" else r.name for r in rows])
    axes.set_ylabel("得分率（%）")
    axes.set_ylim(0, 105)
    axes.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    return _svg(figure)


def vertical_chart(report: Report) -> str:
    """The total year over year and month by month within the year (纵向比较)."""
    _prepare()
    vertical = report.vertical
    figure = Figure(figsize=(6.4, 2.6))
    years, months = figure.subplots(1, 2, width_ratios=[1, 2.2])
    shown = [p for p in vertical.years if p.score is not None]
    years.bar([str(p.year) for p in shown], [_f(p.score) for p in shown],
              color=[COUNTY if p.year == report.year else ALL for p in shown])  # fmt: skip
    for x, p in enumerate(shown):
        years.text(x, _f(p.score), f"{p.score:.2f}", ha="center", va="bottom")
    years.set_title("历年总分")
    years.set_ylim(0, 110)
    points = [m for m in vertical.months if m.score is not None]
    months.plot([m.month[-2:] for m in points], [_f(m.score) for m in points], "o-", color=COUNTY)
    months.set_title(f"{report.year} 年逐月总分（月末）")
    months.set_xlabel("月份")
    months.set_ylim(0, 105)
    return _svg(figure)


def charts(report: Report) -> dict[str, str]:
    return {
        "dimensions": dimension_chart(report),
        "horizontal": horizontal_chart(report),
        "vertical": vertical_chart(report),
    }
