"""A lean HTTP/1.1 client for the load phases: asyncio streams, keep-alive, pre-encoded requests.

The bench's clients share the machine's 2 cores with the server they measure; httpx in a
thread per client cost ~0.3 cores at ~300 submissions/s, time the server did not get. Here
every client is a coroutine on one event loop, holding its own keep-alive connection; a
request is bytes encoded before the clock starts, and an answer is parsed only as far as a
client needs: the status line, ``Content-Length`` (or a chunked body) and the body's bytes.
Every answer's status is still returned to be counted, and a body still read whole, so a
connection never falls out of step. A transport error closes the connection; the next
request opens a new one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

TIMEOUT = 60.0
MAX_HEAD = 64 * 1024


class ProtocolError(Exception):
    """The server's answer was not HTTP/1.1 this client understands."""


def encode(method: str, path: str, host: str, headers: dict[str, str], body: bytes | None = None) -> bytes:
    """One request, ready to write: a ``Content-Length`` whenever there is a body."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


@dataclass
class Answer:
    status: int
    body: bytes


async def read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """One response off the stream, and whether the server keeps the connection open."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as error:
        raise ProtocolError("response head too long") from error
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    status = int(parts[1])
    length: int | None = None
    chunked = False
    keep_alive = parts[0] == b"HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep_alive = value.strip().lower() != b"close"
    if chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:  # no length: the body runs to the end of the connection
        body = await reader.read()
        keep_alive = False
    return Answer(status, body), keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    pieces: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, then the empty line
                pass
            return b"".join(pieces)
        pieces.append(await reader.readexactly(size))
        await reader.readexactly(2)


class Connection:
    """One keep-alive connection to ``host:port``; opened on first use and after an error."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        if self._writer is None:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=MAX_HEAD), TIMEOUT
            )

    async def exchange(self, request: bytes) -> Answer:
        """Sends one encoded request and reads its answer; a failure closes the connection and raises."""
        try:
            await self.open()
            assert self._reader is not None and self._writer is not None
            self._writer.write(request)
            answer, keep_alive = await asyncio.wait_for(read_answer(self._reader), TIMEOUT)
        except BaseException:
            self.close()
            raise
        if not keep_alive:
            self.close()
        return answer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


TRANSPORT_ERRORS = (OSError, EOFError, asyncio.IncompleteReadError, asyncio.TimeoutError, ProtocolError)


def outcome_of(error: BaseException) -> str:
    """How a failed exchange is counted: the same ``transport:<Error>`` the httpx clients counted."""
    return f"transport:{type(error).__name__}"
