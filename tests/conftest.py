"""Stores for the suite: memory for unit tests; SQLite and real PostgreSQL for the rest.

PostgreSQL tests create and drop a database of their own. With CI=true they must run:
an unreachable server fails them instead of skipping them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.scheme import Scheme, parse_scheme
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url

HERE = Path(__file__).parent
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


def client_for(url: str, *, background: bool = False) -> TestClient:
    app = create_app(lambda: Platform(parse_database_url(url)), background=background)
    return TestClient(app, headers={"X-Actor": "tester"})


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    """The HTTP API over a SQLite file and over PostgreSQL."""
    with client_for(store_url) as test_client:
        yield test_client


@pytest.fixture
def memory_client() -> Iterator[TestClient]:
    with client_for("memory://") as test_client:
        yield test_client
