"""Security headers on every answer, errors and 404s included (ADR 15).

- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: DENY`` always.
- ``Content-Security-Policy``: the API answers JSON and files, which need nothing, so
  the policy allows nothing (``default-src 'none'``; no framing, no base URL, no form
  target). HTML answers outside ``/api/`` (the pages of ADR 23 and their error pages)
  get ``PAGE_POLICY``: scripts, styles and images from this origin only, forms posting
  only here, no inline code. The interactive documentation page is the exception, and
  gets a policy allowing exactly what it loads: Swagger UI's bundle and stylesheet, served
  by the platform (``pages.docs``), and an inline bootstrap script whose text depends on
  the mount path: so the policy is derived from the page as served — its ``<script
  src>`` and stylesheet URLs, its inline scripts by SHA-256 hash, its icon — never
  ``'unsafe-inline'`` scripts. Styles may be inline there (Swagger UI sets styles at run
  time; a style runs no code), images may be ``data:`` (Swagger UI's icons), and the page
  may fetch only from this origin (the schema, "Try it out", sign-in). The page's HTML
  is small and rarely asked for, so it is buffered to read it; every other answer
  streams through.
- ``Cache-Control: no-store`` on everything under ``/api/`` (the token, authenticated
  data and files, refusals) unless a route sets its own: no proxy or browser cache
  keeps another user's answer.

Plain ASGI like ``RequestContext`` (``BaseHTTPMiddleware`` costs a task and a stream
copy per request). It wraps the whole application, outside Starlette's error handler,
so that 500 answers carry the headers too (see ``api.app.RuralEvalApp``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# HTML pages (ADR 23): scripts, styles and images from this origin only, no inline code.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY")]
_ALWAYS_NAMES = {name for name, _ in ALWAYS}
_CSP = b"content-security-policy"
_CACHE = b"cache-control"
_HTML = b"text/html"


def _secured(
    headers: Iterable[tuple[bytes, bytes]], policy: bytes, no_store: bool, page_policy: bytes | None = None
) -> list[tuple[bytes, bytes]]:
    kept = [(name, value) for name, value in headers if name.lower() not in _ALWAYS_NAMES]
    names = {name.lower() for name, _ in kept}
    kept.extend(ALWAYS)
    if _CSP not in names:
        is_html = any(name.lower() == b"content-type" and value.startswith(_HTML) for name, value in kept)
        kept.append((_CSP, page_policy if page_policy is not None and is_html else policy))
    if no_store and _CACHE not in names:
        kept.append((_CACHE, b"no-store"))
    return kept


class SecurityHeaders:
    def __init__(self, app: ASGIApp, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        self.strict = STRICT_POLICY.encode()
        self.page = PAGE_POLICY.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        if path in self.docs_paths:
            await self._docs_page(path, scope, receive, send)
            return
        no_store = path.startswith("/api/")
        page = None if no_store else self.page  # pages' HTML (and their error pages) outside the API

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secured(message.get("headers", ()), self.strict, no_store, page)
            await send(message)

        await self.app(scope, receive, send_secured)

    async def _docs_page(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        body: list[bytes] = []

        async def send_with_policy(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            headers = start.get("headers", ())
            content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
            html = b"".join(body)
            policy = docs_policy(html.decode("utf-8", "replace"))
            is_page = content_type.startswith(b"text/html")
            start["headers"] = _secured(headers, policy.encode() if is_page else self.strict, no_store=False)
            await send(start)
            await send({"type": "http.response.body", "body": html})

        await self.app(scope, receive, send_with_policy)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class _Assets(HTMLParser):
    """What a page loads: script URLs, inline scripts, stylesheets, icons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.inline: list[str] = []
        self.styles: list[str] = []
        self.images: list[str] = []
        self._inline: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "script":
            if found.get("src"):
                self.scripts.append(found["src"])
            else:
                self._inline = []
        elif tag == "link":
            rel = found.get("rel", "").lower().split()
            if "stylesheet" in rel:
                self.styles.append(found.get("href", ""))
            elif "icon" in rel:
                self.images.append(found.get("href", ""))

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline is not None:
            self.inline.append("".join(self._inline))
            self._inline = None


def _source(url: str) -> str | None:
    """A URL as a CSP source (its full path: only that file); None if it cannot be one."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return "'self'"  # served by this application
    if parts.scheme != "https" or not parts.netloc:
        return None  # plain http, data: and the like are not allowed
    source = f"https://{parts.netloc}{parts.path}"
    return None if any(char in source for char in " ;,'\"") else source


def _hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def docs_policy(html: str, extras: str = "") -> str:
    """The policy of one documentation page: exactly the assets and inline scripts it names."""
    assets = _Assets()
    assets.feed(html)
    assets.close()

    def sources(urls: list[str]) -> list[str]:
        return sorted({source for url in urls if (source := _source(url))})

    scripts = sources(assets.scripts) + [_hash(script) for script in assets.inline]
    styles = [*sources(assets.styles), "'unsafe-inline'"]
    images = sorted({"'self'", "data:", *sources(assets.images)})
    directives = [
        "default-src 'none'",
        "script-src " + (" ".join(scripts) or "'none'"),
        "style-src " + " ".join(styles),
        "img-src " + " ".join(images),
        "connect-src 'self'",
        *([extras] if extras else []),
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    return "; ".join(directives)
