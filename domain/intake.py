"""Data arriving in a county: single submissions, corrections and withdrawals, value
checks and jump flags; a batch's receipt (a batch is planned and recorded in ``batches``).

The functions here run inside the ``County`` aggregate (``domain.county.COMMAND_HANDLERS``);
they check the whole command before the first event is recorded, so a refused batch
leaves no trace.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import county_checks
from domain.anomaly import Flag, check_jump
from domain.decimals import ZERO, plain
from domain.errors import ConflictError, InvalidCommand, require_reason
from domain.periods import parse_period
from domain.review import value_changed
from domain.scheme import IndicatorDef
from domain.state import Anomaly, CountyYear, Submission, thread_key

if TYPE_CHECKING:
    from domain.county import County

BATCH_PREFIX = "batch:"  # batch keys share the county's idempotency book with single submissions
# Values beyond these are typing errors, and would overflow the exact arithmetic of flags and warnings.
MAX_MAGNITUDE = Decimal("1e15")
MAX_PLACES = 6
CORRECTION_ROUTE = "POST /api/v1/counties/{code}/corrections"


def submission_fingerprint(indicator: str, period: str, value: Decimal, source: str) -> str:
    """What an idempotency key promises: the same submission, however its number was written."""
    return f"{indicator}|{period}|{plain(value)}|{source}"


def submit_data(county: County, command: c.SubmitData, context: c.Context) -> dict[str, Any]:
    key = command.idempotency_key
    fingerprint = submission_fingerprint(command.indicator, command.period, command.value, command.source)
    with contextlib.suppress(InvalidCommand):  # a bad period is reported below
        county_checks.check_scope(county.book(parse_period(command.period).year), command.indicator, context)
    if key is not None:
        seen = county.idempotency.get(key)
        if seen is not None:
            if seen["fingerprint"] != fingerprint:
                raise ConflictError.of("idempotency_key", "same_content", f"幂等键“{key}”已用于内容不同的另一次报送")
            return {"version": seen["version"], "replayed": True, "flag": seen.get("flag")}
    book, indicator, _ = county_checks.data_indicator(county, command.indicator, command.period, context)
    check_value(indicator, command.value)
    outcome, standing = change_of(county, book, command.indicator, command.period, command.value, command.comment,
                                  command.reason, may_correct=command.may_correct)  # fmt: skip
    if outcome == "unchanged":
        return {"version": standing.version if standing else county.version, "replayed": False, "unchanged": True}
    if outcome == "confirmed":
        county.record(county.AnomalyConfirmed, context, indicator=command.indicator, period=command.period,
                      comment=command.comment.strip())  # fmt: skip
        return {"version": county.version, "replayed": False}
    if outcome == "corrected" and standing is not None:
        county.record(county.DataCorrected, context, indicator=command.indicator, period=command.period,
                      value=command.value, previous=standing.value, reason=command.reason.strip())  # fmt: skip
    else:
        county.record(county.DataSubmitted, context, indicator=command.indicator, period=command.period,
                      value=command.value, source=command.source, idempotency_key=key)  # fmt: skip
    version = county.version
    flag = follow_up(county, command.indicator, command.period, command.value, command.comment, context)
    return {"version": version, "replayed": False, "flag": flag.message if flag else None}


def change_of(
    county: County,
    book: CountyYear,
    indicator: str,
    period: str,
    value: Decimal,
    comment: str,
    reason: str,
    *,
    may_correct: bool,
) -> tuple[str, Submission | None]:
    """What a value arriving on any channel does to the one standing (the same rule for the
    form, the API, workbooks and batches): ``submitted`` where none stands; the same value
    again changes nothing (``unchanged``), or, sent with a comment while its jump flag waits,
    confirms it (``confirmed``); another value is a correction, which needs the correction
    right and a reason, otherwise 409 naming the correction route."""
    standing = book.data.get(indicator, {}).get(period)
    if standing is None:
        return "submitted", None
    if standing.value == value:
        anomaly = book.anomalies.get(thread_key(indicator, period))
        if comment.strip() and anomaly is not None and not anomaly.confirmed:
            return "confirmed", standing  # the template sent back with its 说明
        return "unchanged", standing
    already = f"指标“{indicator}”在“{period}”已有数据 {plain(standing.value)}"
    route = CORRECTION_ROUTE.format(code=county.code)
    if not may_correct:
        message = f"{already}，您无权更正；请联系县级管理员或评估组（更正接口：{route}）"
        raise ConflictError.of("value", "correction_allowed", message)
    if not reason.strip():
        message = f"{already}，改为 {plain(value)} 属于更正，须填写更正理由 reason（或使用更正接口 {route}）"
        raise ConflictError.of("reason", "reason_required", message)
    return "corrected", standing


def check_value(indicator: IndicatorDef, value: Decimal) -> None:
    where = f"指标“{indicator.code} {indicator.name}”"
    if abs(value) >= MAX_MAGNITUDE:
        raise InvalidCommand.of("value", "number_size", f"{where}的取值 {value} 不合理：绝对值须小于 10¹⁵")
    places = -value.normalize().as_tuple().exponent  # type: ignore[operator]
    if places > MAX_PLACES:  # the words name only the rule broken: a 0.0000001 is not too large
        message = f"{where}的取值 {plain(value)} 有 {places} 位小数：小数不超过 {MAX_PLACES} 位"
        raise InvalidCommand.of("value", "number_size", message)
    bounds = indicator.range
    if indicator.method is not None and indicator.method.type == "manual":
        bounds = [ZERO, Decimal(1)]
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        low, high = plain(bounds[0]), plain(bounds[1])
        raise InvalidCommand.of("value", "within_range", f"{where}的取值 {plain(value)} 超出有效范围 [{low}, {high}]")


def correct_data(county: County, command: c.CorrectData, context: c.Context) -> None:
    reason = require_reason(command.reason)
    book, indicator, _ = county_checks.data_indicator(county, command.indicator, command.period, context)
    previous = county_checks.standing(book, command.indicator, command.period)
    check_value(indicator, command.value)
    county.record(
        county.DataCorrected,
        context,
        indicator=command.indicator,
        period=command.period,
        value=command.value,
        previous=previous.value,
        reason=reason,
    )
    follow_up(county, command.indicator, command.period, command.value, "", context)


def withdraw_submission(county: County, command: c.WithdrawSubmission, context: c.Context) -> None:
    reason = require_reason(command.reason)
    book, _, _ = county_checks.data_indicator(county, command.indicator, command.period, context)
    previous = county_checks.standing(book, command.indicator, command.period)
    county.record(
        county.SubmissionWithdrawn,
        context,
        indicator=command.indicator,
        period=command.period,
        previous=previous.value,
        reason=reason,
    )


def batch_fingerprint(rows: tuple[c.BatchRow, ...] | list[c.BatchRow]) -> str:
    """A batch's content, however its numbers were written (61.50 and 61.5 are one value)."""
    canonical = [[row.indicator, row.period, plain(row.value), row.comment, row.reason] for row in rows]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


def history(county: County, indicator: str, period: str, planned: dict[tuple[str, str], Decimal]) -> list[Decimal]:
    """The indicator's standing values before ``period``, across the county's years, oldest first.

    An indicator keeps one frequency once it has data, so its periods (2023-05, 2023-Q2 or
    2023) sort chronologically as text: no parsing on this path, which every value takes.
    """
    values: dict[str, Decimal] = {}
    for book in county.years.values():
        for earlier, submission in book.data.get(indicator, {}).items():
            if earlier < period:
                values[earlier] = submission.value
    for (code, earlier), value in planned.items():
        if code == indicator and earlier < period:
            values[earlier] = value
    return [values[key] for key in sorted(values)]


def flag_for(
    county: County, indicator: str, period: str, value: Decimal, planned: dict[tuple[str, str], Decimal] | None = None
) -> Flag | None:
    checks = county.book(parse_period(period).year, "period").scheme.checks
    return check_jump(value, history(county, indicator, period, planned or {}), checks)


def follow_up(
    county: County, indicator: str, period: str, value: Decimal, comment: str, context: c.Context
) -> Flag | None:
    """After a value is recorded: a jump is flagged, and confirmed at once by a comment sent
    with it; a comment on a steady value is kept as the county's word on the submission."""
    flag = flag_for(county, indicator, period, value)
    comment = comment.strip()
    if flag is not None:
        county.record(
            county.AnomalyFlagged, context, indicator=indicator, period=period, value=value,
            method=flag.method, measure=flag.measure, message=flag.message,
        )  # fmt: skip
        if comment:
            county.record(county.AnomalyConfirmed, context, indicator=indicator, period=period, comment=comment)
    elif comment:
        county.record(
            county.FeedbackPosted, context, year=int(period[:4]), indicator=indicator, period=period,
            side="county", comment=comment,
        )  # fmt: skip
    return flag


def confirm_anomaly(county: County, command: c.ConfirmAnomaly, context: c.Context) -> None:
    book, _, _ = county_checks.data_indicator(county, command.indicator, command.period, context, open_only=False)
    anomaly = book.anomalies.get(thread_key(command.indicator, command.period))
    if anomaly is None or anomaly.confirmed:
        raise ConflictError.of("period", "flagged_value",
                               f"指标“{command.indicator}”在“{command.period}”没有待确认的异常波动")  # fmt: skip
    comment = command.comment.strip()
    if not comment:
        raise InvalidCommand.of("comment", "required", "确认异常波动须填写说明（comment）")
    county.record(county.AnomalyConfirmed, context, indicator=command.indicator, period=command.period,
                   comment=comment)  # fmt: skip


# ------------------------------------------------------------ events' effects


def apply_submitted(county: County, event: County.DataSubmitted) -> None:
    book = county.years[event.period[:4]]
    earlier = book.data.get(event.indicator, {}).get(event.period)
    received_at = earlier.received_at if earlier is not None else event.timestamp
    book.data.setdefault(event.indicator, {})[event.period] = Submission(
        event.value, event.source, event.originator_version, received_at=received_at
    )
    value_changed(book, event, "answered")
    county.keyed_submission = None
    if event.idempotency_key is not None:
        fingerprint = submission_fingerprint(event.indicator, event.period, event.value, event.source)
        county.idempotency[event.idempotency_key] = {"fingerprint": fingerprint, "version": event.originator_version}
        county.keyed_submission = [event.idempotency_key, event.correlation_id, event.timestamp.isoformat()]


def apply_corrected(book: CountyYear, event: County.DataCorrected) -> None:
    earlier = book.data[event.indicator][event.period]
    book.data[event.indicator][event.period] = Submission(
        event.value, earlier.source, event.originator_version, corrected=True, received_at=earlier.received_at
    )
    value_changed(book, event, "corrected")


def apply_withdrawn(book: CountyYear, event: County.SubmissionWithdrawn) -> None:
    del book.data[event.indicator][event.period]
    value_changed(book, event, "withdrawn")


def apply_flagged(book: CountyYear, event: County.AnomalyFlagged) -> None:
    book.anomalies[thread_key(event.indicator, event.period)] = Anomaly(
        event.indicator, event.period, event.value, event.method, event.measure, event.message, event.timestamp
    )


def note_follow_up(county: County, event: Any) -> None:
    """What ``follow_up`` records after a keyed submission in the same command (a flag, its
    confirmation, a comment) is noted on the key: its replays answer as the first answer did, with
    the flag and the county's version after the command.

    The same command: the same correlation id and the same recorded instant as the submission
    (the writer stamps a batch once; a client may reuse its request id), and the event next after
    the key's version as noted so far. (Keys recorded before a snapshot taken by an earlier version,
    which kept none of this, replay with the submission's own version and no flag, as then.)"""
    keyed = getattr(county, "keyed_submission", None)
    if keyed is None or event.correlation_id != keyed[1] or event.timestamp.isoformat() != keyed[2]:
        return
    entry = county.idempotency.get(keyed[0])
    if entry is not None and entry.get("version") == event.originator_version - 1:
        entry["version"] = event.originator_version
        if isinstance(event, county.AnomalyFlagged):
            entry["flag"] = event.message


def apply_confirmed(book: CountyYear, event: County.AnomalyConfirmed) -> None:
    anomaly = book.anomalies[thread_key(event.indicator, event.period)]
    anomaly.confirmed, anomaly.comment, anomaly.resolved_at = True, event.comment, event.timestamp


def apply_batch(county: County, event: County.BatchReceived) -> None:
    summary = {"rows": event.rows, "submitted": event.submitted, "corrected": event.corrected,
               "unchanged": event.unchanged, "flagged": event.flagged, "confirmed": event.confirmed}  # fmt: skip
    county.idempotency[BATCH_PREFIX + event.key] = {
        "fingerprint": event.fingerprint,
        "version": event.originator_version,
        "summary": summary,
    }
