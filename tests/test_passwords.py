"""Changing passwords (ADR 15): one's own with the current one, anyone's by an admin, or on
the command line. A change is a PasswordChanged event and ends every earlier token; a
refused change stores nothing; neither the password nor its hash reaches the logs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from domain.organisation import ORGANISATION_ID, Grant
from ruraleval.platform import Platform
from tests.conftest import ADMIN, PASSWORD, add_user, client_for, login
from tests.test_permissions import cli_env, ruraleval

USER = "zhang.san"
NEW_PASSWORD = "a new and longer passphrase"


def platform_of(client: TestClient) -> Platform:
    service: Platform = client.app.state.platform  # type: ignore[attr-defined]
    return service


def organisation_version(client: TestClient) -> int:
    events = platform_of(client).ledger.app.events.get(ORGANISATION_ID)
    return max(event.originator_version for event in events)


def change(client: TestClient, username: str, body: dict[str, Any], token: dict[str, str]) -> httpx.Response:
    return client.post(f"/api/v1/users/{username}/password", json=body, headers=token)


def me(client: TestClient, token: dict[str, str]) -> httpx.Response:
    return client.get("/api/v1/auth/me", headers=token)


def sign_in(client: TestClient, username: str, password: str) -> int:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return response.status_code


def refusal(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [(error["field"], error["rule"]) for error in response.json()["errors"]]


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    with client_for(store_url) as signed_in_as_admin:
        add_user(platform_of(signed_in_as_admin), USER, Grant("g-user", "leader"))
        yield signed_in_as_admin


def test_a_user_changes_its_own_password_and_its_earlier_tokens_end(client: TestClient) -> None:
    token = login(client, USER)
    before = organisation_version(client)

    wrong = change(client, USER, {"old_password": "not my password", "new_password": NEW_PASSWORD}, token)
    assert wrong.status_code == 422, wrong.text
    assert refusal(wrong) == [("old_password", "current_password")]
    assert "原密码不正确" in wrong.json()["errors"][0]["message"]
    missing = change(client, USER, {"new_password": NEW_PASSWORD}, token)
    assert missing.status_code == 422 and refusal(missing) == [("old_password", "required")]
    short = change(client, USER, {"old_password": PASSWORD, "new_password": "short"}, token)
    assert short.status_code == 422 and refusal(short) == [("new_password", "string_too_short")]
    assert short.json()["errors"][0]["message"] == "new_password：至少 10 个字符"
    assert organisation_version(client) == before  # nothing stored
    assert me(client, token).status_code == 200  # and the token still works

    changed = change(client, USER, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, token)
    assert changed.status_code == 204, changed.text
    assert organisation_version(client) == before + 1

    refused = me(client, token)  # the token used for the change ends with it
    assert refused.status_code == 401, refused.text
    assert "密码已修改" in refused.json()["detail"]
    assert sign_in(client, USER, PASSWORD) == 401
    fresh = login(client, USER, NEW_PASSWORD)
    assert me(client, fresh).json()["name"] == USER


def test_the_change_is_an_event_without_the_password_in_the_audit_or_the_logs(client: TestClient) -> None:
    token = login(client, USER)
    with capture_logs() as logs:
        body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
        assert change(client, USER, body, token).status_code == 204
    changed = [entry for entry in logs if entry["event"] == "password_changed"]
    assert changed == [{"event": "password_changed", "username": USER, "by": USER, "how": "own", "log_level": "info"}]
    everything = repr(logs)
    assert PASSWORD not in everything and NEW_PASSWORD not in everything and "argon2" not in everything

    event = list(platform_of(client).ledger.app.events.get(ORGANISATION_ID))[-1]
    assert type(event).__name__ == "PasswordChanged"
    assert (event.username, event.actor) == (USER, USER)
    assert event.password_hash.startswith("$argon2")  # the hash, as user creation records it

    history = client.get("/api/v1/audit/organisation", params={"username": USER}).json()
    assert history[-1]["type"] == "PasswordChanged"
    assert history[-1]["payload"] == {"username": USER}  # the hash is not shown


def test_an_admin_resets_another_users_password_with_the_new_one_only(client: TestClient) -> None:
    users_token = login(client, USER)
    before = organisation_version(client)
    with_old = change(client, USER, {"old_password": "anything", "new_password": NEW_PASSWORD}, {})
    assert with_old.status_code == 422 and refusal(with_old) == [("old_password", "not_applicable")]
    unknown = change(client, "no.such.user", {"new_password": NEW_PASSWORD}, {})
    assert unknown.status_code == 404 and refusal(unknown) == [("username", "known_user")]
    assert organisation_version(client) == before

    reason = change(client, USER, {"new_password": NEW_PASSWORD}, {})
    assert reason.status_code == 422 and refusal(reason) == [("reason", "reason_required")]
    reset = change(client, USER, {"new_password": NEW_PASSWORD, "reason": "本人遗忘密码"}, {})  # the admin's token
    assert reset.status_code == 204, reset.text
    assert me(client, users_token).status_code == 401
    assert me(client, {}).json()["name"] == ADMIN  # the admin's own token is untouched
    assert sign_in(client, USER, NEW_PASSWORD) == 200
    event = list(platform_of(client).ledger.app.events.get(ORGANISATION_ID))[-1]
    assert (type(event).__name__, event.actor, event.reason) == ("PasswordChanged", ADMIN, "本人遗忘密码")


def test_only_an_admin_changes_someone_elses_password(client: TestClient) -> None:
    add_user(platform_of(client), "li.si", Grant("g-li", "auditor"))
    as_auditor = login(client, "li.si")
    refused = change(client, USER, {"new_password": NEW_PASSWORD}, as_auditor)
    assert refused.status_code == 403, refused.text
    assert refusal(refused) == [("authorization", "permission:manage_organisation")]
    also_with_old = change(client, USER, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, as_auditor)
    assert also_with_old.status_code == 403
    assert sign_in(client, USER, PASSWORD) == 200


def test_an_admin_changing_its_own_password_gives_the_current_one(memory_client: TestClient) -> None:
    refused = change(memory_client, ADMIN, {"new_password": NEW_PASSWORD}, {})
    assert refused.status_code == 422 and refusal(refused) == [("old_password", "required")]


def test_wrong_current_passwords_are_throttled_like_sign_ins(memory_client: TestClient) -> None:
    platform = platform_of(memory_client)
    add_user(platform, USER, Grant("g-user", "leader"))
    token = login(memory_client, USER)
    for attempt in range(platform.throttle.limits.pair.free):
        wrong = {"old_password": f"guess number {attempt}", "new_password": NEW_PASSWORD}
        assert change(memory_client, USER, wrong, token).status_code == 422
    started = time.monotonic()
    right = change(memory_client, USER, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, token)
    assert right.status_code == 204, right.text
    assert time.monotonic() - started >= 0.9  # held one second, as a fourth sign-in would be


def test_the_cli_sets_a_password_and_ends_earlier_sign_ins(store_url: str) -> None:
    env = cli_env(store_url)
    with client_for(store_url) as client:  # the service runs on the same store
        add_user(platform_of(client), USER, Grant("g-user", "leader"))
        token = login(client, USER)
        before = organisation_version(client)

        short = ruraleval(env, "users", "passwd", "--username", USER, "--password-stdin", stdin="short\n")
        assert short.returncode == 2 and "至少 10 个字符" in short.stderr
        unknown = ruraleval(env, "users", "passwd", "--username", "nobody", "--password-stdin", stdin=NEW_PASSWORD)
        assert unknown.returncode == 1 and "不存在" in unknown.stderr
        assert organisation_version(client) == before

        changed = ruraleval(env, "users", "passwd", "--username", USER, "--password-stdin", stdin=NEW_PASSWORD + "\n")
        assert changed.returncode == 0, changed.stderr
        assert NEW_PASSWORD not in changed.stdout + changed.stderr
        # Another process's change reaches a running server within a second (ADR 15).
        deadline = time.monotonic() + 3
        while me(client, token).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert me(client, token).status_code == 401
        assert sign_in(client, USER, PASSWORD) == 401
        assert me(client, login(client, USER, NEW_PASSWORD)).status_code == 200
        history = client.get("/api/v1/audit/organisation", params={"username": USER}).json()
        assert history[-1]["type"] == "PasswordChanged" and history[-1]["actor"].startswith("cli:")


def test_an_unknown_user_costs_one_real_password_check_like_a_known_one(
    memory_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign-in must not tell an unknown username by its speed: both run one Argon2 verification."""
    from ruraleval import security

    checked: list[str] = []
    hasher = security._hasher

    class Counting:
        def hash(self, password: str) -> str:
            return hasher.hash(password)

        def verify(self, password_hash: str, password: str) -> bool:
            checked.append(password_hash)
            return hasher.verify(password_hash, password)

    monkeypatch.setattr(security, "_hasher", Counting())
    for username in (ADMIN, "nobody.here"):
        answer = memory_client.post("/api/v1/auth/token", data={"username": username, "password": "wrong password!"})
        assert answer.status_code == 401
    assert len(checked) == 2 and checked[1] == security.dummy_hash()


def test_importing_the_security_module_hashes_nothing() -> None:
    """The dummy hash waits for the first password check (a rebuild's partitions never make one)."""
    import subprocess
    import sys

    probe = "import ruraleval.security as s; print(s._dummy_hash)"
    printed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == "None"
