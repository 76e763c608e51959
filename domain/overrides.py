"""Results that replace or add to the computed score: overrides of a node's score and
bonus/penalty points, recorded with who, why and under which authority.

Overrides follow the scheme's order of authorities (ADR 19): a result never replaces a
standing one of a higher authority, revoking one restores what stands beneath it, and a
closed year still takes the results of authorities ranked above the county's. Points
take the sign of their category, stay within the cap of their kind, and can be revoked.

The handlers run inside the ``County`` aggregate (``domain.county.COMMAND_HANDLERS``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import county_checks
from domain.decimals import CENT, ZERO, at_most_two_places, plain
from domain.errors import ConflictError, InvalidCommand, NotFound, Problem, require_reason
from domain.periods import Period, parse_period
from domain.recorded_time import CHINA
from domain.scheme import AUTHORITIES, AUTHORITY_LABELS, SIGN_LABELS, TOTAL, Scheme
from domain.scoring import count_points, node_maximum, score_year
from domain.state import Adjustment, CountyYear, Override

if TYPE_CHECKING:
    from domain.county import County


# ------------------------------------------------------------------- overrides


def override_score(county: County, command: c.OverrideScore, context: c.Context) -> dict[str, Any]:
    book = county.book(command.year)
    reason = require_reason(command.reason)
    scheme = book.scheme
    check_authority(scheme, command.authority)
    check_results_open(book, command.authority)
    maximum = node_maximum(book, command.node)
    if maximum is None:
        raise InvalidCommand.of(
            "node", "known_node", f"没有可调整得分的节点“{command.node}”（可为指标编号、一级指标编号或 total）"
        )
    if not ZERO <= command.score <= maximum:
        raise InvalidCommand.of(
            "score",
            "within_node_maximum",
            f"“{command.node}”的得分必须在 0 到 {plain(maximum)} 之间，收到 {plain(command.score)}",
        )
    if not at_most_two_places(command.score):  # scores are kept and shown to two places
        raise InvalidCommand.of("score", "two_decimals", f"调整后的得分最多两位小数，收到 {shown(command.score)}")
    if command.override_id in book.overrides:
        raise ConflictError.of("override_id", "unique_id", "分数调整编号重复")
    standing = book.active_overrides().get(command.node)
    if standing is not None and scheme.rank(standing.authority) < scheme.rank(command.authority):
        raise ConflictError.of(
            "authority",
            "higher_authority_stands",
            f"“{command.node}”的得分以{label(standing.authority)}结果为准（编号 {standing.id}，"
            f"{standing.actor} {when(standing.recorded_at)}记录，{plain(standing.score)} 分）；"
            f"{label(command.authority)}结果不能替代更高权限的结果（权限由高到低：{order_text(scheme)}）",
        )
    county.record(
        county.ScoreOverridden,
        context,
        year=command.year,
        override_id=command.override_id,
        node=command.node,
        score=command.score,
        authority=command.authority,
        reason=reason,
    )
    return {"override_id": command.override_id}


def revoke_override(county: County, command: c.RevokeOverride, context: c.Context) -> dict[str, Any]:
    reason = require_reason(command.reason)
    book, override = find_override(county, command.override_id)
    if override.revoked:
        raise ConflictError.of("override_id", "not_revoked", "该分数调整已撤销")
    check_results_open(book, override.authority)
    county.record(
        county.OverrideRevoked,
        context,
        year=book.scheme.year,
        override_id=override.id,
        node=override.node,
        reason=reason,
    )
    return {"override_id": override.id, "standing": standing_result(book, override.node)}


def find_override(county: County, override_id: str) -> tuple[CountyYear, Override]:
    for book in county.years.values():
        if override_id in book.overrides:
            return book, book.overrides[override_id]
    raise NotFound.of("override_id", "known_override", f"找不到编号为 {override_id} 的分数调整")


def check_authority(scheme: Scheme, authority: str) -> None:
    if authority in scheme.authorities:
        return
    if authority in AUTHORITIES:
        raise InvalidCommand.of(
            "authority",
            "scheme_authority",
            f"{scheme.year} 年度方案的权限中没有{label(authority)}（{authority}），可用：{order_text(scheme)}",
        )
    raise InvalidCommand.of("authority", "one_of", f"权限只能是 {order_text(scheme)} 之一，收到“{authority[:40]}”")


def check_results_open(book: CountyYear, authority: str) -> None:
    """A closed year takes only the results of authorities ranked above the county's own."""
    if book.scheme.above_county(authority) or not year_closed(book):
        return
    higher = [label(a) for a in book.scheme.authorities if book.scheme.above_county(a)]
    raise ConflictError.of(
        "year",
        "period_open",
        f"{book.scheme.year} 年度已关账，不再接收{label(authority)}结果"
        + (f"（{'、'.join(higher)}结果仍可录入）" if higher else "")
        + "；如需修改请先重新开启",
    )


def year_closed(book: CountyYear) -> bool:
    """Whether the whole scheme year is closed (a closed month or quarter leaves results open)."""
    whole = Period(book.scheme.year, 1, 12)
    return any(parse_period(closed).contains(whole) for closed in book.closed)


def standing_result(book: CountyYear, node: str) -> dict[str, Any]:
    """What stands for a node now: its standing override, or else the computed score."""
    override = book.active_overrides().get(node)
    if override is not None:
        return describe_override(override)
    card = score_year(book)
    if node == TOTAL:
        computed: Decimal | None = card.computed_total
    else:
        computed = next((item.computed for item in card.nodes if item.code == node), None)
    return {"source": "computed", "node": node, "score": computed}


def describe_override(override: Override) -> dict[str, Any]:
    return {
        "source": "override",
        "node": override.node,
        "score": override.score,
        "override_id": override.id,
        "authority": override.authority,
        "authority_label": label(override.authority),
        "actor": override.actor,
        "reason": override.reason,
        "recorded_at": override.recorded_at.isoformat() if override.recorded_at else None,
    }


def label(authority: str) -> str:
    return AUTHORITY_LABELS.get(authority, authority)


def order_text(scheme: Scheme) -> str:
    # The code in brackets is for API clients; a page drops it (its labels already say it in Chinese).
    return " > ".join(f"{label(a)}（{a}）" for a in scheme.authorities)


def when(instant: datetime | None) -> str:
    return f"于 {instant.astimezone(CHINA):%Y-%m-%d %H:%M}（北京时间）" if instant is not None else ""


# ---------------------------------------------------------------------- points


def adjust_points(county: County, command: c.AdjustPoints, context: c.Context) -> dict[str, Any]:
    book = county.book(command.year)
    county_checks.check_year_open(book)
    reason = require_reason(command.reason)
    category = command.category.strip()
    check_points(book, command.points, category)
    if any(entry.id == command.adjustment_id for year in county.years.values() for entry in year.adjustments):
        raise ConflictError.of("adjustment_id", "unique_id", "加减分编号重复")
    county.record(
        county.PointsAdjusted,
        context,
        year=command.year,
        adjustment_id=command.adjustment_id,
        points=command.points,
        category=category,
        reason=reason,
    )
    return {"adjustment_id": command.adjustment_id, "points": points_summary(book)}


def revoke_points(county: County, command: c.RevokePoints, context: c.Context) -> dict[str, Any]:
    reason = require_reason(command.reason)
    book, entry = find_adjustment(county, command.adjustment_id)
    if entry.revoked:
        raise ConflictError.of("adjustment_id", "not_revoked", "该加减分已撤销")
    county_checks.check_year_open(book)
    county.record(
        county.PointsRevoked,
        context,
        year=book.scheme.year,
        adjustment_id=entry.id,
        points=entry.points,
        category=entry.category,
        reason=reason,
    )
    return {"adjustment_id": entry.id, "points": points_summary(book)}


def find_adjustment(county: County, adjustment_id: str) -> tuple[CountyYear, Adjustment]:
    for book in county.years.values():
        for entry in book.adjustments:
            if entry.id == adjustment_id:
                return book, entry
    raise NotFound.of("adjustment_id", "known_adjustment", f"找不到编号为 {adjustment_id} 的加减分")


def check_points(book: CountyYear, points: Decimal, category: str) -> None:
    """A category of the scheme, the sign it fixes, the cap of its kind, two decimals."""
    if not points.is_finite():
        raise InvalidCommand.of("points", "finite", "加减分分值必须是有限的数字")
    if points == 0:
        raise InvalidCommand.of("points", "non_zero", "加减分分值不能为 0：加分为正数，减分为负数")
    if not category:
        raise InvalidCommand.of("category", "required", "必须填写加减分类别 category")
    categories = {code: n for code, n in book.indicators.items() if n.kind == "bonus_penalty" and not n.retired}
    if categories and category not in categories:
        listed = "、".join(
            f"{code} {n.name}（{SIGN_LABELS.get(n.sign, '加分或减分')}）" for code, n in categories.items()
        )
        raise InvalidCommand.of("category", "known_category", f"加减分类别必须是方案中的 {listed} 之一")
    problems = []
    definition = categories.get(category)
    if definition is not None and definition.sign:
        wanted = definition.sign
        if (points > 0) != (wanted == "bonus"):
            sign_words = "正数" if wanted == "bonus" else "负数（如 -2）"
            problems.append(
                Problem(
                    "points",
                    "category_sign",
                    f"加减分类别“{category} {definition.name}”是{SIGN_LABELS[wanted]}，分值必须为{sign_words}，"
                    f"收到 {shown(points)}",
                )
            )
    bonus = points > 0
    cap = book.scheme.bonus_cap if bonus else book.scheme.penalty_cap
    if abs(points) > cap:
        kind = "加分" if bonus else "减分"
        problems.append(
            Problem(
                "points",
                "within_cap",
                f"单条{kind}不能超过方案的{kind}上限 {plain(cap)} 分，收到 {shown(points)}",
            )
        )
    elif points != points.quantize(CENT):
        problems.append(Problem("points", "two_decimals", f"加减分分值最多两位小数，收到 {shown(points)}"))
    if problems:
        raise InvalidCommand(problems)


def shown(value: Decimal) -> str:
    """A number in a message: as written, unless it is too long to read."""
    return plain(value) if abs(value.adjusted()) <= 12 else f"{value:.6g}"


def points_summary(book: CountyYear) -> dict[str, Any]:
    """The year's standing entries with how much of each counted, and the totals before
    and after the caps."""
    entries = count_points(book)
    bonus = sum((e.points for e in entries if e.points > 0), ZERO)
    penalty = ZERO - sum((e.points for e in entries if e.points < 0), ZERO)
    return {
        "entries": [
            {"adjustment_id": e.id, "category": e.category, "kind": e.kind, "points": e.points, "counted": e.counted}
            for e in entries
        ],
        "bonus": {"cap": book.scheme.bonus_cap, "before_cap": bonus, "after_cap": min(bonus, book.scheme.bonus_cap)},
        "penalty": {
            "cap": book.scheme.penalty_cap,
            "before_cap": penalty,
            "after_cap": min(penalty, book.scheme.penalty_cap),
        },
    }


# ------------------------------------------------------------ events' effects


def apply_overridden(book: CountyYear, event: County.ScoreOverridden) -> None:
    book.overrides[event.override_id] = Override(
        event.override_id,
        event.node,
        event.score,
        event.authority,
        event.reason,
        event.actor,
        recorded_at=event.timestamp,
    )


def apply_points(book: CountyYear, event: County.PointsAdjusted) -> None:
    book.adjustments.append(
        Adjustment(
            event.adjustment_id, event.points, event.category, event.reason, event.actor, recorded_at=event.timestamp
        )
    )


def apply_points_revoked(book: CountyYear, event: County.PointsRevoked) -> None:
    for entry in book.adjustments:
        if entry.id == event.adjustment_id and not entry.revoked:
            entry.revoked = True
            return
