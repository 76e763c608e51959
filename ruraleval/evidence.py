"""Storing the evidence of a rectification step (整改方案、进展、完成情况的附件): the one path of
the API's routes and the county's page, as for action plans (``ruraleval.action_plans``).

The step is checked first (a dry run of its command), so that a refused step leaves no file
behind; then each file is stored by its content hash, off the event loop (up to 20 MB each).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from domain import report_commands as rc
from domain.errors import InvalidCommand
from domain.review import MAX_PLAN_FILES, check_file_content, check_plan_file
from domain.state import AttachedFile
from ruraleval.action_plans import Upload
from ruraleval.files import MAX_FILE_BYTES
from ruraleval.platform import Platform

Step = rc.FileRectificationPlan | rc.ReportRectificationProgress | rc.DeclareRectificationDone


async def step_with_files(
    service: Platform, run: Callable[[Step], Awaitable[object]], command: Step, uploads: Sequence[Upload]
) -> Step:
    """The step's command with its files stored; ``run`` records a command on the county."""
    await run(replace(command, files=[], dry_run=True))
    if len(uploads) > MAX_PLAN_FILES:
        raise InvalidCommand.of("files", "max_items", f"附件不能超过 {MAX_PLAN_FILES} 个")
    for upload in uploads:  # every name judged before any file is stored
        check_plan_file(upload.filename or "")
    contents = [await upload.read(MAX_FILE_BYTES + 1) for upload in uploads]
    for upload, content in zip(uploads, contents, strict=True):  # every file's bytes judged before any is stored
        check_file_content(upload.filename or "", content)
    attached: list[AttachedFile] = []
    for upload, content in zip(uploads, contents, strict=True):
        stored = await asyncio.to_thread(service.files.put, upload.filename or "", upload.content_type or "", content)
        attached.append(stored)
    return replace(command, files=attached, dry_run=False)
