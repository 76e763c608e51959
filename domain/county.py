"""The county stream: one aggregate per enrolled county, its consistency boundary.

Every command is checked against the county's whole recorded state before any event
is triggered, so a refused command leaves no trace and an accepted one is complete.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import commands as c
from domain import intake, review
from domain.chain import GENESIS, digest
from domain.decimals import ZERO, plain
from domain.errors import ConflictError, Forbidden, InvalidCommand, NotFound, Problem
from domain.periods import FREQUENCY_LABELS, Period, parse_period
from domain.scheme import (
    TOTAL,
    IndicatorDef,
    Scheme,
    _Collector,
    indicator_document,
    read_indicator,
    tree_problems,
)
from domain.scoring import node_maximum
from domain.state import (
    ActionPlan,
    Adjustment,
    Anomaly,
    AttachedFile,
    Comment,
    CountyYear,
    Override,
    Responsibility,
    Submission,
    Thread,
    thread_key,
)

COUNTY_NAMESPACE = uuid5(NAMESPACE_URL, "https://ruraleval.cn/county")
# Values beyond these are typing errors, and would overflow the exact arithmetic of flags and warnings.
MAX_MAGNITUDE = Decimal("1e15")
MAX_PLACES = 6
REVISABLE_FIELDS = ("name", "unit", "direction", "method", "frequency", "aggregate", "range")


def submission_fingerprint(indicator: str, period: str, value: Decimal, source: str) -> str:
    """What an idempotency key promises: the same submission, however its number was written."""
    return f"{indicator}|{period}|{plain(value)}|{source}"


def county_id(code: str) -> UUID:
    """The stream id of a county, derived from its 6-digit administrative code."""
    return uuid5(COUNTY_NAMESPACE, code)


def require_reason(reason: str, field: str = "reason") -> str:
    if not reason or not reason.strip():
        raise InvalidCommand.of(field, "reason_required", "必须填写理由（reason），不能为空")
    return reason.strip()


class County(Aggregate):
    """A county enrolled in the evaluation, with one book per scheme year."""

    class Event(Aggregate.Event):
        actor: str
        correlation_id: str
        previous_hash: str
        event_hash: str

        def mutate(self, aggregate: Any) -> Any:
            changed: Any = super().mutate(aggregate)
            changed.chain_head = self.event_hash
            return changed

    class Enrolled(Event, Aggregate.Created):
        code: str
        name: str
        province: str
        region: str
        scheme: Scheme

    def __init__(self, code: str, name: str, province: str, region: str, scheme: Scheme) -> None:
        self.code = code
        self.name = name
        self.province = province
        self.region = region
        self.years: dict[str, CountyYear] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.chain_head = GENESIS  # the event_hash of the latest event
        self._open_year(scheme, self.created_on)

    @classmethod
    def enrol(cls, command: c.EnrolCounty, context: c.Context) -> County:
        check_enrolment(command)
        stream = county_id(command.code)
        timestamp = context.recorded_at or cls.Enrolled.create_timestamp()
        fields: dict[str, Any] = {
            "actor": context.actor,
            "correlation_id": context.correlation_id,
            "previous_hash": GENESIS,
            "code": command.code,
            "name": command.name.strip(),
            "province": command.province.strip(),
            "region": command.region,
            "scheme": command.scheme,
        }
        chained = digest(cls.Enrolled.__qualname__, stream, 1, timestamp, fields)
        return cls._create(cls.Enrolled, id=stream, timestamp=timestamp, event_hash=chained, **fields)

    def _open_year(self, scheme: Scheme, opened_at: datetime) -> None:
        self.years[str(scheme.year)] = CountyYear(
            scheme=scheme,
            indicators={indicator.code: replace(indicator) for indicator in scheme.indicators},
            opened_at=opened_at,
        )

    # ----------------------------------------------------------------- lookups

    def book(self, year: int | None, field: str = "year") -> CountyYear:
        """The book of a scheme year; the latest adopted year when none is named."""
        if year is None:
            year = self.latest_year
        book = self.years.get(str(year))
        if book is None:
            adopted = "、".join(sorted(self.years)) or "无"
            raise InvalidCommand.of(
                field, "scheme_year", f"{self.name}没有 {year} 年度的评估方案（已采用年度：{adopted}）"
            )
        return book

    @property
    def latest_year(self) -> int:
        return max(int(year) for year in self.years)

    def find_override(self, override_id: str) -> tuple[CountyYear, Override]:
        for book in self.years.values():
            if override_id in book.overrides:
                return book, book.overrides[override_id]
        raise NotFound.of("override_id", "known_override", f"找不到编号为 {override_id} 的分数调整")

    def active_indicator(self, book: CountyYear, code: str, field: str = "indicator") -> IndicatorDef:
        indicator = book.indicators.get(code)
        if indicator is None:
            raise InvalidCommand.of(field, "known_indicator", f"{book.scheme.year} 年度没有编号为“{code}”的指标")
        if indicator.retired:
            raise InvalidCommand.of(field, "active_indicator", f"指标“{code} {indicator.name}”已停用")
        return indicator

    def data_indicator(
        self, indicator: str, period: str, context: c.Context, *, open_only: bool = True
    ) -> tuple[CountyYear, IndicatorDef, Period]:
        parsed = parse_period(period)
        book = self.book(parsed.year, "period")
        self.check_scope(book, indicator, context)
        definition = self.active_indicator(book, indicator)
        has_children = any(n.parent == indicator and n.weighted for n in book.indicators.values())
        if has_children or definition.kind == "bonus_penalty":
            raise InvalidCommand.of(
                "indicator", "leaf_indicator", f"指标“{indicator}”由下级汇总或为加减分类，不接收数据"
            )
        if parsed.frequency != definition.frequency:
            raise InvalidCommand.of(
                "period",
                "indicator_frequency",
                f"指标“{indicator} {definition.name}”按{FREQUENCY_LABELS[definition.frequency]}报送，"
                f"期间“{period}”不是{FREQUENCY_LABELS[definition.frequency]}期间",
            )
        if open_only:
            self._check_open(book, parsed, "period")
        return book, definition, parsed

    @staticmethod
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

    def _check_open(self, book: CountyYear, period: Period, field: str) -> None:
        for closed in book.closed:
            if parse_period(closed).contains(period):
                raise ConflictError.of(
                    field, "period_open", f"期间“{closed}”已关账，不能再写入“{period}”的数据；如需修改请先重新开启"
                )

    def _check_year_open(self, book: CountyYear, field: str = "year") -> None:
        self._check_open(book, Period(book.scheme.year, 1, 12), field)

    # ---------------------------------------------------------------- commands

    def handle(self, command: c.CountyCommand, context: c.Context) -> dict[str, Any]:
        """Checks a command against the recorded state and records its events."""
        handler = getattr(self, "_" + type(command).__name__)
        result: dict[str, Any] = handler(command, context) or {}
        return result

    def record(self, event_class: type[Event], context: c.Context, **fields: Any) -> None:
        # Recorded time never runs backwards within a stream, whatever the writers' clocks.
        timestamp = max(context.recorded_at or event_class.create_timestamp(), self.modified_on)
        fields.update(actor=context.actor, correlation_id=context.correlation_id, previous_hash=self.chain_head)
        chained = digest(event_class.__qualname__, self.id, self.version + 1, timestamp, fields)
        self.trigger_event(event_class, timestamp=timestamp, event_hash=chained, **fields)

    def _AdoptScheme(self, command: c.AdoptScheme, context: c.Context) -> None:
        if str(command.scheme.year) in self.years:
            raise ConflictError.of(
                "scheme", "one_scheme_per_year", f"{self.name}已采用 {command.scheme.year} 年度的评估方案"
            )
        self.record(self.SchemeAdopted, context, scheme=command.scheme)

    def _DefineIndicator(self, command: c.DefineIndicator, context: c.Context) -> None:
        book = self.book(command.year)
        self._check_year_open(book)
        reason = require_reason(command.reason)
        check = _Collector()
        indicator = read_indicator(check, command.definition, "indicator")
        if check.problems or indicator is None:
            raise InvalidCommand(check.problems)
        if indicator.kind != "specific":
            raise InvalidCommand.of("indicator.kind", "specific_only", "县级只能新增个性指标（kind 为 specific）")
        if indicator.code in book.indicators:
            raise ConflictError.of("indicator.code", "unique_code", f"指标编号“{indicator.code}”已存在")
        if indicator.parent is not None:
            parent = self.active_indicator(book, indicator.parent, "indicator.parent")
            if parent.method is not None:
                raise InvalidCommand.of(
                    "indicator.parent",
                    "parent_unscored",
                    f"指标“{parent.code}”是有评分方法的末级指标，不能在其下新增指标",
                )
        tree = dict(book.indicators)
        tree[indicator.code] = indicator
        self._check_weights(book, tree, indicator.parent, command.sibling_weights, "sibling_weights")
        self.record(
            self.IndicatorDefined,
            context,
            year=book.scheme.year,
            indicator=indicator,
            sibling_weights=dict(command.sibling_weights),
            reason=reason,
        )

    def _ReviseIndicator(self, command: c.ReviseIndicator, context: c.Context) -> None:
        book = self.book(command.year)
        self._check_year_open(book)
        reason = require_reason(command.reason)
        current = self.active_indicator(book, command.code, "code")
        unknown = sorted(set(command.changes) - set(REVISABLE_FIELDS))
        if unknown or not command.changes:
            raise InvalidCommand.of(
                "changes",
                "revisable_fields",
                f"只能修改 {'、'.join(REVISABLE_FIELDS)}（权重请用权重调整），收到 {'、'.join(unknown) or '空'}",
            )
        document = {**indicator_document(current), **command.changes}
        check = _Collector()
        revised = read_indicator(check, document, "changes")
        if check.problems or revised is None:
            raise InvalidCommand(check.problems)
        if revised.frequency != current.frequency and book.data.get(current.code):
            raise ConflictError.of(
                "changes.frequency", "frequency_fixed_with_data", f"指标“{current.code}”已有数据，不能更改报送频率"
            )
        tree = dict(book.indicators)
        tree[current.code] = revised
        problems = tree_problems(list(tree.values()))
        if problems:
            raise InvalidCommand(problems)
        self.record(self.IndicatorRevised, context, year=book.scheme.year, indicator=revised, reason=reason)

    def _RetireIndicator(self, command: c.RetireIndicator, context: c.Context) -> None:
        book = self.book(command.year)
        self._check_year_open(book)
        reason = require_reason(command.reason)
        indicator = self.active_indicator(book, command.code, "code")
        retired = {code for code in book.indicators if self._descends(book, code, indicator.code)}
        tree = {
            code: replace(node, retired=True) if code in retired else node for code, node in book.indicators.items()
        }
        self._check_weights(book, tree, indicator.parent, command.sibling_weights, "sibling_weights")
        self.record(
            self.IndicatorRetired,
            context,
            year=book.scheme.year,
            code=indicator.code,
            sibling_weights=dict(command.sibling_weights),
            reason=reason,
        )

    def _AdjustWeights(self, command: c.AdjustWeights, context: c.Context) -> None:
        book = self.book(command.year)
        self._check_year_open(book)
        reason = require_reason(command.reason)
        if not command.weights:
            raise InvalidCommand.of("weights", "required", "weights 不能为空")
        if command.parent is not None:
            self.active_indicator(book, command.parent, "parent")
        previous = {code: book.indicators[code].weight for code in command.weights if code in book.indicators}
        self._check_weights(book, dict(book.indicators), command.parent, command.weights, "weights")
        self.record(
            self.WeightsAdjusted,
            context,
            year=book.scheme.year,
            parent=command.parent,
            weights=dict(command.weights),
            previous=previous,
            reason=reason,
        )

    def _check_weights(
        self,
        book: CountyYear,
        tree: dict[str, IndicatorDef],
        parent: str | None,
        weights: dict[str, Decimal],
        field: str,
    ) -> None:
        """New weights apply only beneath ``parent``; afterwards every sum must hold, and no
        standing override may exceed the new weight of its node."""
        problems = []
        for code, weight in weights.items():
            node = tree.get(code)
            if node is None or not node.weighted:
                problems.append(Problem(f"{field}.{code}", "known_indicator", f"没有可调整权重的指标“{code}”"))
            elif parent is not None and not self._descends_in(tree, code, parent, strict=True):
                problems.append(Problem(f"{field}.{code}", "under_parent", f"指标“{code}”不在“{parent}”之下"))
            elif weight < 0:
                problems.append(Problem(f"{field}.{code}", "non_negative", f"指标“{code}”的权重不能为负数"))
            else:
                tree[code] = replace(node, weight=weight)
        if problems:
            raise InvalidCommand(problems)
        problems = tree_problems(list(tree.values()))
        if problems:
            raise InvalidCommand(problems)
        for override in book.active_overrides().values():
            node = tree.get(override.node)
            if override.node in weights and node is not None and node.weighted and override.score > node.weight:
                problems.append(
                    Problem(
                        f"{field}.{override.node}",
                        "override_within_weight",
                        f"“{override.node}”的得分已调整为 {plain(override.score)}（编号 {override.id}），"
                        f"超过新权重 {plain(node.weight)}；请先撤销该得分调整",
                    )
                )
        if problems:
            raise ConflictError(problems)

    @staticmethod
    def _descends_in(tree: dict[str, IndicatorDef], code: str, ancestor: str, strict: bool = False) -> bool:
        current: str | None = tree[code].parent if strict else code
        while current is not None:
            if current == ancestor:
                return True
            current = tree[current].parent
        return False

    def _descends(self, book: CountyYear, code: str, ancestor: str) -> bool:
        return self._descends_in(book.indicators, code, ancestor)

    def _AssignResponsibility(self, command: c.AssignResponsibility, context: c.Context) -> None:
        book = self.book(command.year)
        self._check_year_open(book)
        indicator = self.active_indicator(book, command.indicator)
        if any(node.parent == indicator.code and node.weighted for node in book.indicators.values()):
            raise InvalidCommand.of(
                "indicator", "leaf_indicator", f"指标“{indicator.code}”由下级汇总，请为其下级指标分配责任"
            )
        department = command.department.strip()
        if not department:
            raise InvalidCommand.of("department", "required", "必须填写责任部门 department")
        self.record(
            self.ResponsibilityAssigned,
            context,
            year=book.scheme.year,
            indicator=indicator.code,
            department=department,
            person=command.person.strip(),
        )

    def _SubmitData(self, command: c.SubmitData, context: c.Context) -> dict[str, Any]:
        key = command.idempotency_key
        fingerprint = submission_fingerprint(command.indicator, command.period, command.value, command.source)
        with contextlib.suppress(InvalidCommand):  # a bad period is reported below
            self.check_scope(self.book(parse_period(command.period).year), command.indicator, context)
        if key is not None:
            seen = self.idempotency.get(key)
            if seen is not None:
                if seen["fingerprint"] != fingerprint:
                    raise ConflictError.of(
                        "idempotency_key", "same_content", f"幂等键“{key}”已用于内容不同的另一次报送"
                    )
                return {"version": seen["version"], "replayed": True}
        _, indicator, _ = self.data_indicator(command.indicator, command.period, context)
        self.check_value(indicator, command.value)
        self.record(
            self.DataSubmitted,
            context,
            indicator=command.indicator,
            period=command.period,
            value=command.value,
            source=command.source,
            idempotency_key=key,
        )
        version = self.version
        flag = intake.follow_up(self, command.indicator, command.period, command.value, command.comment, context)
        return {"version": version, "replayed": False, "flag": flag.message if flag else None}

    def check_value(self, indicator: IndicatorDef, value: Decimal) -> None:
        where = f"指标“{indicator.code} {indicator.name}”"
        if abs(value) >= MAX_MAGNITUDE or value.normalize().as_tuple().exponent < -MAX_PLACES:  # type: ignore[operator]
            raise InvalidCommand.of(
                "value", "number_size", f"{where}的取值 {value} 不合理：绝对值须小于 10¹⁵，小数不超过 {MAX_PLACES} 位"
            )
        bounds = indicator.range
        if indicator.method is not None and indicator.method.type == "manual":
            bounds = [ZERO, Decimal(1)]
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            low, high = plain(bounds[0]), plain(bounds[1])
            raise InvalidCommand.of(
                "value", "within_range", f"{where}的取值 {plain(value)} 超出有效范围 [{low}, {high}]"
            )

    def _CorrectData(self, command: c.CorrectData, context: c.Context) -> None:
        reason = require_reason(command.reason)
        book, indicator, _ = self.data_indicator(command.indicator, command.period, context)
        previous = self.standing(book, command.indicator, command.period)
        self.check_value(indicator, command.value)
        self.record(
            self.DataCorrected,
            context,
            indicator=command.indicator,
            period=command.period,
            value=command.value,
            previous=previous.value,
            reason=reason,
        )
        intake.follow_up(self, command.indicator, command.period, command.value, "", context)

    def _WithdrawSubmission(self, command: c.WithdrawSubmission, context: c.Context) -> None:
        reason = require_reason(command.reason)
        book, _, _ = self.data_indicator(command.indicator, command.period, context)
        previous = self.standing(book, command.indicator, command.period)
        self.record(
            self.SubmissionWithdrawn,
            context,
            indicator=command.indicator,
            period=command.period,
            previous=previous.value,
            reason=reason,
        )

    @staticmethod
    def standing(book: CountyYear, indicator: str, period: str) -> Submission:
        submission = book.data.get(indicator, {}).get(period)
        if submission is None:
            raise NotFound.of("period", "existing_submission", f"指标“{indicator}”在“{period}”没有可更正或撤回的数据")
        return submission

    def _OverrideScore(self, command: c.OverrideScore, context: c.Context) -> dict[str, Any]:
        book = self.book(command.year)
        self._check_year_open(book)
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
        self.record(
            self.ScoreOverridden,
            context,
            year=command.year,
            override_id=command.override_id,
            node=command.node,
            score=command.score,
            authority=command.authority,
            reason=reason,
        )
        return {"override_id": command.override_id}

    def _RevokeOverride(self, command: c.RevokeOverride, context: c.Context) -> None:
        reason = require_reason(command.reason)
        book, override = self.find_override(command.override_id)
        self._check_year_open(book)
        if override.revoked:
            raise ConflictError.of("override_id", "not_revoked", "该分数调整已撤销")
        self.record(
            self.OverrideRevoked,
            context,
            year=book.scheme.year,
            override_id=override.id,
            node=override.node,
            reason=reason,
        )

    def _AdjustPoints(self, command: c.AdjustPoints, context: c.Context) -> dict[str, Any]:
        book = self.book(command.year)
        self._check_year_open(book)
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
        self.record(
            self.PointsAdjusted,
            context,
            year=command.year,
            adjustment_id=command.adjustment_id,
            points=command.points,
            category=category,
            reason=reason,
        )
        return {"adjustment_id": command.adjustment_id}

    def _ClosePeriod(self, command: c.ClosePeriod, context: c.Context) -> None:
        period = parse_period(command.period)
        book = self.book(period.year, "period")
        self._check_open(book, period, "period")
        self.record(self.PeriodClosed, context, period=str(period), reason=command.reason.strip())

    def _ReopenPeriod(self, command: c.ReopenPeriod, context: c.Context) -> None:
        reason = require_reason(command.reason)
        period = parse_period(command.period)
        book = self.book(period.year, "period")
        if str(period) not in book.closed:
            raise ConflictError.of("period", "closed_period", f"期间“{period}”没有关账，无需重新开启")
        self.record(self.PeriodReopened, context, period=str(period), reason=reason)

    def _SubmitBatch(self, command: c.SubmitBatch, context: c.Context) -> dict[str, Any]:
        return intake.submit_batch(self, command, context)

    def _ConfirmAnomaly(self, command: c.ConfirmAnomaly, context: c.Context) -> None:
        intake.confirm_anomaly(self, command, context)

    def _ReviewSubmission(self, command: c.ReviewSubmission, context: c.Context) -> None:
        review.review_submission(self, command, context)

    def _PostFeedback(self, command: c.PostFeedback, context: c.Context) -> None:
        review.post_feedback(self, command, context)

    def _CloseThread(self, command: c.CloseThread, context: c.Context) -> None:
        review.close_thread(self, command, context)

    def _RecordActionPlan(self, command: c.RecordActionPlan, context: c.Context) -> None:
        review.record_action_plan(self, command, context)

    # ------------------------------------------------------------------ events

    class SchemeAdopted(Event):
        scheme: Scheme

        def apply(self, county: County) -> None:
            county._open_year(self.scheme, self.timestamp)

    class IndicatorDefined(Event):
        year: int
        indicator: IndicatorDef
        sibling_weights: dict[str, Decimal]
        reason: str

        def apply(self, county: County) -> None:
            book = county.years[str(self.year)]
            book.indicators[self.indicator.code] = replace(self.indicator)
            book.defined_at[self.indicator.code] = self.timestamp
            _set_weights(book, self.sibling_weights)

    class IndicatorRevised(Event):
        year: int
        indicator: IndicatorDef
        reason: str

        def apply(self, county: County) -> None:
            book = county.years[str(self.year)]
            book.indicators[self.indicator.code] = replace(self.indicator)

    class IndicatorRetired(Event):
        year: int
        code: str
        sibling_weights: dict[str, Decimal]
        reason: str

        def apply(self, county: County) -> None:
            book = county.years[str(self.year)]
            for code, node in list(book.indicators.items()):
                if county._descends(book, code, self.code):
                    book.indicators[code] = replace(node, retired=True)
            _set_weights(book, self.sibling_weights)

    class WeightsAdjusted(Event):
        year: int
        parent: str | None
        weights: dict[str, Decimal]
        previous: dict[str, Decimal]
        reason: str

        def apply(self, county: County) -> None:
            _set_weights(county.years[str(self.year)], self.weights)

    class ResponsibilityAssigned(Event):
        year: int
        indicator: str
        department: str
        person: str

        def apply(self, county: County) -> None:
            county.years[str(self.year)].responsibility[self.indicator] = Responsibility(self.department, self.person)

    class DataSubmitted(Event):
        indicator: str
        period: str
        value: Decimal
        source: str
        idempotency_key: str | None

        def apply(self, county: County) -> None:
            book = county.years[self.period[:4]]
            standing = book.data.get(self.indicator, {}).get(self.period)
            received_at = standing.received_at if standing is not None else self.timestamp
            book.data.setdefault(self.indicator, {})[self.period] = Submission(
                self.value, self.source, self.originator_version, received_at=received_at
            )
            _value_changed(book, self, "answered")
            if self.idempotency_key is not None:
                fingerprint = submission_fingerprint(self.indicator, self.period, self.value, self.source)
                county.idempotency[self.idempotency_key] = {
                    "fingerprint": fingerprint,
                    "version": self.originator_version,
                }

    class DataCorrected(Event):
        indicator: str
        period: str
        value: Decimal
        previous: Decimal
        reason: str

        def apply(self, county: County) -> None:
            book = county.years[self.period[:4]]
            standing = book.data[self.indicator][self.period]
            book.data[self.indicator][self.period] = Submission(
                self.value, standing.source, self.originator_version, corrected=True, received_at=standing.received_at
            )
            _value_changed(book, self, "corrected")

    class SubmissionWithdrawn(Event):
        indicator: str
        period: str
        previous: Decimal
        reason: str

        def apply(self, county: County) -> None:
            book = county.years[self.period[:4]]
            del book.data[self.indicator][self.period]
            _value_changed(book, self, "withdrawn")

    class ScoreOverridden(Event):
        year: int
        override_id: str
        node: str
        score: Decimal
        authority: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[str(self.year)].overrides[self.override_id] = Override(
                self.override_id, self.node, self.score, self.authority, self.reason, self.actor
            )

    class OverrideRevoked(Event):
        year: int
        override_id: str
        node: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[str(self.year)].overrides[self.override_id].revoked = True

    class PointsAdjusted(Event):
        year: int
        adjustment_id: str
        points: Decimal
        category: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[str(self.year)].adjustments.append(
                Adjustment(self.adjustment_id, self.points, self.category, self.reason, self.actor)
            )

    class AnomalyFlagged(Event):
        indicator: str
        period: str
        value: Decimal
        method: str
        measure: Decimal
        message: str

        def apply(self, county: County) -> None:
            book = county.years[self.period[:4]]
            book.anomalies[thread_key(self.indicator, self.period)] = Anomaly(
                self.indicator, self.period, self.value, self.method, self.measure, self.message, self.timestamp
            )

    class AnomalyConfirmed(Event):
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            anomaly = county.years[self.period[:4]].anomalies[thread_key(self.indicator, self.period)]
            anomaly.confirmed, anomaly.comment, anomaly.resolved_at = True, self.comment, self.timestamp

    class SubmissionAccepted(Event):
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            book = county.years[self.period[:4]]
            thread = _thread(book, self.indicator, self.period)
            thread.status, thread.updated_at = "accepted", self.timestamp
            thread.comments.append(Comment(self.actor, "evaluator", self.comment, self.timestamp, "accepted"))
            anomaly = book.anomalies.get(thread_key(self.indicator, self.period))
            if anomaly is not None and not anomaly.confirmed:
                anomaly.confirmed, anomaly.resolved_at = True, self.timestamp

    class SubmissionReturned(Event):
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            thread = _thread(county.years[self.period[:4]], self.indicator, self.period)
            thread.status, thread.updated_at = "returned", self.timestamp
            thread.returned_at, thread.answered_at = self.timestamp, None
            thread.comments.append(Comment(self.actor, "evaluator", self.comment, self.timestamp, "returned"))

    class FeedbackPosted(Event):
        year: int
        indicator: str
        period: str
        side: str
        comment: str

        def apply(self, county: County) -> None:
            thread = _thread(county.years[str(self.year)], self.indicator, self.period)
            action = "comment"
            if self.side == "county" and thread.status == "returned":
                thread.status, thread.answered_at, action = "answered", self.timestamp, "answered"
            elif thread.status in ("accepted", "closed"):
                thread.status = "open"
            thread.updated_at = self.timestamp
            thread.comments.append(Comment(self.actor, self.side, self.comment, self.timestamp, action))

    class FeedbackThreadClosed(Event):
        year: int
        indicator: str
        period: str
        comment: str

        def apply(self, county: County) -> None:
            thread = county.years[str(self.year)].threads[thread_key(self.indicator, self.period)]
            thread.status, thread.updated_at = "closed", self.timestamp
            thread.comments.append(Comment(self.actor, "evaluator", self.comment, self.timestamp, "closed"))

    class ActionPlanRecorded(Event):
        year: int
        indicator: str
        text: str
        files: list[AttachedFile]

        def apply(self, county: County) -> None:
            plans = county.years[str(self.year)].action_plans
            earlier = plans.get(self.indicator)
            first = earlier.first_recorded_at if earlier is not None else self.timestamp
            plans[self.indicator] = ActionPlan(
                self.text, list(self.files), self.actor, self.timestamp, self.originator_version, first
            )

    class BatchReceived(Event):
        channel: str
        key: str
        fingerprint: str
        filename: str
        rows: int
        submitted: int
        corrected: int
        unchanged: int
        flagged: int
        confirmed: int

        def apply(self, county: County) -> None:
            summary = {"rows": self.rows, "submitted": self.submitted, "corrected": self.corrected,
                       "unchanged": self.unchanged, "flagged": self.flagged, "confirmed": self.confirmed}  # fmt: skip
            county.idempotency[intake.BATCH_PREFIX + self.key] = {
                "fingerprint": self.fingerprint,
                "version": self.originator_version,
                "summary": summary,
            }

    class PeriodClosed(Event):
        period: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[self.period[:4]].closed.append(self.period)

    class PeriodReopened(Event):
        period: str
        reason: str

        def apply(self, county: County) -> None:
            county.years[self.period[:4]].closed.remove(self.period)


# Events about the conversation around data, not the data: no score moves with them.
SCORELESS_EVENTS: tuple[type[County.Event], ...] = (
    County.AnomalyFlagged,
    County.AnomalyConfirmed,
    County.SubmissionAccepted,
    County.SubmissionReturned,
    County.FeedbackPosted,
    County.FeedbackThreadClosed,
    County.ActionPlanRecorded,
    County.BatchReceived,
)


def _value_changed(book: CountyYear, event: Any, action: str) -> None:
    """A new value (submitted, corrected or withdrawn) ends its jump flag and answers a return."""
    key = thread_key(event.indicator, event.period)
    book.anomalies.pop(key, None)
    thread = book.threads.get(key)
    if thread is None or thread.status not in ("returned", "accepted"):
        return
    if thread.status == "returned":
        thread.status, thread.answered_at = "answered", event.timestamp
    else:  # an accepted value that changes is no longer the value accepted: it waits for review again
        thread.status = "open"
    thread.updated_at = event.timestamp
    text = getattr(event, "reason", "") or "已重新报送数据"
    thread.comments.append(Comment(event.actor, "county", text, event.timestamp, action))


def _thread(book: CountyYear, indicator: str, period: str) -> Thread:
    return book.threads.setdefault(thread_key(indicator, period), Thread(indicator, period))


def _set_weights(book: CountyYear, weights: dict[str, Decimal]) -> None:
    for code, weight in weights.items():
        book.indicators[code] = replace(book.indicators[code], weight=weight)


def check_enrolment(command: c.EnrolCounty) -> None:
    problems = []
    if not c.is_county_code(command.code):
        problems.append(Problem("code", "admin_code", f"县级行政区划代码必须是 6 位数字，收到“{command.code}”"))
    if not command.name.strip():
        problems.append(Problem("name", "required", "县名称 name 必须填写"))
    if not command.province.strip():
        problems.append(Problem("province", "required", "所属省份 province 必须填写"))
    if command.region not in c.REGIONS:
        problems.append(Problem("region", "one_of", "region 只能是 east（东部）、central（中部）、west（西部）之一"))
    if problems:
        raise InvalidCommand(problems)


__all__ = ["TOTAL", "County", "county_id"]
