"""Checks at entry beyond the hard range: a value far from the indicator's own history.

With enough earlier periods the robust z-score is used (median and median absolute
deviation resist the outliers they are looking for); otherwise, or when the history is
flat, the change from the previous period in percent. A flagged value is accepted; the
submitter is asked to confirm it with a comment (异常波动, 请核实).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from domain.decimals import CENT, plain
from domain.monitoring_rules import Checks

HISTORY_LIMIT = 24  # two years of months is plenty for a robust centre and spread
Z_SCALE = Decimal("0.6745")  # makes the MAD comparable to a standard deviation


@dataclass(frozen=True)
class Flag:
    method: str  # "robust_z" or "change"
    measure: Decimal
    message: str


def check_jump(value: Decimal, history: list[Decimal], checks: Checks) -> Flag | None:
    """``history`` holds the indicator's earlier values, oldest first."""
    recent = history[-HISTORY_LIMIT:]
    if len(recent) >= checks.min_history:
        centre = median(recent)
        spread = median([abs(item - centre) for item in recent])
        if spread > 0:
            z = (Z_SCALE * (value - centre) / spread).quantize(CENT, ROUND_HALF_UP)
            if abs(z) <= checks.robust_z:
                return None
            return Flag(
                "robust_z",
                z,
                f"数值 {plain(value)} 与此前 {len(recent)} 期的中位数 {plain(centre)} 相差过大"
                f"（稳健 z 值 {plain(z)}，阈值 ±{plain(checks.robust_z)}），请核实后填写说明确认",
            )
    return _change_flag(value, recent, checks)


def _change_flag(value: Decimal, recent: list[Decimal], checks: Checks) -> Flag | None:
    if not recent or checks.change_pct is None or recent[-1] == 0:
        return None
    previous = recent[-1]
    change = ((value - previous) / abs(previous) * 100).quantize(CENT, ROUND_HALF_UP)
    if abs(change) <= checks.change_pct:
        return None
    sign = "+" if change > 0 else ""
    return Flag(
        "change",
        change,
        f"数值 {plain(value)} 较上期 {plain(previous)} 变化 {sign}{plain(change)}%"
        f"（阈值 ±{plain(checks.change_pct)}%），请核实后填写说明确认",
    )
