"""Access control through the HTTP API: every route × every principal × in and out of scope.

RULES says, for every route of the application, who may call it. The list of routes comes
from the application itself, so a route added without a rule fails
``test_every_route_has_a_rule``. Each protected route is called by the six demo users, by
an API key of county 130425, and without credentials, on an in-scope county (130425: team
east-1's, the coordinator's and the department's county) and on an out-of-scope one
(510129, in the west). The body is ``{}``: permissions are checked before the body, so an
allowed caller gets a validation answer (422) and nothing is written.

The other tests follow the issue's list: county A's coordinator and county B; a department
and its indicators; leader and auditor write nothing; expired and tampered tokens; revoked
API keys; grants and revocations in the audit history; the recorded actor; reads filtered by
scope; a user added by the CLI; slowed logins; a production start that refuses to run.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from domain.commands import Context
from domain.county import county_id
from domain.organisation import Grant, Organisation
from ruraleval.demo import COUNTIES, DEMO_USERS, load_demo
from ruraleval.platform import Platform
from ruraleval.security import TokenIssuer, hash_password
from ruraleval.settings import parse_database_url
from tests.conftest import ADMIN, PASSWORD, client_for, login

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazily included routers: app.routes holds every route

    def iter_route_contexts(routes: Iterable[Any]) -> Iterator[Any]:  # type: ignore[misc]
        return iter(routes)


ROOT = Path(__file__).resolve().parent.parent
IN_SCOPE = "130425"  # east: team east-1, coordinator.130425, dept.130425, the API key
OUT_OF_SCOPE = "510129"  # west: nobody's but the all-county roles'
EAST = sorted(code for code, *_, region in COUNTIES if region == "east")
PASSWORDS = {username: password for username, password, *_ in DEMO_USERS}

# ------------------------------------------------------------------------------ principals

ADMIN_USER = "admin"
EVALUATOR = "evaluator.east"
COORDINATOR = "coordinator.130425"
DEPARTMENT = "dept.130425"
LEADER = "leader"
AUDITOR = "auditor"
API_KEY = "api key of 130425"
ANONYMOUS = "no credentials"

USERS = (ADMIN_USER, EVALUATOR, COORDINATOR, DEPARTMENT, LEADER, AUDITOR)
EVERYONE = (*USERS, API_KEY)
ALL_COUNTIES = frozenset({ADMIN_USER, LEADER, AUDITOR})  # roles whose scope is every county
PRINCIPALS = (*EVERYONE, ANONYMOUS)


@dataclass(frozen=True)
class Rule:
    """Who may call a route: ``allowed`` on an in-scope county (or at all, if not county-bound).

    On a county outside their scope only the all-county roles among them are let through.
    """

    allowed: frozenset[str]
    county_bound: bool = False
    public: bool = False

    def allows(self, principal: str, county: str) -> bool:
        if self.public:
            return True
        if principal not in self.allowed:
            return False
        return not self.county_bound or county == IN_SCOPE or principal in ALL_COUNTIES


def county(*who: str) -> Rule:
    return Rule(frozenset(who), county_bound=True)


def platform_wide(*who: str) -> Rule:
    return Rule(frozenset(who))


PUBLIC = Rule(frozenset(PRINCIPALS), public=True)
DATA = (ADMIN_USER, COORDINATOR, DEPARTMENT)
REVIEW = (ADMIN_USER, EVALUATOR)
TOWNS = (ADMIN_USER, COORDINATOR)  # the county's verification of its towns (ADR 27)

# fmt: off
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/auth/me"): platform_wide(*EVERYONE),
    # evaluation schemes
    ("POST", "/api/v1/schemes"): platform_wide(ADMIN_USER),
    ("POST", "/api/v1/schemes/{scheme_id}/revisions"): platform_wide(ADMIN_USER),
    ("GET", "/api/v1/schemes/{scheme_id}"): platform_wide(*EVERYONE),
    # enrolment, indicators, weights, responsibilities
    ("POST", "/api/v1/counties"): platform_wide(ADMIN_USER),
    ("POST", "/api/v1/counties/{code}/schemes"): county(ADMIN_USER),
    # the tree itself, directly: the centre's side; a county proposes (ADR 20)
    ("POST", "/api/v1/counties/{code}/indicators"): county(*REVIEW),
    ("PATCH", "/api/v1/counties/{code}/indicators/{indicator}"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/indicators/{indicator}/retire"): county(*REVIEW),
    ("PUT", "/api/v1/counties/{code}/weights"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/proposals"): county(ADMIN_USER, COORDINATOR),
    ("GET", "/api/v1/counties/{code}/proposals"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/proposals/{proposal_id}/approve"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/proposals/{proposal_id}/reject"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/proposals/{proposal_id}/withdraw"): county(ADMIN_USER, COORDINATOR),
    ("PUT", "/api/v1/counties/{code}/indicators/{indicator}/responsibility"): county(ADMIN_USER, COORDINATOR),
    # data, reviews, periods
    ("POST", "/api/v1/counties/{code}/submissions"): county(*DATA, API_KEY),
    ("GET", "/api/v1/counties/{code}/template.xlsx"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/imports"): county(*DATA, API_KEY),
    ("POST", "/api/v1/counties/{code}/batches"): county(*DATA, API_KEY),
    ("POST", "/api/v1/counties/{code}/corrections"): county(*DATA, EVALUATOR),
    ("POST", "/api/v1/counties/{code}/withdrawals"): county(*DATA, EVALUATOR),
    ("POST", "/api/v1/counties/{code}/overrides"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/overrides/{override_id}/revoke"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/adjustments"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/adjustments/{adjustment_id}/revoke"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/periods/{period}/close"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/periods/{period}/reopen"): county(*REVIEW),
    # review, feedback, flagged values, action plans
    ("POST", "/api/v1/counties/{code}/reviews"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/confirmations"): county(*DATA, API_KEY),
    ("POST", "/api/v1/counties/{code}/feedback"): county(ADMIN_USER, EVALUATOR, COORDINATOR, DEPARTMENT),
    ("POST", "/api/v1/counties/{code}/feedback/close"): county(*REVIEW),
    ("GET", "/api/v1/counties/{code}/feedback"): county(*EVERYONE),
    ("PUT", "/api/v1/counties/{code}/indicators/{indicator}/action-plan"): county(ADMIN_USER, COORDINATOR),
    ("GET", "/api/v1/counties/{code}/indicators/{indicator}/action-plan"): county(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/files/{sha256}"): county(*EVERYONE),
    # rectification: the evaluators raise and inspect, the county plans, reports and declares done
    ("POST", "/api/v1/counties/{code}/rectification"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/rectification/{item_id}/plan"): county(ADMIN_USER, COORDINATOR),
    ("POST", "/api/v1/counties/{code}/rectification/{item_id}/progress"): county(ADMIN_USER, COORDINATOR),
    ("POST", "/api/v1/counties/{code}/rectification/{item_id}/done"): county(ADMIN_USER, COORDINATOR),
    ("POST", "/api/v1/counties/{code}/rectification/{item_id}/verify"): county(*REVIEW),
    ("POST", "/api/v1/counties/{code}/rectification/{item_id}/reject"): county(*REVIEW),
    ("GET", "/api/v1/counties/{code}/rectification"): county(*EVERYONE),
    ("GET", "/api/v1/rectification/queue"): platform_wide(*EVERYONE),
    # reads (lists are filtered by scope, see the tests below)
    ("GET", "/api/v1/counties"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/indicators"): county(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/scores"): county(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/scores/{node}/history"): county(*EVERYONE),
    # the link to reward and penalty (一挂钩) and the findings it follows from
    ("POST", "/api/v1/counties/{code}/consequences"): county(*REVIEW),
    ("GET", "/api/v1/counties/{code}/consequences"): county(*EVERYONE),
    ("GET", "/api/v1/consequences"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/findings"): county(*EVERYONE),
    ("GET", "/api/v1/rankings"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/analysis/horizontal"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/analysis/vertical"): county(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/analysis/gap"): county(*EVERYONE),
    # the annual report (ADR 25): issued by the county's evaluators and the centre, read by all in scope
    ("POST", "/api/v1/counties/{code}/reports"): county(*REVIEW),
    ("GET", "/api/v1/counties/{code}/reports"): county(*EVERYONE),
    ("GET", "/api/v1/reports"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/reports/{report_id}/files/{name}"): county(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/reports/{report_id}/check"): county(*EVERYONE),
    ("GET", "/api/v1/warnings"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/warnings/grid"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/warnings/history"): platform_wide(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/schedule"): county(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/events"): county(ADMIN_USER, AUDITOR),
    ("POST", "/api/v1/counties/{code}/composite-inputs"): county(*REVIEW),
    ("GET", "/api/v1/counties/{code}/composites"): county(*EVERYONE),
    # town verification (ADR 27): the county organises it; whoever reads the county reads it
    ("POST", "/api/v1/counties/{code}/verification"): county(*TOWNS),
    ("GET", "/api/v1/counties/{code}/verification/{year}"): county(*EVERYONE),
    ("GET", "/api/v1/counties/{code}/verification/{year}/registry"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/verification/{year}/registry"): county(*TOWNS),
    ("GET", "/api/v1/counties/{code}/verification/{year}/registry/template.xlsx"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/verification/{year}/registry/import"): county(*TOWNS),
    ("GET", "/api/v1/counties/{code}/verification/{year}/teams"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/verification/{year}/teams"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/teams/{team_id}/assignment"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/absences"): county(*TOWNS),
    ("GET", "/api/v1/counties/{code}/verification/{year}/samples"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/verification/{year}/samples"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/higher-sampling"): county(*TOWNS),
    ("GET", "/api/v1/counties/{code}/verification/{year}/scores"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/verification/{year}/scores"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/scores/{score_id}/revoke"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/registry/{object_code}/correction"): county(*TOWNS),
    # the use of the towns' results (004 八–九): the county office issues, decides and inspects
    ("GET", "/api/v1/counties/{code}/verification/{year}/outcomes"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/verification/{year}/towns/{town}/notices"): county(*TOWNS),
    ("GET", "/api/v1/counties/{code}/verification/{year}/notices/{notice_id}/file"): county(*EVERYONE),
    ("POST", "/api/v1/counties/{code}/verification/{year}/towns/{town}/consequences"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/towns/{town}/rectification"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/rectification/{item_id}/plan"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/rectification/{item_id}/progress"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/rectification/{item_id}/done"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/rectification/{item_id}/verify"): county(*TOWNS),
    ("POST", "/api/v1/counties/{code}/verification/{year}/rectification/{item_id}/reject"): county(*TOWNS),
    # users, grants, teams, API keys
    ("GET", "/api/v1/users"): platform_wide(ADMIN_USER, AUDITOR),
    ("POST", "/api/v1/users"): platform_wide(ADMIN_USER),
    ("GET", "/api/v1/users/{username}"): platform_wide(ADMIN_USER, AUDITOR),
    ("POST", "/api/v1/users/{username}/grants"): platform_wide(ADMIN_USER),
    ("POST", "/api/v1/users/{username}/grants/{grant_id}/revoke"): platform_wide(ADMIN_USER),
    ("POST", "/api/v1/users/{username}/deactivate"): platform_wide(ADMIN_USER),
    # {username} is the leader's own account: the leader may change its own password
    ("POST", "/api/v1/users/{username}/password"): platform_wide(ADMIN_USER, LEADER),
    ("GET", "/api/v1/teams"): platform_wide(ADMIN_USER, AUDITOR),
    ("POST", "/api/v1/teams"): platform_wide(ADMIN_USER),
    ("PUT", "/api/v1/teams/{team}/counties"): platform_wide(ADMIN_USER),
    ("GET", "/api/v1/counties/{code}/api-keys"): county(ADMIN_USER, COORDINATOR),
    ("POST", "/api/v1/counties/{code}/api-keys"): county(ADMIN_USER, COORDINATOR),
    ("POST", "/api/v1/counties/{code}/api-keys/{key_id}/revoke"): county(ADMIN_USER, COORDINATOR),
    # audit
    ("GET", "/api/v1/audit/organisation"): platform_wide(ADMIN_USER, AUDITOR),
    ("GET", "/api/v1/audit/verify"): platform_wide(ADMIN_USER, AUDITOR),
    ("GET", "/api/v1/audit/digest"): platform_wide(ADMIN_USER, AUDITOR),
    ("GET", "/api/v1/audit/counties/{code}/verification/{year}/events"): platform_wide(ADMIN_USER, AUDITOR),
}
# fmt: on

# Path parameters other than {code}. Nothing an allowed caller can change with a body of {}.
PATH_VALUES = {
    "scheme_id": "demo-2023",
    "indicator": "1.2",
    "override_id": "no-such-override",
    "adjustment_id": "no-such-adjustment",
    "period": "2023-13",  # not a period: an allowed close (whose body may be empty) is refused
    "node": "total",
    "report_id": "2023-R9",  # none: an allowed caller is answered 404
    "name": "report.pdf",
    "username": LEADER,
    "grant_id": "demo-leader",
    "team": "east-1",
    "key_id": "no-such-key",
    "sha256": "0" * 64,
    "proposal_id": "P2023-404",
    "item_id": "2023-Z404",
    "year": "2023",
    "team_id": "no-such-team",
    "score_id": "no-such-score",
    "town": "no-such-town",
    "notice_id": "no-such-notice",
    "object_code": "no-such-object",
}
QUERY = {"year": "2023"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# Application bugs found by this file, reported and not yet fixed; each cell is expected to
# fail (strictly: once the application is fixed, remove the entry).
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route the application serves (HEAD aside), but the
    HTML pages (tagged ``pages``), whose own table is in ``tests/test_pages.py``."""
    found = {
        (str(method), str(route.path))
        for route in iter_route_contexts(app.routes)
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD" and "pages" not in (getattr(route, "tags", None) or ())
    }
    return sorted(found, key=lambda route: (route[1], route[0]))


ROUTES = api_routes(create_app(background=False))


def route_id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


def route_params() -> list[Any]:
    params = []
    for route in ROUTES:
        bug = KNOWN_BUGS.get(route)
        marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
        params.append(pytest.param(route, id=route_id(route), marks=marks))
    return params


# -------------------------------------------------------------------------------- fixtures


@dataclass
class Api:
    """The API over a memory store holding the demo, and every principal's credentials."""

    client: TestClient
    platform: Platform
    credentials: dict[str, dict[str, str]]

    def call(self, principal: str, method: str, path: str, body: Any = None, **params: str) -> httpx.Response:
        return self.client.request(method, path, headers=self.credentials[principal], json=body, params=params or None)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with client_for("memory://") as client:
        assert isinstance(client.app, FastAPI)
        service: Platform = client.app.state.platform
        load_demo(service)
        credentials = {username: login(client, username, PASSWORDS[username]) for username in USERS}
        issued = client.post(
            f"/api/v1/counties/{IN_SCOPE}/api-keys",
            json={"label": "权限测试"},
            headers=credentials[COORDINATOR],
        )
        assert issued.status_code == 201, issued.text
        credentials[API_KEY] = {"X-API-Key": issued.json()["key"]}
        credentials[ANONYMOUS] = {}
        del client.headers["Authorization"]  # every call names its principal
        yield Api(client, service, credentials)


def expand(path: str, code: str) -> str:
    values = PATH_VALUES | {"code": code}
    missing = [name for name in re.findall(r"{(\w+)}", path) if name not in values]
    assert not missing, f"{path}: add a value for {missing} to PATH_VALUES"
    return path.format(**values)


def check(response: httpx.Response, principal: str, allowed: bool) -> str | None:
    """What is wrong with the answer, or None."""
    status = response.status_code
    if principal == ANONYMOUS and not allowed:
        if status != 401:
            return f"expected 401, got {status}"
        if response.headers.get("www-authenticate") != "Bearer":
            return f"401 without WWW-Authenticate: Bearer ({response.headers.get('www-authenticate')})"
        return None
    if not allowed:
        if status != 403:
            return f"expected 403, got {status}"
        if not response.headers.get("content-type", "").startswith("application/problem+json"):
            return f"403 is not problem+json ({response.headers.get('content-type')})"
        rules = [error["rule"] for error in response.json()["errors"]]
        if not rules or not rules[0].startswith("permission:"):
            return f"403 without a permission rule: {rules}"
        return None
    if status in (401, 403) or status >= 500:
        return f"expected to be let through, got {status}: {response.text[:200]}"
    return None


# ----------------------------------------------------------------------- the route table


def test_every_route_has_a_rule() -> None:
    missing = [route_id(route) for route in ROUTES if route not in RULES]
    assert not missing, "routes without a permission rule in RULES (tests/test_permissions.py):\n" + "\n".join(missing)


def test_every_rule_names_a_route() -> None:
    stale = [route_id(route) for route in RULES if route not in ROUTES]
    assert not stale, "rules for routes the application no longer has:\n" + "\n".join(stale)


@pytest.mark.parametrize("route", route_params())
def test_route_permissions(api: Api, route: tuple[str, str]) -> None:
    method, path = route
    rule = RULES.get(route)
    assert rule is not None, f"no permission rule for {route_id(route)}: add one to RULES"
    counties = (IN_SCOPE, OUT_OF_SCOPE) if "{code}" in path else (IN_SCOPE,)
    body: dict[str, Any] | None = {} if method in WRITES else None
    wrong = []
    for code in counties:
        url = expand(path, code)
        for principal in PRINCIPALS:
            response = api.call(principal, method, url, body, **QUERY)
            problem = check(response, principal, rule.allows(principal, code))
            if problem:
                wrong.append(f"{principal} on {url}: {problem}")
    assert not wrong, f"{route_id(route)}:\n" + "\n".join(wrong)


# ---------------------------------------------------------------------- writes by scope


def submission(indicator: str = "1.2", value: float = 60.5, period: str = "2023") -> dict[str, Any]:
    return {"indicator": indicator, "period": period, "value": value}


def vacate(api: Api, county: str, indicator: str = "1.2", period: str = "2023") -> None:
    """Withdraws the demo's standing value, so that a submission records a new one
    (a submission never replaces a standing value: that is a correction)."""
    body = {"indicator": indicator, "period": period, "reason": "腾出位置以测试报送"}
    response = api.call(ADMIN_USER, "POST", f"/api/v1/counties/{county}/withdrawals", body)
    assert response.status_code in (200, 404), response.text


def refused(response: httpx.Response, rule: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["rule"] for error in response.json()["errors"]] == [rule], response.text


def test_a_county_coordinator_cannot_write_to_another_county(api: Api) -> None:
    before = api.platform.ledger.county(OUT_OF_SCOPE).version
    writes = [
        ("POST", "submissions", submission(), "submit_data"),
        ("POST", "corrections", submission() | {"reason": "更正"}, "correct_data"),
        ("PUT", "indicators/1.2/responsibility", {"department": "县农业农村局"}, "organise_work"),
        ("PUT", "weights", {"parent": "1", "weights": {"1.1": 4, "1.2": 4}, "reason": "调整"}, "manage_indicators"),
        ("POST", "api-keys", {"label": "越权"}, "manage_api_keys"),
        (
            "POST",
            "proposals",
            {"kind": "adjust_weights", "change": {"parent": "3", "weights": {"3.1": 6}}, "reason": "调整"},
            "propose_changes",
        ),
    ]
    for method, tail, body, action in writes:
        response = api.call(COORDINATOR, method, f"/api/v1/counties/{OUT_OF_SCOPE}/{tail}", body)
        refused(response, f"permission:{action}")
        assert OUT_OF_SCOPE in response.json()["detail"]  # the refusal says which county
    assert api.platform.ledger.county(OUT_OF_SCOPE).version == before  # nothing was written
    vacate(api, IN_SCOPE)
    own = api.call(COORDINATOR, "POST", f"/api/v1/counties/{IN_SCOPE}/submissions", submission())
    assert own.status_code == 201, own.text


def test_a_department_user_submits_only_its_indicators(api: Api) -> None:
    vacate(api, IN_SCOPE)
    assigned = api.call(DEPARTMENT, "POST", f"/api/v1/counties/{IN_SCOPE}/submissions", submission("1.2"))
    assert assigned.status_code == 201, assigned.text
    other = api.call(DEPARTMENT, "POST", f"/api/v1/counties/{IN_SCOPE}/submissions", submission("3.1"))
    refused(other, "indicator_in_scope")
    correction = submission("3.1") | {"reason": "更正"}
    refused(api.call(DEPARTMENT, "POST", f"/api/v1/counties/{IN_SCOPE}/corrections", correction), "indicator_in_scope")
    elsewhere = api.call(DEPARTMENT, "POST", f"/api/v1/counties/{OUT_OF_SCOPE}/submissions", submission("1.2"))
    refused(elsewhere, "permission:submit_data")


@pytest.mark.parametrize("reader", [LEADER, AUDITOR])
def test_leader_and_auditor_write_nothing(api: Api, reader: str) -> None:
    writes = [route for route in ROUTES if route[0] in WRITES and RULES.get(route) is not PUBLIC]
    assert len(writes) > 20
    wrong = []
    for method, path in writes:
        if path == "/api/v1/users/{username}/password" and reader == PATH_VALUES["username"]:
            continue  # its own password (tests/test_passwords.py); nobody else's
        for code in (IN_SCOPE, OUT_OF_SCOPE):
            url = expand(path, code)
            response = api.call(reader, method, url, {})
            problem = check(response, reader, allowed=False)
            if problem:
                wrong.append(f"{method} {url}: {problem}")
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------------- tokens and API keys


def flip(char: str) -> str:
    return "A" if char != "A" else "B"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def bad_tokens(service: Platform, valid: str) -> dict[str, str]:
    header, payload, signature = valid.split(".")
    claims = json.loads(unb64(payload))
    middle = len(signature) // 2
    tampered_signature = signature[:middle] + flip(signature[middle]) + signature[middle + 1 :]
    promoted = b64(json.dumps(claims | {"sub": ADMIN_USER}).encode())
    unsigned = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    expired, _ = service.tokens.issue(LEADER, now=datetime.now(UTC) - timedelta(hours=2))
    foreign, _ = TokenIssuer("another-signing-key-" + "x" * 32).issue(LEADER)
    return {
        "expired": expired,
        "tampered signature": f"{header}.{payload}.{tampered_signature}",
        "tampered claims (sub → admin)": f"{header}.{promoted}.{signature}",
        "unsigned (alg none)": f"{unsigned}.{promoted}.",
        "signed with another key": foreign,
        "not a token": "not-a-token",
    }


def test_expired_and_tampered_tokens_get_401(api: Api) -> None:
    valid = api.credentials[LEADER]["Authorization"].removeprefix("Bearer ")
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {valid}"}).status_code == 200
    for kind, token in bad_tokens(api.platform, valid).items():
        for method, path in (("GET", "/api/v1/auth/me"), ("GET", "/api/v1/rankings"), ("POST", "/api/v1/users")):
            response = api.client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, params=QUERY, json={}
            )
            assert response.status_code == 401, f"{kind} token on {path}: {response.status_code} {response.text}"
            assert response.headers["www-authenticate"] == "Bearer", kind
            assert response.headers["content-type"].startswith("application/problem+json"), kind


def test_a_revoked_api_key_stops_working_at_once(api: Api) -> None:
    issued = api.call(COORDINATOR, "POST", f"/api/v1/counties/{IN_SCOPE}/api-keys", {"label": "县数据中台"})
    assert issued.status_code == 201, issued.text
    key, key_id = issued.json()["key"], issued.json()["id"]
    as_key = {"X-API-Key": key}
    url = f"/api/v1/counties/{IN_SCOPE}/submissions"
    vacate(api, IN_SCOPE)
    accepted = api.client.post(url, json=submission(value=61), headers=as_key)
    assert accepted.status_code == 201, accepted.text
    listed = api.call(COORDINATOR, "GET", f"/api/v1/counties/{IN_SCOPE}/api-keys").json()
    assert all("key" not in item and "secret_hash" not in item for item in listed)  # shown once only

    revoked = api.call(
        COORDINATOR, "POST", f"/api/v1/counties/{IN_SCOPE}/api-keys/{key_id}/revoke", {"reason": "密钥泄露"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] is True

    refused_at_once = api.client.post(url, json=submission(value=62), headers=as_key)
    assert refused_at_once.status_code == 401, refused_at_once.text
    assert refused_at_once.headers["www-authenticate"] == "Bearer"
    assert api.client.get("/api/v1/auth/me", headers=as_key).status_code == 401


def test_an_api_key_works_only_on_its_county(api: Api) -> None:
    elsewhere = api.call(API_KEY, "POST", f"/api/v1/counties/{OUT_OF_SCOPE}/submissions", submission())
    refused(elsewhere, "permission:submit_data")
    correction = submission() | {"reason": "更正"}
    refused(
        api.call(API_KEY, "POST", f"/api/v1/counties/{IN_SCOPE}/corrections", correction), "permission:correct_data"
    )


# ------------------------------------------------------------------------ audit history


def audit_events(api: Api, username: str) -> list[dict[str, Any]]:
    response = api.call(AUDITOR, "GET", "/api/v1/audit/organisation", username=username)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


def test_a_grant_and_its_revocation_appear_in_the_audit_history(api: Api) -> None:
    subject = "audit.subject"
    started = datetime.now(UTC)
    created = api.call(ADMIN_USER, "POST", "/api/v1/users", {"username": subject, "password": PASSWORD})
    assert created.status_code == 201, created.text
    grant = {"role": "county_coordinator", "county": OUT_OF_SCOPE, "reason": "负责大邑县数据报送"}
    granted = api.call(ADMIN_USER, "POST", f"/api/v1/users/{subject}/grants", grant)
    assert granted.status_code == 201, granted.text
    grant_id = granted.json()["grants"][0]["id"]

    token = login(api.client, subject, PASSWORD)
    url = f"/api/v1/counties/{OUT_OF_SCOPE}/submissions"
    vacate(api, OUT_OF_SCOPE)
    assert api.client.post(url, json=submission(), headers=token).status_code == 201

    revoke = {"reason": "岗位调整"}
    revoked = api.call(ADMIN_USER, "POST", f"/api/v1/users/{subject}/grants/{grant_id}/revoke", revoke)
    assert revoked.status_code == 200, revoked.text
    refused(api.client.post(url, json=submission(), headers=token), "permission:submit_data")  # at once
    finished = datetime.now(UTC)

    events = {event["type"]: event for event in audit_events(api, subject)}
    assert {"UserRegistered", "RoleGranted", "RoleRevoked"} <= set(events)
    for kind, reason in (("RoleGranted", grant["reason"]), ("RoleRevoked", revoke["reason"])):
        event = events[kind]
        assert event["actor"] == ADMIN_USER, event
        assert event["reason"] == reason, event
        assert started <= datetime.fromisoformat(event["recorded_at"]) <= finished, event
    assert events["RoleGranted"]["payload"]["grant"]["county"] == OUT_OF_SCOPE
    assert events["RoleRevoked"]["payload"]["grant_id"] == grant_id
    assert all("password" not in json.dumps(event) for event in events.values())

    # Who could do what, at any instant: the grant while it held, and after its revocation.
    at_grant = events["RoleGranted"]["recorded_at"]
    then = api.call(AUDITOR, "GET", f"/api/v1/users/{subject}", as_of=at_grant)
    assert then.status_code == 200, then.text
    assert [(g["id"], g["revoked"]) for g in then.json()["grants"]] == [(grant_id, False)]
    now = api.call(AUDITOR, "GET", f"/api/v1/users/{subject}")
    assert [(g["id"], g["revoked"]) for g in now.json()["grants"]] == [(grant_id, True)]
    before = api.call(AUDITOR, "GET", f"/api/v1/users/{subject}", as_of=started.isoformat())
    assert before.status_code == 404, before.text


# ------------------------------------------------------------------------------- actor


def last_event(service: Platform, code: str) -> Any:
    return list(service.ledger.app.events.get(county_id(code)))[-1]


def test_the_actor_recorded_is_the_authenticated_principal(api: Api) -> None:
    url = f"/api/v1/counties/{IN_SCOPE}/submissions"
    forged = api.call(DEPARTMENT, "POST", url, submission() | {"actor": ADMIN_USER})
    assert forged.status_code == 422, forged.text  # no actor field in a body

    vacate(api, IN_SCOPE)
    recorded = api.call(DEPARTMENT, "POST", url, submission(value=63))
    assert recorded.status_code == 201, recorded.text
    event = last_event(api.platform, IN_SCOPE)
    assert (type(event).__name__, event.originator_version) == ("DataSubmitted", recorded.json()["version"])
    assert event.actor == DEPARTMENT

    vacate(api, IN_SCOPE)
    by_key = api.call(API_KEY, "POST", url, submission(value=64))
    assert by_key.status_code == 201, by_key.text
    me = api.call(API_KEY, "GET", "/api/v1/auth/me").json()
    assert me["kind"] == "api_key"
    assert last_event(api.platform, IN_SCOPE).actor == me["name"]

    evaluator = api.call(
        EVALUATOR, "POST", f"/api/v1/counties/{IN_SCOPE}/corrections", submission() | {"reason": "核查"}
    )
    assert evaluator.status_code == 200, evaluator.text
    assert last_event(api.platform, IN_SCOPE).actor == EVALUATOR


# ------------------------------------------------------------------------ scoped reads


def codes(response: httpx.Response, field: str = "code") -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item[field] for item in response.json())


def test_the_county_list_is_filtered_by_scope(api: Api) -> None:
    assert codes(api.call(COORDINATOR, "GET", "/api/v1/counties")) == [IN_SCOPE]
    assert codes(api.call(DEPARTMENT, "GET", "/api/v1/counties")) == [IN_SCOPE]
    assert codes(api.call(API_KEY, "GET", "/api/v1/counties")) == [IN_SCOPE]
    assert codes(api.call(EVALUATOR, "GET", "/api/v1/counties")) == EAST
    assert len(codes(api.call(LEADER, "GET", "/api/v1/counties"))) == len(COUNTIES)


def test_rankings_show_only_the_scope_but_keep_the_global_rank(api: Api) -> None:
    everything = api.call(LEADER, "GET", "/api/v1/rankings", **QUERY).json()
    assert len(everything["counties"]) == len(COUNTIES)
    global_rank = {row["county"]: (row["rank"], row["region_rank"]) for row in everything["counties"]}
    for principal, expected in ((COORDINATOR, [IN_SCOPE]), (DEPARTMENT, [IN_SCOPE]), (EVALUATOR, EAST)):
        seen = api.call(principal, "GET", "/api/v1/rankings", **QUERY).json()
        assert sorted(row["county"] for row in seen["counties"]) == expected, principal
        assert {row["county"]: (row["rank"], row["region_rank"]) for row in seen["counties"]} == {
            code: global_rank[code] for code in expected
        }
        assert set(seen["regions"]) == {"east"}, principal


def test_who_am_i_lists_the_readable_counties(api: Api) -> None:
    assert api.call(COORDINATOR, "GET", "/api/v1/auth/me").json()["readable_counties"] == [IN_SCOPE]
    assert api.call(EVALUATOR, "GET", "/api/v1/auth/me").json()["readable_counties"] == EAST
    assert api.call(AUDITOR, "GET", "/api/v1/auth/me").json()["readable_counties"] is None


# -------------------------------------------------------------- CLI, logins, production


def ruraleval(
    env: dict[str, str], *args: str, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruraleval.cli", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_env(url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RURALEVAL_")}
    return env | {"RURALEVAL_DATABASE_URL": url, "PYTHONPATH": str(ROOT)} | extra


def test_a_user_added_by_the_cli_can_log_in_at_once(sqlite_url: str) -> None:
    password = "cli-leader-password"
    with client_for(sqlite_url) as client:  # the service is running on the same store
        added = ruraleval(
            cli_env(sqlite_url),
            "users",
            "add",
            "--username",
            "cli.leader",
            "--role",
            "leader",
            "--password-stdin",
            stdin=password + "\n",
        )
        assert added.returncode == 0, added.stderr
        token = login(client, "cli.leader", password)
        me = client.get("/api/v1/auth/me", headers=token)
        assert me.status_code == 200, me.text
        assert me.json()["name"] == "cli.leader"
        assert client.get("/api/v1/rankings", params=QUERY, headers=token).status_code == 200
        refused(client.post("/api/v1/users", json={}, headers=token), "permission:manage_organisation")
        history = client.get("/api/v1/audit/organisation", params={"username": "cli.leader"}).json()
        assert history[0]["type"] == "UserRegistered"
        assert history[0]["actor"].startswith("cli:")


def test_repeated_failed_logins_are_slowed(memory_client: TestClient) -> None:
    def attempt(password: str) -> tuple[int, float]:
        started = time.monotonic()
        response = memory_client.post("/api/v1/auth/token", data={"username": ADMIN, "password": password})
        return response.status_code, time.monotonic() - started

    free = [attempt("wrong password") for _ in range(3)]
    assert [status for status, _ in free] == [401, 401, 401]
    status, seconds = attempt(PASSWORD)  # the fourth attempt waits; a good password still works
    assert status == 200
    assert 1.0 <= seconds < 10.0
    assert seconds - min(took for _, took in free) >= 0.8  # the wait, not a slow password hash


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def add_demo_user(url: str) -> None:
    """A user flagged as demo, as ``ruraleval demo`` registers them."""
    platform = Platform(parse_database_url(url))
    try:

        def change(organisation: Organisation, context: Context) -> None:
            grant = Grant("demo-leader", "leader")
            organisation.register_user(
                LEADER, "领导小组", hash_password(PASSWORDS[LEADER]), [grant], context, enrolled=(), demo=True
            )

        platform.ledger.organise(change, Context("setup", "setup"), "RegisterUser")
    finally:
        platform.close()


SECRET = "production-secret-key-" + "s" * 32

REFUSALS: dict[str, tuple[dict[str, str], bool, str]] = {
    # case: (environment, with demo users, words of the refusal)
    "demo users": ({"RURALEVAL_SECRET_KEY": SECRET}, True, "demo users"),
    "no secret key": ({}, False, "RURALEVAL_SECRET_KEY"),
    "short secret key": ({"RURALEVAL_SECRET_KEY": "too-short"}, False, "RURALEVAL_SECRET_KEY"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_production_start_refuses_to_run(tmp_path: Path, case: str) -> None:
    extra, demo_users, words = REFUSALS[case]
    url = f"sqlite:///{tmp_path / 'production.db'}"
    if demo_users:
        add_demo_user(url)
    env = cli_env(url, RURALEVAL_ENV="production", **extra)
    # Were the check missing, the server would start and the call would time out.
    started = ruraleval(env, "serve", "--port", str(free_port()), timeout=60)
    assert started.returncode != 0, started.stderr
    assert "refusing to start" in started.stderr, started.stderr
    assert words in started.stderr, started.stderr
    assert SECRET not in started.stderr + started.stdout  # the key is never printed


# The check `ruraleval serve` runs before binding, without starting a server.
CHECK_ONLY = """
from ruraleval.platform import Platform
platform = Platform()
try:
    platform.check_production_ready()
finally:
    platform.close()
"""


def test_production_starts_with_a_key_and_no_demo_users(tmp_path: Path) -> None:
    """The refusals above are about the demo users and the key, not production as such."""
    url = f"sqlite:///{tmp_path / 'production.db'}"
    env = cli_env(url, RURALEVAL_ENV="production", RURALEVAL_SECRET_KEY=SECRET)
    checked = subprocess.run(
        [sys.executable, "-c", CHECK_ONLY], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
