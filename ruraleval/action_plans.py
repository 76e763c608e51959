"""Storing an action plan's attachments: the one path of the API's route and the coordinator's page.

The plan is checked first (a dry run of the command), so that a refused plan leaves no file
behind; then each file is stored by its content hash, off the event loop (up to 20 MB each).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from domain import commands as c
from domain.errors import InvalidCommand
from domain.review import MAX_PLAN_FILES, check_file_content, check_plan_file
from domain.state import AttachedFile
from ruraleval.files import MAX_FILE_BYTES
from ruraleval.platform import Platform


class Upload(Protocol):
    """What both FastAPI's and Starlette's uploaded files offer."""

    @property
    def filename(self) -> str | None: ...

    @property
    def content_type(self) -> str | None: ...

    async def read(self, size: int = -1) -> bytes: ...


async def plan_with_files(
    service: Platform,
    run: Callable[[c.RecordActionPlan], Awaitable[object]],
    indicator: str,
    text: str,
    uploads: Sequence[Upload],
    year: int | None,
) -> c.RecordActionPlan:
    """The plan's command with its files stored; ``run`` records a command on the county."""
    await run(c.RecordActionPlan(indicator, text, (), year, dry_run=True))
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
    return c.RecordActionPlan(indicator, text, tuple(attached), year)
