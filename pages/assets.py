"""The browser assets the platform serves itself (ADR 23): no CDN, on any intranet.

Third-party files are vendored under ``static/vendor/<name>-<version>/`` by ``make
assets`` (``tools/assets.py``), listed with their SHA-256 in ``manifest.json``. Their
URLs name the version, so they are cached for a year as immutable; our own stylesheet
and script are revalidated (ETag) on each use, so a deployment is seen at once.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
PREFIX = "/static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@cache
def manifest() -> dict[str, Any]:
    found: dict[str, Any] = json.loads((STATIC / "vendor" / "manifest.json").read_text("utf-8"))
    return found


def vendor_url(name: str, file: str) -> str:
    """The URL of a vendored file, e.g. ``vendor_url("htmx", "htmx.min.js")``."""
    entry = manifest()[name]
    if file not in entry["files"]:
        raise KeyError(f"{name} {entry['version']} has no vendored file {file}")
    return f"{PREFIX}/vendor/{entry['folder']}/{file}"


class Assets(StaticFiles):
    """Static files with cache headers: versioned vendor files for good, ours revalidated."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        path = scope["path"]
        response.headers["Cache-Control"] = IMMUTABLE if "/vendor/" in path else REVALIDATE
        return response


def static_files() -> Assets:
    return Assets(directory=STATIC)
