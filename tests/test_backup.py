"""The restore drill (README, ADR 28): write the digest down, back up, restore into an empty
store, and ``ruraleval verify --digest`` proves the restored history is the one behind it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
import structlog

from domain import commands as c
from domain.scheme import Scheme
from ruraleval.cli import main
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.conftest import postgres_database

COUNTY = "130425"


@pytest.fixture(autouse=True)
def fresh_logging() -> Iterator[None]:
    """``main`` binds the logs to this test's captured stderr: unbind them afterwards (and
    give a key, so that opening the store has nothing to warn about)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RURALEVAL_SECRET_KEY", "restore-drill-secret-key-0123456789abcdef")
        yield
    structlog.reset_defaults()


def record_history(url: str, scheme: Scheme, months: range) -> None:
    platform = Platform(parse_database_url(url))
    try:
        context = c.Context("tester", "setup")
        if platform.ledger.head() == 0:
            platform.ledger.publish_scheme(scheme, context)
            platform.ledger.enrol(c.EnrolCounty(COUNTY, "大名县", "河北省", "east", scheme), context)
        for month in months:
            command = c.SubmitData("1.2", f"2023-{month:02d}", Decimal(month * 7))
            platform.ledger.execute(COUNTY, command, c.Context("tester", f"m{month}"))
    finally:
        platform.close()


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("RURALEVAL_DATABASE_URL", url)
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@contextmanager
def empty_store_like(url: str, tmp_path: Path) -> Iterator[str]:
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        with postgres_database() as restored:
            yield restored


def test_the_restore_drill_verifies_against_the_digest_written_down(
    store_url: str, scheme: Scheme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    record_history(store_url, scheme, range(1, 7))
    monkeypatch.setenv("RURALEVAL_DATABASE_URL", store_url)
    assert main(["digest"]) == 0
    digest = next(word for word in capsys.readouterr().out.split() if word.startswith("re1-"))
    backup = tmp_path / "ruraleval.backup"
    code, said = run(monkeypatch, capsys, store_url, "backup", "--out", str(backup))
    assert code == 0 and backup.stat().st_size > 0, said
    record_history(store_url, scheme, range(7, 9))  # life goes on after the backup

    with empty_store_like(store_url, tmp_path) as restored:
        code, said = run(monkeypatch, capsys, restored, "restore", str(backup))
        assert code == 0, said
        code, said = run(monkeypatch, capsys, restored, "verify", "--digest", digest)
        assert code == 0, said
        assert "摘要一致" in said
        code, now = run(monkeypatch, capsys, restored, "digest")
        assert digest in now.split(), "the restored store ends where the backup was taken"
        assert run(monkeypatch, capsys, restored, "projections", "rebuild")[0] == 0
        code, said = run(monkeypatch, capsys, restored, "projections", "status")
        assert code == 0 and "lag 0" in said, said
