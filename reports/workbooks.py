"""一表 (the indicator table) and 一账 (the rectification ledger) as XLSX, by XlsxWriter (ADR 25).

Same bytes every time: the workbook's creation date is the report's ``as_of`` (XlsxWriter
stamps nothing else). Text is written with ``write_string`` and the workbook refuses to
read strings as formulas, so a cell typed "=1+1" or "@SUM(…)" stays that text; numbers are
written as numbers so a reader can sum them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import xlsxwriter

from domain.decimals import CENT
from domain.recorded_time import CHINA
from reports.content import Report, content_sha256

Cell = str | Decimal | int | None


def _workbook(report: Report, title: str) -> tuple[io.BytesIO, Any]:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    book.set_properties({
        "title": title,
        "author": "乡村振兴百县示范创建监测评估平台",
        "comments": f"数据截至 {report.as_of.astimezone(CHINA):%Y-%m-%d %H:%M:%S}（北京时间）；"
                    f"报告内容 SHA-256 {content_sha256(report)}",
        "created": report.as_of.astimezone(UTC).replace(tzinfo=None),
    })  # fmt: skip
    return buffer, book


def _sheet(
    book: Any, name: str, heading: str, columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[Cell]]
) -> None:
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True, "bg_color": "#dde6f2", "border": 1, "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    figure = book.add_format({"num_format": "0.00", "valign": "top"})
    sheet.write_string(0, 0, heading, book.add_format({"bold": True, "font_size": 13}))
    for col, (label, width) in enumerate(columns):
        sheet.write_string(2, col, label, bold)
        sheet.set_column(col, col, width)
    for r, row in enumerate(rows, start=3):
        for col, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, col, None, wrap)
            elif isinstance(value, Decimal):
                # two places, as the PDF and the pages show them (not 78.97377710116305)
                sheet.write_number(r, col, float(value.quantize(CENT, rounding=ROUND_HALF_UP)), figure)
            elif isinstance(value, int):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, value, wrap)
    sheet.freeze_panes(3, 0)
    if rows:
        sheet.autofilter(2, 0, 2 + len(rows), len(columns) - 1)


def _close(buffer: io.BytesIO, book: Any) -> bytes:
    book.close()
    return buffer.getvalue()


INDICATOR_COLUMNS = [
    ("编号", 8), ("指标", 28), ("一级指标", 12), ("单位", 8), ("方向", 10), ("实际值", 12), ("目标值", 12),
    ("满分", 8), ("得分", 8), ("失分", 8), ("距目标", 10), ("区域最优值", 12), ("区域中位数", 12), ("距区域最优", 12),
]  # fmt: skip
DIRECTIONS = {"higher_better": "越高越好", "lower_better": "越低越好"}


def indicator_table(report: Report) -> bytes:
    """一表: every data indicator's value, target, score and loss; then the summary of the year."""
    buffer, book = _workbook(report, f"{report.county.name}{report.year}年度指标表")
    when = report.as_of.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    heading = f"{report.county.name}（{report.county.code}）{report.year} 年度指标表 · 数据截至 {when}"
    rows = [
        [
            g.code,
            g.name,
            g.dimension,
            g.unit,
            DIRECTIONS.get(g.direction, g.direction),
            g.value,
            g.target,
            g.max,
            g.score,
            g.lost,
            g.to_target,
            g.region_best,
            g.region_median,
            g.to_region_best,
        ]
        for g in report.gap
    ]
    _sheet(book, "指标表", heading, INDICATOR_COLUMNS, rows)
    s = report.summary
    summary: list[list[Cell]] = [
        ["总分", s.total], ["等次", s.grade], ["全部县排名", f"{s.rank or '—'} / {s.count}"],
        [f"{report.county.region_label}排名", f"{s.region_rank or '—'} / {s.region_count}"],
    ]  # fmt: skip
    summary += [[f"{d.code} {d.name}", d.score] for d in report.dimensions]
    _sheet(book, "汇总", f"{report.county.name} {report.year} 年度评估结果", [("项目", 24), ("结果", 16)], summary)
    return _close(buffer, book)


LEDGER_COLUMNS = [
    ("编号", 10), ("来源", 10), ("报告", 10), ("问题编号", 8), ("指标", 8), ("问题", 30), ("整改要求", 36),
    ("整改期限", 12), ("责任单位", 18), ("状态", 10), ("最近一步", 14), ("最近一步日期", 12), ("销号日期", 12),
]  # fmt: skip
NOTICE_COLUMNS = [("编号", 8), ("指标", 8), ("问题", 36), ("整改要求", 40), ("整改期限", 12), ("责任单位", 18)]


def ledger(report: Report) -> bytes:
    """一账: the rectification items as of the report's instant, and the report's problems to rectify."""
    buffer, book = _workbook(report, f"{report.county.name}{report.year}年度整改台账")
    when = report.as_of.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    rows = [
        [
            r.id,
            r.source,
            r.report_id,
            r.problem_id,
            r.indicator,
            r.problem,
            r.requirement,
            r.deadline,
            r.answerer,
            r.status_label,
            r.last_step,
            r.last_step_at,
            r.verified_on,
        ]
        for r in report.ledger
    ]
    heading = f"{report.county.name}（{report.county.code}）{report.year} 年度整改台账 · 截至 {when}"
    if not rows:  # said in words, not an empty table
        heading += " · 无整改事项"
    _sheet(book, "整改台账", heading, LEDGER_COLUMNS, rows)
    problems = [
        [p.id, p.finding.indicator, p.finding.title, p.requirement, p.deadline, p.answerer] for p in report.problems
    ]
    _sheet(book, "本报告问题", f"{report.county.name} {report.year} 年度评估报告所列问题", NOTICE_COLUMNS, problems)
    return _close(buffer, book)
