"""A scheme's rules for checking data at entry and for raising early warnings.

Both sections are optional in a scheme document; the defaults are the centre's usual
practice (robust z-score 3.5 on at least four earlier changes, never below a 10 % move,
else a 50 % change;
overdue orange after a week and red after a month; an unanswered return after 5 days; a
rectification item past its deadline yellow from the next day, orange after 8 days, red after 31).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from domain.chain import ADDED_LATER
from domain.decimals import to_decimal


class Collects(Protocol):
    def add(self, field_path: str, rule: str, message: str) -> None: ...


@dataclass
class Checks:
    """When a value is flagged as a jump from the indicator's own history (异常波动)."""

    robust_z: Decimal = Decimal("3.5")
    change_pct: Decimal | None = Decimal(50)
    min_history: int = 4  # earlier changes needed before the z-score is used
    min_change_pct: Decimal = Decimal(10)  # smaller changes are never flagged by the z-score


@dataclass
class WarningRules:
    """Levels of the early warnings (预警): days late, shortfall margins, days unanswered."""

    overdue_orange_days: int = 8
    overdue_red_days: int = 31
    off_track_yellow: Decimal = Decimal(5)
    off_track_orange: Decimal = Decimal(10)
    off_track_red: Decimal = Decimal(20)
    answer_days: int = 5
    # Added with rectification (ADR 26): schemes recorded before keep their hashes (domain.chain).
    rectification_orange_days: int = field(default=8, metadata=ADDED_LATER)
    rectification_red_days: int = field(default=31, metadata=ADDED_LATER)


def _positive(check: Collects, raw: Any, path: str, default: Decimal, *, nullable: bool = False) -> Any:
    if raw is None:
        return None if nullable else default
    try:
        value = to_decimal(raw)
    except ValueError:
        check.add(path, "number", f"{path} 必须是数字，收到 {raw!r}")
        return default
    if value <= 0:
        check.add(path, "positive", f"{path} 必须大于 0，收到 {raw!r}")
        return default
    return value


def _days(check: Collects, raw: Any, path: str, default: int) -> int:
    if raw is None:
        return default
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 366:
        check.add(path, "days", f"{path} 必须是 1 至 366 之间的整数（天数），收到 {raw!r}")
        return default
    return raw


def _section(check: Collects, raw: Any, path: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.add(path, "object", f"{path} 必须是对象")
        return {}
    return raw


def read_checks(check: Collects, raw: Any) -> Checks:
    section = _section(check, raw, "checks")
    defaults = Checks()
    change = section.get("change_pct", defaults.change_pct)  # null switches it off
    history = section.get("min_history", defaults.min_history)
    if not isinstance(history, int) or isinstance(history, bool) or not 2 <= history <= 60:
        check.add("checks.min_history", "count", f"checks.min_history 必须是 2 至 60 之间的整数，收到 {history!r}")
        history = defaults.min_history
    return Checks(
        robust_z=_positive(check, section.get("robust_z"), "checks.robust_z", defaults.robust_z),
        change_pct=_positive(check, change, "checks.change_pct", Decimal(50), nullable=True),
        min_history=history,
        min_change_pct=_positive(
            check, section.get("min_change_pct"), "checks.min_change_pct", defaults.min_change_pct
        ),
    )


def read_warning_rules(check: Collects, raw: Any) -> WarningRules:
    section = _section(check, raw, "warnings")
    overdue = _section(check, section.get("overdue"), "warnings.overdue")
    track = _section(check, section.get("off_track"), "warnings.off_track")
    rectification = _section(check, section.get("rectification"), "warnings.rectification")
    d = WarningRules()
    orange_days = _days(check, overdue.get("orange_days"), "warnings.overdue.orange_days", d.overdue_orange_days)
    rules = WarningRules(
        overdue_orange_days=orange_days,
        overdue_red_days=_days(check, overdue.get("red_days"), "warnings.overdue.red_days", d.overdue_red_days),
        off_track_yellow=_positive(check, track.get("yellow"), "warnings.off_track.yellow", d.off_track_yellow),
        off_track_orange=_positive(check, track.get("orange"), "warnings.off_track.orange", d.off_track_orange),
        off_track_red=_positive(check, track.get("red"), "warnings.off_track.red", d.off_track_red),
        answer_days=_days(check, section.get("answer_days"), "warnings.answer_days", d.answer_days),
        rectification_orange_days=_days(check, rectification.get("orange_days"),
                                        "warnings.rectification.orange_days", d.rectification_orange_days),
        rectification_red_days=_days(check, rectification.get("red_days"), "warnings.rectification.red_days",
                                     d.rectification_red_days),
    )  # fmt: skip
    if rules.overdue_orange_days >= rules.overdue_red_days:
        check.add("warnings.overdue", "ascending", "warnings.overdue 的 orange_days 必须小于 red_days")
    if rules.rectification_orange_days >= rules.rectification_red_days:
        check.add("warnings.rectification", "ascending", "warnings.rectification 的 orange_days 必须小于 red_days")
    if not rules.off_track_yellow < rules.off_track_orange < rules.off_track_red:
        check.add("warnings.off_track", "ascending", "warnings.off_track 必须满足 yellow < orange < red")
    return rules


def checks_document(checks: Checks) -> dict[str, Any]:
    return {
        "robust_z": checks.robust_z,
        "change_pct": checks.change_pct,
        "min_history": checks.min_history,
        "min_change_pct": checks.min_change_pct,
    }


def warning_rules_document(rules: WarningRules) -> dict[str, Any]:
    return {
        "overdue": {"orange_days": rules.overdue_orange_days, "red_days": rules.overdue_red_days},
        "off_track": {"yellow": rules.off_track_yellow, "orange": rules.off_track_orange, "red": rules.off_track_red},
        "answer_days": rules.answer_days,
        "rectification": {"orange_days": rules.rectification_orange_days, "red_days": rules.rectification_red_days},
    }
