"""Review and feedback (在线反馈): evaluators accept or return submissions, both sides talk.

A thread is about one submission (indicator and period) or one indicator (period "").
A return waits for the county's answer: a comment, a correction, a new value or a
withdrawal. Action plans (行动方案) for an indicator are recorded here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import county_checks
from domain.access import Action, Principal
from domain.errors import ConflictError, InvalidCommand
from domain.inputs import shown
from domain.state import ActionPlan, Comment, CountyYear, Thread, thread_key

if TYPE_CHECKING:
    from domain.county import County

SIDES = ("county", "evaluator")
THREAD_STATUS_LABELS = {
    "open": "讨论中",
    "returned": "已退回，待县里答复",
    "answered": "县里已答复，待审核",
    "accepted": "审核通过",
    "closed": "已结束",
}
UNFINISHED = ("open", "returned", "answered")
DECISIONS = ("accept", "return")
MAX_PLAN_FILES = 20


def waiting_on(thread: Thread) -> str | None:
    """Whose turn it is: the county after a return, the evaluator after an answer, and in an
    open discussion the side that did not speak last; nobody once a thread is finished."""
    if thread.status == "returned":
        return "county"
    if thread.status == "answered":
        return "evaluator"
    if thread.status == "open":
        last = thread.comments[-1].side if thread.comments else "county"
        return "county" if last == "evaluator" else "evaluator"
    return None


WAITING_LABELS = {"county": "等待县里答复", "evaluator": "等待评估组审核", None: "无需办理"}


def speaking_side(principal: Principal, county: str) -> str:
    """The side a comment speaks for: the evaluators' if the author may review the county's data."""
    return "evaluator" if principal.may(Action.REVIEW_DATA, county) else "county"


def thread_matches(thread: Thread, status: str) -> bool:
    """``open`` means unfinished (open, returned, answered); ``all`` every thread; else that status."""
    if status == "all":
        return True
    if status == "open":
        return thread.status in UNFINISHED
    return thread.status == status


def threads_in_order(book: CountyYear, status: str, indicator: str | None = None) -> list[Thread]:
    """The book's threads that match, the latest changed first."""
    return [
        thread
        for thread in sorted(book.threads.values(), key=lambda t: (t.updated_at is None, t.updated_at), reverse=True)
        if thread_matches(thread, status) and (indicator is None or thread.indicator == indicator)
    ]


def describe_thread(book: CountyYear, thread: Thread) -> dict[str, Any]:
    """A thread as the API and the pages show it: status in words, whose turn, the unconfirmed flag."""
    anomaly = book.anomalies.get(thread_key(thread.indicator, thread.period))
    definition = book.indicators.get(thread.indicator)
    return {
        "indicator": thread.indicator,
        "indicator_name": definition.name if definition else "",
        "period": thread.period,
        "status": thread.status,
        "status_label": THREAD_STATUS_LABELS[thread.status],
        "waiting_on": waiting_on(thread),
        "returned_at": thread.returned_at,
        "answered_at": thread.answered_at,
        "updated_at": thread.updated_at,
        "flag": anomaly.message if anomaly is not None and not anomaly.confirmed else None,
        "comments": [vars(comment) for comment in thread.comments],
    }


def _comment(text: str, *, required: bool, what: str) -> str:
    comment = text.strip()
    if required and not comment:
        raise InvalidCommand.of("comment", "required", f"{what}须填写意见（comment）")
    if len(comment) > 2000:
        raise InvalidCommand.of("comment", "max_length", "意见不能超过 2000 字")
    return comment


def review_submission(county: County, command: c.ReviewSubmission, context: c.Context) -> None:
    if command.decision not in DECISIONS:
        raise InvalidCommand.of("decision", "one_of", "decision 只能是 accept（通过）或 return（退回）")
    returning = command.decision == "return"
    comment = _comment(command.comment, required=returning, what="退回")
    book, _, _ = county_checks.data_indicator(county, command.indicator, command.period, context, open_only=False)
    county_checks.standing(book, command.indicator, command.period)
    thread = book.threads.get(thread_key(command.indicator, command.period))
    status = thread.status if thread else "open"
    if returning and status == "returned":
        raise ConflictError.of("decision", "awaiting_county", "该数据已退回，正在等待县里答复")
    if not returning and status == "accepted":
        raise ConflictError.of("decision", "not_accepted", "该数据已审核通过")
    event = county.SubmissionReturned if returning else county.SubmissionAccepted
    county.record(event, context, indicator=command.indicator, period=command.period, comment=comment)


def post_feedback(county: County, command: c.PostFeedback, context: c.Context) -> None:
    if command.side not in SIDES:
        raise InvalidCommand.of("side", "one_of", "side 只能是 county 或 evaluator")
    comment = _comment(command.comment, required=True, what="留言")
    year = _thread_year(county, command.indicator, command.period, command.year, context)
    county.record(county.FeedbackPosted, context, year=year, indicator=command.indicator,
                   period=command.period, side=command.side, comment=comment)  # fmt: skip


def close_thread(county: County, command: c.CloseThread, context: c.Context) -> None:
    year = _thread_year(county, command.indicator, command.period, command.year, context)
    thread = county.years[str(year)].threads.get(thread_key(command.indicator, command.period))
    if thread is None or thread.status in ("closed", "accepted"):
        raise ConflictError.of("indicator", "open_thread", f"指标“{command.indicator}”没有未结束的反馈")
    comment = _comment(command.comment, required=False, what="")
    county.record(county.FeedbackThreadClosed, context, year=year, indicator=command.indicator,
                   period=command.period, comment=comment)  # fmt: skip


def _thread_year(county: County, indicator: str, period: str, year: int | None, context: c.Context) -> int:
    """The book a thread lives in; a submission's thread checks the period like data does."""
    if period:
        book, _, _ = county_checks.data_indicator(county, indicator, period, context, open_only=False)
        return book.scheme.year
    book = county.book(year)
    county_checks.check_scope(book, indicator, context)
    county_checks.active_indicator(book, indicator)
    return book.scheme.year


# The documents an action plan may attach: office documents, PDF/OFD, plain text and pictures.
PLAN_FILE_TYPES = (".pdf", ".ofd", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ppt", ".pptx", ".txt", ".csv",
                   ".jpg", ".jpeg", ".png")  # fmt: skip


def check_plan_file(name: str) -> None:
    """Refuses an attachment whose name does not end in one of ``PLAN_FILE_TYPES`` (e.g. ``.exe``)."""
    if not name.strip().lower().endswith(PLAN_FILE_TYPES):
        kinds = "、".join(kind[1:] for kind in PLAN_FILE_TYPES)
        raise InvalidCommand.of("files", "file_type", f"附件“{shown(name.strip())}”的类型不允许：只能上传 {kinds} 文件")


_ZIP, _OLE = (b"PK\x03\x04",), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# What each allowed type's bytes begin with (office files: ZIP-based OOXML/OFD, or the old OLE compound file).
FILE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",), ".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".docx": _ZIP, ".xlsx": _ZIP, ".pptx": _ZIP, ".ofd": _ZIP, ".doc": _OLE, ".xls": _OLE, ".ppt": _OLE,
    ".wps": _OLE + _ZIP, ".et": _OLE + _ZIP,
}  # fmt: skip
TEXT_TYPES = (".txt", ".csv")


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def check_file_content(name: str, content: bytes) -> None:
    """Refuses an attachment whose bytes are not what its name claims (e.g. a program named ``.pdf``):
    the one check of action plans' and rectification evidence's files, after ``check_plan_file``."""
    check_plan_file(name)
    kind = "." + name.strip().lower().rsplit(".", 1)[-1]
    fits = _is_text(content) if kind in TEXT_TYPES else content.startswith(FILE_SIGNATURES.get(kind, ()))
    if not fits:
        message = f"附件“{shown(name.strip())}”的内容不是 {kind[1:]} 文件：请上传真实的 {kind[1:]} 文件"
        raise InvalidCommand.of("files", "file_content", message)


def record_action_plan(county: County, command: c.RecordActionPlan, context: c.Context) -> None:
    book: CountyYear = county.book(command.year)
    indicator = county_checks.active_indicator(book, command.indicator)
    parents = {node.parent for node in book.indicators.values() if node.weighted}
    if not indicator.weighted or indicator.code in parents:
        raise InvalidCommand.of("indicator", "leaf_indicator",
                                f"“{indicator.code} {indicator.name}”不是末级指标：行动方案按末级指标上传")  # fmt: skip
    text = command.text.strip()
    if not text:
        raise InvalidCommand.of("text", "required", "行动方案须填写内容（text）")
    if len(text) > 20000:
        raise InvalidCommand.of("text", "max_length", "行动方案内容不能超过 20000 字")
    if len(command.files) > MAX_PLAN_FILES:
        raise InvalidCommand.of("files", "max_items", f"附件不能超过 {MAX_PLAN_FILES} 个")
    for attached in command.files:
        check_plan_file(attached.name)
    if command.dry_run:
        return
    county.record(county.ActionPlanRecorded, context, year=book.scheme.year, indicator=command.indicator,
                   text=text, files=list(command.files))  # fmt: skip


# ------------------------------------------------------------ events' effects: thread transitions


def thread_for(book: CountyYear, indicator: str, period: str) -> Thread:
    return book.threads.setdefault(thread_key(indicator, period), Thread(indicator, period))


def apply_accepted(book: CountyYear, event: County.SubmissionAccepted) -> None:
    thread = thread_for(book, event.indicator, event.period)
    thread.status, thread.updated_at = "accepted", event.timestamp
    thread.comments.append(Comment(event.actor, "evaluator", event.comment, event.timestamp, "accepted"))
    anomaly = book.anomalies.get(thread_key(event.indicator, event.period))
    if anomaly is not None and not anomaly.confirmed:
        anomaly.confirmed, anomaly.resolved_at = True, event.timestamp


def apply_returned(book: CountyYear, event: County.SubmissionReturned) -> None:
    thread = thread_for(book, event.indicator, event.period)
    thread.status, thread.updated_at = "returned", event.timestamp
    thread.returned_at, thread.answered_at = event.timestamp, None
    thread.comments.append(Comment(event.actor, "evaluator", event.comment, event.timestamp, "returned"))


def apply_feedback(book: CountyYear, event: County.FeedbackPosted) -> None:
    thread = thread_for(book, event.indicator, event.period)
    action = "comment"
    if event.side == "county" and thread.status == "returned":
        thread.status, thread.answered_at, action = "answered", event.timestamp, "answered"
    elif thread.status in ("accepted", "closed"):
        thread.status = "open"
    thread.updated_at = event.timestamp
    thread.comments.append(Comment(event.actor, event.side, event.comment, event.timestamp, action))


def apply_closed(book: CountyYear, event: County.FeedbackThreadClosed) -> None:
    thread = book.threads[thread_key(event.indicator, event.period)]
    thread.status, thread.updated_at = "closed", event.timestamp
    thread.comments.append(Comment(event.actor, "evaluator", event.comment, event.timestamp, "closed"))


def value_changed(book: CountyYear, event: Any, action: str) -> None:
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


def apply_action_plan(book: CountyYear, event: County.ActionPlanRecorded) -> None:
    earlier = book.action_plans.get(event.indicator)
    first = earlier.first_recorded_at if earlier is not None else event.timestamp
    book.action_plans[event.indicator] = ActionPlan(
        event.text, list(event.files), event.actor, event.timestamp, event.originator_version, first
    )
