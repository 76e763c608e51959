"""The organisation keeps someone in charge; sign-in attempts are throttled."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from domain.commands import Context
from domain.errors import ConflictError
from domain.organisation import Grant, Organisation

CONTEXT = Context("setup", "c")


def organisation_with_admins(*names: str) -> Organisation:
    organisation = Organisation.found(CONTEXT)
    for index, name in enumerate(names):
        organisation.register_user(name, name, "hash", [Grant(f"g{index}", "admin")], CONTEXT, enrolled=())
    return organisation


def test_the_last_admin_cannot_leave() -> None:
    organisation = organisation_with_admins("admin.one")
    with pytest.raises(ConflictError) as refused:
        organisation.deactivate_user("admin.one", "离职", CONTEXT)
    assert refused.value.problems[0].rule == "last_admin"
    with pytest.raises(ConflictError):
        organisation.revoke_role("admin.one", "g0", "调岗", CONTEXT)
    assert organisation.users["admin.one"].active


def test_an_admin_may_leave_while_another_remains() -> None:
    organisation = organisation_with_admins("admin.one", "admin.two")
    organisation.revoke_role("admin.one", "g0", "调岗", CONTEXT)
    with pytest.raises(ConflictError):
        organisation.deactivate_user("admin.two", "离职", CONTEXT)


def test_many_failed_sign_ins_are_answered_429_with_retry_after(memory_client: TestClient) -> None:
    throttle = memory_client.app.state.platform.throttle  # type: ignore[attr-defined]
    for _ in range(7):
        throttle.failed("admin.test", "testclient", known=True)
    response = memory_client.post("/api/v1/auth/token", data={"username": "admin.test", "password": "whatever"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 5
    assert response.json()["errors"][0]["rule"] == "login_throttled"
