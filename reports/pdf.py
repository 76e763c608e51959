"""The report (评估报告) and the rectification notice (一书) as PDF, compiled by Typst (ADR 25).

The templates under ``reports/templates`` read one JSON value (``sys.inputs.view``: every
figure already written as it is shown) and the charts' SVG; data never becomes Typst markup,
so a county name or a free text cannot inject any. Typst sees only the report font's
folder (no system fonts), and the PDF's creation date is the report's ``as_of``: the same
report gives the same bytes on any machine with the same font.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import typst

from domain.recorded_time import CHINA
from reports import charts
from reports.content import Report, content_sha256, file_stem
from ruraleval.settings import ConfigurationError, report_font

TEMPLATES = Path(__file__).parent / "templates"
ISSUER = "乡村振兴百县示范创建监测评估平台"
FAMILY = "Noto Sans CJK SC"
_lock = threading.Lock()
_fonts: dict[str, typst.Fonts] = {}


def fonts() -> typst.Fonts:
    """The report font's folder, scanned once per process (Typst takes folders, not files)."""
    path = report_font()
    with _lock:
        found = _fonts.get(path)
        if found is None:
            found = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False,
                                font_paths=[os.path.dirname(path)])  # fmt: skip
            if FAMILY not in found.families():
                raise ConfigurationError(f"{path} 所在目录中没有字体“{FAMILY}”/ no {FAMILY} font beside {path}")
            _fonts[path] = found
    return found


def _compile(template: str, inputs: dict[str, str], report: Report) -> bytes:
    return compile_typst(template, inputs, report.as_of)


def compile_typst(template: str, inputs: dict[str, str], as_of: datetime) -> bytes:
    """A template of ``reports/templates`` with the report font only, dated ``as_of`` (same bytes)."""
    compiler = typst.Compiler(root=str(TEMPLATES), font_paths=fonts(), ignore_system_fonts=True)
    output = compiler.compile(str(TEMPLATES / template), sys_inputs=inputs, timestamp=int(as_of.timestamp()))
    assert isinstance(output, bytes)
    return output


def report_pdf(report: Report) -> bytes:
    drawn = charts.charts(report)
    inputs = {"view": _json(view(report))} | {name: svg for name, svg in drawn.items()}
    return _compile("report.typ", inputs, report)


def notice_pdf(report: Report) -> bytes:
    return _compile("notice.typ", {"view": _json(view(report))}, report)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# ---------------------------------------------------------------------- the view


def score(value: Decimal | None) -> str:
    """A score (and every figure of the gap table) as shown: two places; "—" when there is none."""
    return "—" if value is None else f"{value:.2f}"


def rank(value: int | None, count: int) -> str:
    return "—" if value is None else f"{value} / {count}"


# The figures a rule compared (``Finding.numbers``), named in Chinese; "%" after shares.
NUMBER_LABELS = {
    "value": "实际值",
    "target": "目标值",
    "score": "得分",
    "weight": "满分",
    "attainment": "得分率（%）",
    "threshold": "规则阈值",
    "rank": "排名",
    "counties": "参评县数",
    "k": "规则所取前（后）名次",
    "last_rank": "上年排名",
    "places": "名次变化",
    "region_best": "区域最优值",
    "gap": "与区域最优之差",
    "gap_pct": "差距（%）",
    "count": "条数",
}


def numbers_text(numbers: dict[str, str]) -> str:
    """The numbers behind a finding in words: 实际值：78.88；目标值：82.00…"""
    return "；".join(f"{NUMBER_LABELS.get(key, key)}：{value}" for key, value in numbers.items())


def view(report: Report) -> dict[str, Any]:
    """Every figure of the report written as shown, for the templates."""
    s = report.summary
    stem = file_stem(report)
    as_of = report.as_of.astimezone(CHINA)
    return {
        "issuer": ISSUER,
        "title": f"{report.county.name}{report.year}年度评估报告",
        "notice_title": f"{report.county.name}{report.year}年度整改通知书",
        "content_sha256": content_sha256(report),
        "as_of_text": as_of.strftime("%Y-%m-%d %H:%M:%S"),
        "county": {
            "code": report.county.code,
            "name": report.county.name,
            "province": report.county.province,
            "region_label": report.county.region_label,
        },
        "year": str(report.year),
        "scheme": report.scheme,
        "summary": {
            "total": score(s.total),
            "grade": s.grade,
            "rank_text": rank(s.rank, s.count),
            "region_rank_text": rank(s.region_rank, s.region_count),
            "indicators": str(s.indicators),
            "sentence": (
                f"{report.county.name}{report.year}年度评估总分 {score(s.total)} 分，等次为“{s.grade}”，"
                f"在全部 {s.count} 个县中排名{'第 ' + str(s.rank) if s.rank else '—'}，"
                f"在{report.county.region_label} {s.region_count} 个县中排名"
                f"{'第 ' + str(s.region_rank) if s.region_rank else '—'}。评估选出亮点 {s.highlights} 个、"
                f"问题 {s.problems} 个；截至数据截止时刻，未销号的整改事项 {s.open_items} 项。"
            ),
        },
        "dimensions": [
            {
                "code": d.code,
                "name": d.name,
                "score": score(d.score),
                "max": score(d.max),
                "share": f"{d.score / d.max * 100:.1f}%" if d.max else "—",
            }
            for d in report.dimensions
        ],
        "horizontal": [
            {
                "name": "总分" if c.node == "total" else f"{c.node} {c.name}",
                "max": score(c.max),
                "score": score(c.score),
                "rank": rank(c.rank, s.count),
                "region_rank": rank(c.region_rank, s.region_count),
                "region_mean": score(c.region_mean),
                "all_mean": score(c.all_mean),
                "all_best": score(c.all_best),
            }
            for c in report.horizontal
        ],
        "years": [
            {"year": str(p.year), "score": score(p.score), "grade": p.grade or "—", "rank": str(p.rank or "—")}
            for p in report.vertical.years
        ],
        "gap": [
            {
                "code": g.code,
                "name": g.name,
                "value": _with_unit(g.value, g.unit),
                "target": _with_unit(g.target, g.unit),
                "score": f"{score(g.score)} / {score(g.max)}",
                "lost": score(g.lost),
                "to_target": score(g.to_target),
                "to_region_best": score(g.to_region_best),
            }
            for g in report.gap
        ],
        "highlights": [
            {"label": f"亮点 {n}", "title": h.title, "numbers": numbers_text(h.numbers)}
            for n, h in enumerate(report.highlights, start=1)
        ],
        "problems": [
            {
                "id": p.id,
                "title": p.finding.title,
                "numbers": numbers_text(p.finding.numbers),
                "advice": p.finding.advice or "—",
                "requirement": p.requirement,
                "deadline": p.deadline,
                "answerer": p.answerer,
                "serious": p.finding.serious,
            }
            for p in report.problems
        ],
        "notes": list(report.notes),
        "ledger": [
            {
                "id": r.id,
                "problem": r.problem or "—",
                "requirement": r.requirement,
                "deadline": r.deadline,
                "answerer": r.answerer,
                "status_label": r.status_label,
            }
            for r in report.ledger
        ],
        "files": {"notice": f"{stem}-notice.pdf", "table": f"{stem}-table.xlsx", "ledger": f"{stem}-ledger.xlsx"},
        "consequence_rules": list(report.consequence_rules),
    }


def _with_unit(value: Decimal | None, unit: str) -> str:
    """A value of the gap table: two places, as every figure of that table, then its unit."""
    return "—" if value is None else f"{score(value)}{unit}"
