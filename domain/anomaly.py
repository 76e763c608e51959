"""Checks at entry beyond the hard range: a value far from the indicator's own history.

With enough earlier periods the robust z-score of the latest change is used (median and
median absolute deviation resist the outliers they are looking for); otherwise, or when
the history moves in identical steps, the change from the previous period in percent. A flagged value is accepted; the
submitter is asked to confirm it with a comment (异常波动, 请核实).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from statistics import median

from domain.decimals import CENT, figure, plain
from domain.monitoring_rules import Checks

HISTORY_LIMIT = 24  # two years of months is plenty for a robust centre and spread
Z_SCALE = Decimal("0.6745")  # makes the MAD comparable to a standard deviation


@dataclass(frozen=True)
class Flag:
    method: str  # "robust_z" or "change"
    measure: Decimal
    message: str


def check_jump(value: Decimal, history: list[Decimal], checks: Checks) -> Flag | None:
    """``history`` holds the indicator's earlier values, oldest first.

    The z-score is taken on period-to-period changes, not on levels: an indicator that
    climbs steadily towards its target moves away from its own median every month, yet
    its changes stay alike. The value must also lie far from the usual level, so the month
    after a spike, back where it was, is not flagged. A change too small to matter
    (``min_change_pct``) is never flagged, however quiet the series was before.
    """
    recent = history[-HISTORY_LIMIT:]
    if len(recent) > checks.min_history:
        steps = [later - earlier for earlier, later in pairwise(recent)]
        centre = median(steps)
        spread = median([abs(step - centre) for step in steps])
        if spread > 0:
            change = value - recent[-1]
            z = (Z_SCALE * (change - centre) / spread).quantize(CENT, ROUND_HALF_UP)
            if abs(z) <= checks.robust_z or not _material(change, recent[-1], checks):
                return None
            if not _far_from_levels(value, recent, checks):
                return None  # a return to the usual level after a one-off spike
            return Flag(
                "robust_z",
                z,
                f"数值 {figure(value)} 较上期 {figure(recent[-1])} 变化 {_signed(change)}，明显偏离此前 {len(steps)} 次"
                f"变动的一般幅度（中位变动 {_signed(centre)}，稳健 z 值 {plain(z)}，阈值 ±{plain(checks.robust_z)}），"
                "请核实后填写说明确认",
            )
    return _change_flag(value, recent, checks)


def _far_from_levels(value: Decimal, recent: list[Decimal], checks: Checks) -> bool:
    centre = median(recent)
    spread = median([abs(item - centre) for item in recent])
    if spread == 0:
        return value != centre
    return abs(Z_SCALE * (value - centre) / spread) > checks.robust_z


def _material(change: Decimal, previous: Decimal, checks: Checks) -> bool:
    return previous == 0 or abs(change / previous) * 100 >= checks.min_change_pct


def _signed(number: Decimal) -> str:
    """Two places, as every figure a person reads: +39.00."""
    return ("+" if number > 0 else "") + figure(number)


def _change_flag(value: Decimal, recent: list[Decimal], checks: Checks) -> Flag | None:
    if not recent or checks.change_pct is None or recent[-1] == 0:
        return None
    previous = recent[-1]
    change = ((value - previous) / abs(previous) * 100).quantize(CENT, ROUND_HALF_UP)
    if abs(change) <= checks.change_pct:
        return None
    return Flag(
        "change",
        change,
        f"数值 {figure(value)} 较上期 {figure(previous)} 变化 {_signed(change)}%"
        f"（阈值 ±{plain(checks.change_pct)}%），请核实后填写说明确认",
    )
