"""What many county commands check against a year's book: the indicator they name is active
and in the writer's scope, the period is open, a value stands to be corrected or withdrawn.

Functions of the book (and, for ``data_indicator``, of the county's books); ``County`` keeps
its stream, its events and ``book``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain import commands as c
from domain.errors import ConflictError, Forbidden, InvalidCommand, NotFound
from domain.periods import FREQUENCY_LABELS, Period, parse_period
from domain.scheme import IndicatorDef
from domain.state import CountyYear, Submission

if TYPE_CHECKING:
    from domain.county import County


def active_indicator(book: CountyYear, code: str, field: str = "indicator") -> IndicatorDef:
    indicator = book.indicators.get(code)
    if indicator is None:
        raise InvalidCommand.of(field, "known_indicator", f"{book.scheme.year} 年度没有编号为“{code}”的指标")
    if indicator.retired:
        raise InvalidCommand.of(field, "active_indicator", f"指标“{code} {indicator.name}”已停用")
    return indicator


def data_indicator(
    county: County, indicator: str, period: str, context: c.Context, *, open_only: bool = True
) -> tuple[CountyYear, IndicatorDef, Period]:
    parsed = parse_period(period)
    book = county.book(parsed.year, "period")
    check_scope(book, indicator, context)
    definition = active_indicator(book, indicator)
    has_children = any(n.parent == indicator and n.weighted for n in book.indicators.values())
    if has_children or definition.kind == "bonus_penalty":
        raise InvalidCommand.of("indicator", "leaf_indicator", f"指标“{indicator}”由下级汇总或为加减分类，不接收数据")
    if parsed.frequency != definition.frequency:
        raise InvalidCommand.of(
            "period",
            "indicator_frequency",
            f"指标“{indicator} {definition.name}”按{FREQUENCY_LABELS[definition.frequency]}报送，"
            f"期间“{period}”不是{FREQUENCY_LABELS[definition.frequency]}期间",
        )
    if open_only:
        check_open(book, parsed, "period")
    return book, definition, parsed


def check_scope(book: CountyYear, indicator: str, context: c.Context) -> None:
    """A department writes only its indicators; an API key only those it names."""
    scope = context.data_scope
    responsible = book.responsibility.get(indicator)
    if scope is None or scope.allows(indicator, responsible.department if responsible else None):
        return
    if not scope.departments:
        raise Forbidden.of("indicator", "indicator_in_scope", f"该接口密钥不能报送指标“{indicator}”")
    owner = f"由“{responsible.department}”负责" if responsible else "尚未分配责任部门"
    raise Forbidden.of(
        "indicator",
        "indicator_in_scope",
        f"指标“{indicator}”{owner}，{'、'.join(sorted(scope.departments))}不能报送或更正该指标的数据",
    )


def check_open(book: CountyYear, period: Period, field: str) -> None:
    for closed in book.closed:
        if parse_period(closed).contains(period):
            raise ConflictError.of(
                field, "period_open", f"期间“{closed}”已关账，不能再写入“{period}”的数据；如需修改请先重新开启"
            )


def check_year_open(book: CountyYear, field: str = "year") -> None:
    check_open(book, Period(book.scheme.year, 1, 12), field)


def standing(book: CountyYear, indicator: str, period: str) -> Submission:
    """The value standing for an indicator and period; refused when there is none."""
    submission = book.data.get(indicator, {}).get(period)
    if submission is None:
        raise NotFound.of("period", "existing_submission", f"指标“{indicator}”在“{period}”没有可更正或撤回的数据")
    return submission
