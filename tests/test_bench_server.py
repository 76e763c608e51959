"""The bench's server helper and its lean load client: what the request-path and main sections rely on.

On PostgreSQL the bench deploys the production pair of ADR 28 (an API process that does not
project, a ``projections run`` process beside it); both must start, serve reads by position,
and be gone afterwards. The lean client must count every answer's status and the events a 201
acknowledges, as the httpx clients did.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import auth, http_load, lean_http, rp_load, scheme
from bench.server import free_port, serve


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_the_bench_server_takes_submissions_from_the_lean_client_and_stops(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url: str = request.getfixturevalue(f"{store}_url")
    projections = "external" if store == "postgres" else "thread"
    password = auth.bootstrap_admin(url)
    with serve(url, tmp_path, "WARNING", projections=projections) as server:
        assert _alive(server.pid)
        assert (server.projection_pid is not None) == (projections == "external")
        if server.projection_pid is not None:
            assert _alive(server.projection_pid)
        assert http_load.ready(server.base_url)["projected_by"] == projections
        codes = scheme.county_codes(3)
        credentials, _ = http_load.set_up(server.base_url, codes, password)
        work = scheme.submissions(codes, [1], seed=7)
        load = http_load.submit_concurrently(server.base_url, http_load.split(work, codes, 2), credentials.keys)
        assert load.requests == len(work)
        assert dict(load.statuses) == {"201": len(work)}
        assert load.events >= len(work)  # a jump adds its flag to its value
        assert len(load.latencies) == len(work)
        # A read naming the last write's position sees it: the projections kept up, wherever they run.
        head = http_load.ready(server.base_url)["head"]
        with http_load.client(server.base_url) as http:
            answer = http.get(f"/api/v1/counties/{codes[0]}/scores", params={"year": scheme.YEAR},
                              headers={**credentials.bearer, "X-Log-Position": str(head)})  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert int(answer.headers["X-Read-Position"]) >= head
        pids = [server.pid, server.projection_pid]
    assert not any(_alive(pid) for pid in pids if pid is not None)


def test_the_lean_clients_of_a_phase_count_each_status(postgres_url: str, tmp_path: Path) -> None:
    auth.bootstrap_admin(postgres_url)
    with serve(postgres_url, tmp_path, "WARNING", projections="external") as server:
        workers = [("reads", rp_load.getter("/healthz", {})), ("missing", rp_load.getter("/no-such-page", {}))]
        streams, usage = rp_load.run_phase(server.base_url, workers, 0.5, 0.1, server.pid, server.projection_pid)
    assert set(streams["reads"].statuses) == {"200"} and streams["reads"].rate > 0
    assert set(streams["missing"].statuses) == {"404"} and streams["missing"].rate == 0
    assert {"server_cores", "projection_process_cores", "bench_client_cores"} <= set(usage)


@pytest.fixture
def odd_server() -> Iterator[tuple[str, int]]:
    """A server answering, in turn: a sized body, a chunked one, then one that closes the connection."""
    answers = [
        b'HTTP/1.1 201 Created\r\ncontent-length: 13\r\n\r\n{"events":[]}',
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno",
    ]
    loop = asyncio.new_event_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length")), 0)  # fmt: skip
            await reader.readexactly(length)
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", port
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_the_lean_connection_reads_sized_chunked_and_closing_answers(odd_server: tuple[str, int]) -> None:
    host, port = odd_server

    async def talk() -> list[tuple[int, bytes]]:
        connection = lean_http.Connection(host, port)
        request = lean_http.encode("POST", "/x", host, {"Content-Type": "application/json"}, b"{}")
        answers = [await connection.exchange(request) for _ in range(3)]
        assert connection._writer is None  # the server said close: the next request opens a new connection
        return [(answer.status, answer.body) for answer in answers]

    assert asyncio.run(talk()) == [(201, b'{"events":[]}'), (200, b"abcde"), (503, b"no")]


@pytest.mark.parametrize("client", ["lean", "httpx"])
def test_a_refused_connection_is_counted_not_raised(client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_HTTP_CLIENT", client)
    base_url = f"http://127.0.0.1:{free_port()}"  # nobody listens
    load = http_load.submit_concurrently(base_url, [[("110101", {"value": "1"})] * 2], {"110101": "key"})
    assert load.ok == 0 and load.requests == 2
    assert sum(load.statuses.values()) == 2 and all(status.startswith("transport:") for status in load.statuses)


def test_the_switch_interval_is_the_stores_and_layouts_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.app import EXTERNAL_SWITCH_INTERVAL, SWITCH_INTERVAL, switch_interval

    monkeypatch.delenv("RURALEVAL_SWITCH_INTERVAL", raising=False)
    assert switch_interval("postgresql") == SWITCH_INTERVAL["postgresql"]
    assert switch_interval("sqlite", "external") == SWITCH_INTERVAL["sqlite"]
    assert switch_interval("postgresql", "external") == EXTERNAL_SWITCH_INTERVAL
    monkeypatch.setenv("RURALEVAL_SWITCH_INTERVAL", "0.002")
    assert switch_interval("postgresql", "external") == 0.002
