"""Results that replace or add to the computed score: overrides of a node's score and
bonus/penalty points, recorded with who, why and under which authority.

The handlers run inside the ``County`` aggregate (``domain.county.COMMAND_HANDLERS``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain.decimals import ZERO, plain
from domain.errors import ConflictError, InvalidCommand, require_reason
from domain.scoring import node_maximum
from domain.state import Adjustment, CountyYear, Override

if TYPE_CHECKING:
    from domain.county import County


def override_score(county: County, command: c.OverrideScore, context: c.Context) -> dict[str, Any]:
    book = county.book(command.year)
    county.check_year_open(book)
    reason = require_reason(command.reason)
    if command.authority not in c.AUTHORITIES:
        raise InvalidCommand.of("authority", "one_of", f"authority 只能是 {'、'.join(c.AUTHORITIES)} 之一")
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
    if command.override_id in book.overrides:
        raise ConflictError.of("override_id", "unique_id", "分数调整编号重复")
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


def revoke_override(county: County, command: c.RevokeOverride, context: c.Context) -> None:
    reason = require_reason(command.reason)
    book, override = county.find_override(command.override_id)
    county.check_year_open(book)
    if override.revoked:
        raise ConflictError.of("override_id", "not_revoked", "该分数调整已撤销")
    county.record(
        county.OverrideRevoked,
        context,
        year=book.scheme.year,
        override_id=override.id,
        node=override.node,
        reason=reason,
    )


def adjust_points(county: County, command: c.AdjustPoints, context: c.Context) -> dict[str, Any]:
    book = county.book(command.year)
    county.check_year_open(book)
    reason = require_reason(command.reason)
    if command.points == 0:
        raise InvalidCommand.of("points", "non_zero", "加减分分值不能为 0：加分为正数，减分为负数")
    category = command.category.strip()
    categories = [n.code for n in book.indicators.values() if n.kind == "bonus_penalty" and not n.retired]
    if not category:
        raise InvalidCommand.of("category", "required", "必须填写加减分类别 category")
    if categories and category not in categories:
        raise InvalidCommand.of(
            "category", "known_category", f"加减分类别必须是方案中的 {'、'.join(categories)} 之一"
        )
    county.record(
        county.PointsAdjusted,
        context,
        year=command.year,
        adjustment_id=command.adjustment_id,
        points=command.points,
        category=category,
        reason=reason,
    )
    return {"adjustment_id": command.adjustment_id}


# ------------------------------------------------------------ events' effects


def apply_overridden(book: CountyYear, event: County.ScoreOverridden) -> None:
    book.overrides[event.override_id] = Override(
        event.override_id, event.node, event.score, event.authority, event.reason, event.actor
    )


def apply_points(book: CountyYear, event: County.PointsAdjusted) -> None:
    book.adjustments.append(Adjustment(event.adjustment_id, event.points, event.category, event.reason, event.actor))
