"""Security headers on every answer (ADR 15): nosniff, no framing, a Content-Security-Policy
that allows nothing outside the documentation pages (and there only what each page loads),
no-store on API answers; files always downloaded as opaque attachments.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.headers import PAGE_POLICY, STRICT_POLICY
from ruraleval.platform import Platform
from tests.conftest import PASSWORD, enrol_over_http

COUNTY = "130425"


def assert_secured(response: httpx.Response, policy: str = STRICT_POLICY) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == policy
    assert len(response.headers.get_list("x-frame-options")) == 1


def no_store(response: httpx.Response) -> bool:
    return response.headers.get("cache-control") == "no-store"


def test_a_200_an_authenticated_answer_and_the_token_carry_the_headers(memory_client: TestClient) -> None:
    me = memory_client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert_secured(me)
    assert no_store(me)
    username = me.json()["name"]
    token = memory_client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200
    assert_secured(token)
    assert no_store(token)
    health = memory_client.get("/healthz")
    assert_secured(health)
    assert not no_store(health)  # not under /api/: nothing personal


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/no/such/page", None, 404),
        ("GET", "/api/v1/no-such-route", None, 404),
        ("POST", "/api/v1/counties", {}, 422),
        ("GET", "/api/v1/counties/999999/scores?year=2023", None, 404),
        ("DELETE", "/api/v1/rankings", None, 405),
    ],
)
def test_errors_carry_the_headers(memory_client: TestClient, method: str, path: str, body: Any, status: int) -> None:
    response = memory_client.request(method, path, json=body)
    assert response.status_code == status, response.text
    # an unknown address outside the API is a page's 404 (ADR 23), under the pages' policy
    assert_secured(response, STRICT_POLICY if path.startswith("/api/") else PAGE_POLICY)
    assert no_store(response)  # an API answer, or a page: either may be about the user


def test_refusals_without_credentials_carry_the_headers(memory_client: TestClient) -> None:
    response = memory_client.get("/api/v1/rankings", params={"year": 2023}, headers={"Authorization": ""})
    assert response.status_code == 401
    assert_secured(response)
    assert no_store(response)


def test_a_server_error_carries_the_headers(memory_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    platform: Platform = memory_client.app.state.platform  # type: ignore[attr-defined]

    def broken() -> Any:
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(platform.organisation, "user_principal", lambda *_: broken())
    answering = TestClient(memory_client.app, raise_server_exceptions=False, headers=dict(memory_client.headers))
    response = answering.get("/api/v1/auth/me")
    assert response.status_code == 500
    assert_secured(response)
    assert no_store(response)


def inline_script_hashes(html: str) -> list[str]:
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


def test_the_swagger_ui_may_load_exactly_its_own_assets(memory_client: TestClient) -> None:
    """Served by the platform itself (no CDN: ADR 23), and nothing else."""
    page = memory_client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    directives = dict(item.split(" ", 1) for item in policy.split("; "))
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    stylesheets = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page.text)
    assert scripts and stylesheets
    assert all(url.startswith("/static/vendor/swagger-ui-") for url in scripts + stylesheets)
    assert all(memory_client.get(url).status_code == 200 for url in scripts + stylesheets)
    assert directives["default-src"] == "'none'"
    assert set(directives["script-src"].split()) == {"'self'"} | set(inline_script_hashes(page.text))
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert set(directives["style-src"].split()) == {"'self'", "'unsafe-inline'"}
    assert directives["connect-src"] == "'self'"  # the schema, "Try it out" and sign-in: this origin only
    assert directives["frame-ancestors"] == "'none'"
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"

    redirect = memory_client.get("/docs/oauth2-redirect")
    redirect_scripts = dict(item.split(" ", 1) for item in redirect.headers["content-security-policy"].split("; "))
    assert redirect_scripts["script-src"].split() == inline_script_hashes(redirect.text)

    schema = memory_client.get("/openapi.json")
    assert_secured(schema)  # only the HTML pages get a wider policy


def test_the_policy_follows_a_mount_path(memory_client: TestClient) -> None:
    """Behind a proxy at /ruraleval the bootstrap script names another URL: its hash follows."""
    mounted = TestClient(memory_client.app, root_path="/ruraleval")
    page = mounted.get("/ruraleval/docs")
    assert page.status_code == 200 and "/ruraleval/openapi.json" in page.text
    (expected,) = inline_script_hashes(page.text)
    assert expected in page.headers["content-security-policy"]
    assert expected not in memory_client.get("/docs").headers["content-security-policy"]


@pytest.fixture
def county_with_a_plan(client: TestClient, scheme_document: dict[str, Any]) -> Iterator[TestClient]:
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, COUNTY)
    yield client


def test_a_file_is_served_as_an_opaque_attachment_whatever_was_uploaded(county_with_a_plan: TestClient) -> None:
    page = b"<html><script>alert(document.cookie)</script></html>"
    url = f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan"
    as_html = [("files", ("方案.html", page, "text/html"))]
    assert county_with_a_plan.put(url, data={"text": "方案"}, files=as_html).status_code == 422  # not a document
    as_pdf = [("files", ("方案.pdf", page, "text/html"))]  # a page under a PDF's name: its bytes are no PDF
    assert county_with_a_plan.put(url, data={"text": "方案"}, files=as_pdf).status_code == 422
    files = [("files", ("方案.txt", page, "text/html"))]  # a page under a text's name (it is text)
    assert county_with_a_plan.put(url, data={"text": "方案"}, files=files).status_code == 200
    plan = county_with_a_plan.get(url).json()
    assert plan["files"][0]["media_type"] == "text/html"  # what the uploader said is kept …
    downloaded = county_with_a_plan.get(plan["files"][0]["url"])
    assert downloaded.status_code == 200 and downloaded.content == page
    assert downloaded.headers["content-type"] == "application/octet-stream"  # … but never served
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert_secured(downloaded)
    assert no_store(downloaded)


def test_every_answer_names_its_request_and_no_two_requests_share_an_id(memory_client: TestClient) -> None:
    ids = [memory_client.get("/healthz").headers["x-request-id"] for _ in range(50)]
    assert len(set(ids)) == 50 and all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    offered = memory_client.get("/healthz", headers={"X-Request-Id": "client-trace.42"})
    assert offered.headers["x-request-id"] == "client-trace.42"
    unsafe = memory_client.get("/healthz", headers={"X-Request-Id": "bad id;" + "x" * 70})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])


def test_a_forked_worker_draws_request_ids_of_its_own() -> None:
    import os

    from api.context import new_request_id

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child only reports its id)
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs = os.read(read, 64).decode()
    ours = new_request_id()  # the same place in the sequence as the child's first id after the fork
    assert theirs != ours and len(theirs) == len(ours) == 32
