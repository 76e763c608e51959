"""Stores for the suite: memory for unit tests; SQLite and real PostgreSQL for the rest.

PostgreSQL tests create and drop a database of their own. With CI=true they must run:
an unreachable server fails them instead of skipping them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient

from api.app import create_app
from domain import commands as c
from domain.organisation import Grant, Organisation
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from ruraleval import security
from ruraleval.platform import Platform
from ruraleval.security import hash_password
from ruraleval.settings import parse_database_url

HERE = Path(__file__).parent

# Passwords hashed by the tests' users cost Argon2's cheapest parameters instead of production's
# (64 MiB, 3 passes: ~0.2 s of CPU for each hash and each sign-in, most of a short API test).
# The code path is the same (argon2id, hash then verify); a stored hash carries its own
# parameters, so the demo's production-cost hashes still verify as they are.
security._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
security._dummy_hash = security.hash_password("an unknown user's password")
PG_HOST = os.environ.get("RURALEVAL_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("RURALEVAL_TEST_PG_PORT", "5432"))


def example_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((HERE / "example_scheme.json").read_text("utf-8"))
    return document


@pytest.fixture
def scheme_document() -> dict[str, Any]:
    return example_document()


@pytest.fixture
def scheme() -> Scheme:
    return parse_scheme(example_document())


def _admin_connection() -> Any:
    import psycopg

    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="postgres", autocommit=True, connect_timeout=3
            )
        except psycopg.OperationalError as error:
            last = error
    raise RuntimeError(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT}: {last}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    with postgres_database() as url:
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards (for fixtures of any scope)."""
    try:
        admin = _admin_connection()
    except RuntimeError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires PostgreSQL: {error}")
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    name = f"ruraleval_test_{uuid.uuid4().hex[:12]}"
    user = admin.info.user
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ruraleval.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on a SQLite file and once on a real PostgreSQL database."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def make_platform() -> Iterator[Callable[[str], Platform]]:
    opened: list[Platform] = []

    def make(url: str, **kwargs: Any) -> Platform:
        platform = Platform(parse_database_url(url), **kwargs)
        opened.append(platform)
        return platform

    yield make
    for platform in opened:
        platform.close()


@pytest.fixture
def memory_platform(make_platform: Callable[[str], Platform]) -> Platform:
    return make_platform("memory://")


@pytest.fixture
def platform(store_url: str, make_platform: Callable[[str], Platform]) -> Platform:
    return make_platform(store_url)


ADMIN = "admin.test"
PASSWORD = "correct horse battery staple"


def add_user(platform: Platform, username: str, *grants: Grant, password: str = PASSWORD) -> None:
    """Registers a user straight through the ledger (as the CLI does)."""
    password_hash = hash_password(password)

    # Test setup vouches for its counties: a test may give a county's role before enrolling it.
    counties = {grant.county for grant in grants if grant.county}

    def change(organisation: Organisation, context: c.Context) -> None:
        organisation.register_user(username, username, password_hash, list(grants), context, enrolled=counties)

    platform.ledger.organise(change, c.Context("setup", "setup"), "RegisterUser")


def enrol_over_http(
    client: TestClient,
    code: str,
    name: str = "大名县",
    province: str = "河北省",
    region: str = "east",
    scheme: str = "example-2023",
) -> dict[str, Any]:
    """Enrols a county through the API (its scheme already published); the answer's body."""
    body = {"code": code, "name": name, "province": province, "region": region, "scheme": scheme}
    response = client.post("/api/v1/counties", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class PositionClient(TestClient):
    """A client that reads its own writes as a real one does (ADR 24): it remembers the
    highest ``X-Log-Position`` any answer gave and sends it with every request.

    With ``follow_store``, a test that also writes through the ledger directly (at chosen
    instants) reads after everything this process committed, as if it had written it over HTTP.
    """

    position = 0

    def __init__(self, app: Any, *args: Any, follow_store: bool = False, **kwargs: Any) -> None:
        super().__init__(app, *args, **kwargs)
        self.follow_store = follow_store

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        if self.follow_store:
            service = getattr(self.app.state, "platform", None)  # type: ignore[attr-defined]
            self.position = max(self.position, service.progress.head() if service is not None else 0)
        if self.position and not any(name.lower() == "x-log-position" for name in headers):
            headers["X-Log-Position"] = str(self.position)
        response = super().request(method, url, headers=headers, **kwargs)
        written = response.headers.get("x-log-position")
        if written is not None and written.isdigit():
            self.position = max(self.position, int(written))
        return response


@contextmanager
def client_for(url: str, *, background: bool = True, follow_store: bool = True) -> Iterator[TestClient]:
    """The API over ``url``, signed in as an administrator, its read models kept by the
    background projection thread as in production. Tests also write through the ledger
    directly, so by default the client reads after everything committed (``follow_store``);
    tests of read positions themselves name the position in each request."""
    app = create_app(lambda: Platform(parse_database_url(url)), background=background)
    with PositionClient(app, follow_store=follow_store) as test_client:
        if ADMIN not in app.state.platform.organisation.current().users:
            add_user(app.state.platform, ADMIN, Grant("g-admin", "admin"))
        test_client.headers.update(login(test_client, ADMIN))
        yield test_client


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    """The HTTP API over a SQLite file and over PostgreSQL."""
    with client_for(store_url) as test_client:
        yield test_client


@pytest.fixture
def memory_client() -> Iterator[TestClient]:
    with client_for("memory://") as test_client:
        yield test_client


# ------------------------------------------------------------------ running on two workers
#
# `make test` runs the suite on pytest-xdist workers (`-n 2`). Each test already has its own
# PostgreSQL database, tmp_path and free ports. What is left shared decides which tests go to
# one worker together (xdist's ``loadfile``, widened by the groups below):
# - a module's tests stay together, so its module-scoped fixtures (a demo loaded once, a
#   server, a browser) are built once, not once per worker;
# - a group's modules never run beside each other: one worker takes them one after the other.
XDIST_GROUPS = {
    # pg_hba.conf edits and a pg_basebackup of the whole local cluster per replica.
    "test_replica.py": "replica",
    # Several real processes per test, with time bounds (a revoked key, leases, writers with
    # skewed clocks): two such tests at once on two cores would measure the machine.
    "test_processes.py": "processes",
    "test_projection_lease.py": "processes",
    "test_as_of_now.py": "processes",
}


def _scope(nodeid: str) -> str:
    """The unit of work a worker takes whole: a group, or else the test's module."""
    module = nodeid.split("::", 1)[0]
    name = module.rsplit("/", 1)[-1]
    if name.startswith("test_browser"):
        return "browser"  # one chromium at a time, beside its module's uvicorn server
    return XDIST_GROUPS.get(name, module)


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pragma: no cover - plain `pytest` without the dev extra
    pass
else:
    # xdist's own ``--dist loadgroup`` reads marks that pytest 9 no longer passes on (it
    # renames ``item._nodeid``, which pytest 9's node ids ignore): the scopes are named here.

    class _GroupedFiles(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling:
        return _GroupedFiles(config, log)
