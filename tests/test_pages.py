"""The pages over HTTP (no browser): who may open which page, sessions, CSRF, errors, assets.

PAGE_RULES says, for every page route of the application, which demo users may open it;
the list of routes comes from the application, so a page added without a rule fails
``test_every_page_route_has_a_rule``. The browser journeys are in ``test_browser.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from domain.commands import Context
from pages.assets import STATIC, manifest
from projections import ranking_queries
from reports import issue
from ruraleval import demo_results
from ruraleval import sessions as session_rules
from ruraleval.demo import DEMO_USERS, load_demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from ruraleval.throttle import Limit, Limits, LoginThrottle
from tests.test_permissions import iter_route_contexts

PASSWORDS = {username: password for username, password, *_ in DEMO_USERS}
USERS = tuple(PASSWORDS)
IN_SCOPE, OUT_OF_SCOPE = "130425", "320583"  # 320583 (昆山市) is team east-1's, not the county users'
COUNTY_USERS = ("coordinator.130425", "dept.130425")
EVERY_COUNTY = ("admin", "leader", "auditor")
EVALUATORS = ("admin", "evaluator.east")  # review, decide, override, points, close: the team's counties
COORDINATORS = ("admin", "coordinator.130425")  # responsibility, plans, proposals, API keys: one county
HOMES = {
    "admin": "/centre",
    "evaluator.east": "/evaluation",
    "coordinator.130425": "/counties/130425/tasks",
    "dept.130425": "/counties/130425/tasks",
    "leader": "/rankings",
    "auditor": "/audit",
}

# (method, path) → the users who may open it (on a county in their scope, for {code} routes).
PAGE_RULES: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/"): USERS,
    ("GET", "/signin"): USERS,
    ("POST", "/signin"): USERS,
    ("POST", "/signout"): USERS,
    ("GET", "/rankings"): USERS,
    ("GET", "/rankings/replay"): USERS,
    ("GET", "/warnings/grid"): USERS,
    ("GET", "/counties/{code}"): USERS,
    ("GET", "/analysis"): USERS,
    ("GET", "/counties/{code}/analysis"): USERS,
    ("GET", "/counties/{code}/tasks"): USERS,
    ("GET", "/counties/{code}/entry"): ("admin", *COUNTY_USERS),
    ("POST", "/counties/{code}/entry/values"): ("admin", *COUNTY_USERS),
    ("POST", "/counties/{code}/entry/confirmations"): ("admin", *COUNTY_USERS),
    ("GET", "/counties/{code}/entry/template.xlsx"): USERS,
    ("POST", "/counties/{code}/entry/imports"): ("admin", *COUNTY_USERS),
    ("GET", "/evaluation"): ("admin", "evaluator.east"),
    ("POST", "/counties/{code}/reviews"): EVALUATORS,
    ("GET", "/counties/{code}/feedback"): USERS,
    ("GET", "/counties/{code}/feedback/thread"): USERS,
    ("POST", "/counties/{code}/feedback"): (*EVALUATORS, *COUNTY_USERS),
    ("POST", "/counties/{code}/feedback/close"): EVALUATORS,
    ("GET", "/counties/{code}/evaluation"): EVALUATORS,
    ("POST", "/counties/{code}/proposals/{proposal_id}/decide"): EVALUATORS,
    ("POST", "/counties/{code}/overrides"): EVALUATORS,
    ("POST", "/counties/{code}/overrides/{override_id}/revoke"): EVALUATORS,
    ("POST", "/counties/{code}/adjustments"): EVALUATORS,
    ("POST", "/counties/{code}/adjustments/{adjustment_id}/revoke"): EVALUATORS,
    ("POST", "/counties/{code}/periods/close"): EVALUATORS,
    ("POST", "/counties/{code}/periods/reopen"): EVALUATORS,
    ("GET", "/counties/{code}/indicators"): USERS,
    ("POST", "/counties/{code}/responsibility"): COORDINATORS,
    ("POST", "/counties/{code}/action-plans"): COORDINATORS,
    ("POST", "/counties/{code}/proposals"): COORDINATORS,
    ("POST", "/counties/{code}/proposals/{proposal_id}/withdraw"): COORDINATORS,
    ("POST", "/counties/{code}/api-keys"): COORDINATORS,
    ("POST", "/counties/{code}/api-keys/{key_id}/revoke"): COORDINATORS,
    ("GET", "/counties/{code}/rectification"): USERS,
    ("POST", "/counties/{code}/rectification"): EVALUATORS,
    ("POST", "/counties/{code}/rectification/{item_id}/plan"): COORDINATORS,
    ("POST", "/counties/{code}/rectification/{item_id}/progress"): COORDINATORS,
    ("POST", "/counties/{code}/rectification/{item_id}/done"): COORDINATORS,
    ("POST", "/counties/{code}/rectification/{item_id}/verify"): EVALUATORS,
    ("POST", "/counties/{code}/rectification/{item_id}/reject"): EVALUATORS,
    ("GET", "/rectification"): USERS,
    ("GET", "/counties/{code}/rectification/files/{sha256}"): USERS,  # evidence: whoever reads the county
    # the county's verification of its towns (ADR 27): read by all who read the county, organised by its coordinator
    ("GET", "/counties/{code}/verification"): USERS,
    ("GET", "/counties/{code}/verification/registry-template.xlsx"): USERS,
    ("GET", "/counties/{code}/verification/teams"): USERS,
    ("GET", "/counties/{code}/verification/samples"): USERS,
    ("GET", "/counties/{code}/verification/entry"): USERS,
    ("GET", "/counties/{code}/verification/ranking"): USERS,
    ("POST", "/counties/{code}/verification/open"): COORDINATORS,
    ("POST", "/counties/{code}/verification/towns"): COORDINATORS,
    ("POST", "/counties/{code}/verification/villages"): COORDINATORS,
    ("POST", "/counties/{code}/verification/households"): COORDINATORS,
    ("POST", "/counties/{code}/verification/registry/import"): COORDINATORS,
    ("POST", "/counties/{code}/verification/teams"): COORDINATORS,
    ("POST", "/counties/{code}/verification/teams/{team_id}/assign"): COORDINATORS,
    ("POST", "/counties/{code}/verification/absences"): COORDINATORS,
    ("POST", "/counties/{code}/verification/samples"): COORDINATORS,
    ("POST", "/counties/{code}/verification/higher-sampling"): COORDINATORS,
    ("POST", "/counties/{code}/verification/scores"): COORDINATORS,
    ("POST", "/counties/{code}/verification/scores/{score_id}/revoke"): COORDINATORS,
    ("POST", "/counties/{code}/verification/registry/correction"): COORDINATORS,
    ("GET", "/counties/{code}/verification/outcomes"): USERS,
    ("GET", "/counties/{code}/verification/notices/{notice_id}.pdf"): USERS,
    ("POST", "/counties/{code}/verification/towns/{town}/notices"): COORDINATORS,
    ("POST", "/counties/{code}/verification/towns/{town}/consequences"): COORDINATORS,
    ("POST", "/counties/{code}/verification/towns/{town}/rectification"): COORDINATORS,
    ("POST", "/counties/{code}/verification/rectification/{item_id}/{step}"): COORDINATORS,
    ("GET", "/audit"): ("admin", "auditor"),
    ("GET", "/audit/counties/{code}/history"): USERS,  # as the API's history route
    ("GET", "/audit/counties/{code}/changes"): ("admin", "auditor"),
    ("GET", "/audit/chains"): ("admin", "auditor"),
    ("GET", "/audit/counties/{code}/verification"): ("admin", "auditor"),
    ("GET", "/audit/organisation"): ("admin", "auditor"),
    ("GET", "/counties/{code}/consequences"): USERS,
    ("POST", "/counties/{code}/consequences"): EVALUATORS,
    ("GET", "/consequences"): USERS,
    ("GET", "/reports"): USERS,
    ("GET", "/counties/{code}/reports"): USERS,
    ("POST", "/counties/{code}/reports"): EVALUATORS,
    ("GET", "/counties/{code}/reports/{report_id}/files/{name}"): USERS,
    ("GET", "/counties/{code}/reports/{report_id}/check"): USERS,
    ("GET", "/centre"): ("admin",),
    ("GET", "/centre/schemes"): ("admin",),
    ("POST", "/centre/schemes"): ("admin",),
    ("GET", "/centre/counties"): ("admin",),
    ("POST", "/centre/counties"): ("admin",),
    ("GET", "/centre/users"): ("admin",),
    ("POST", "/centre/users"): ("admin",),
    ("GET", "/centre/users/{username}"): ("admin",),
    ("POST", "/centre/users/{username}/grants"): ("admin",),
    ("POST", "/centre/users/{username}/grants/{grant_id}/revoke"): ("admin",),
    ("POST", "/centre/users/{username}/deactivate"): ("admin",),
    ("POST", "/centre/users/{username}/password"): ("admin",),
    ("GET", "/centre/teams"): ("admin",),
    ("POST", "/centre/teams"): ("admin",),
    ("POST", "/centre/teams/{team}/counties"): ("admin",),
}
# The other path parameters of page routes, filled in by the permission test.
SAMPLE_PARAMS = {"username": "dept.130425", "team": "east-1", "report_id": "2023-R1", "name": "report.pdf",
                 "notice_id": "2023-N1", "sha256": hashlib.sha256(demo_results.EVIDENCE).hexdigest()}  # fmt: skip
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def page_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if "pages" in (getattr(route, "tags", None) or ())
        for method in getattr(route, "methods", ())
        if method != "HEAD"
    )


@dataclass
class Site:
    client: TestClient
    platform: Platform

    def sign_in(self, username: str, password: str | None = None) -> httpx.Response:
        self.client.cookies.clear()
        form = self.client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        data = {"username": username, "password": password or PASSWORDS[username], "csrf_token": token.group(1)}
        return self.client.post("/signin", data=data, follow_redirects=False)

    def csrf(self) -> str:
        found = re.search(r'name="csrf-token" content="([^"]+)"', self.client.get("/rankings").text)
        assert found
        return found.group(1)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as client:
        service = app.state.platform
        load_demo(service)
        at = service.ledger.clock()
        service.settle(at)
        for code in (IN_SCOPE, OUT_OF_SCOPE):  # report 2023-R1 of each, for the report pages
            issue.issue_report(service, Context("evaluator.east", f"report-{code}"), code, 2023, at)
        service.projections.ensure_fresh()
        yield Site(client, service)


def test_every_page_route_has_a_rule(site: Site) -> None:
    assert isinstance(site.client.app, FastAPI)
    routes = page_routes(site.client.app)
    assert sorted(PAGE_RULES) == routes


@pytest.mark.parametrize("username", USERS)
def test_each_demo_user_signs_in_and_lands_on_their_own_home_in_chinese(site: Site, username: str) -> None:
    signed_in = site.sign_in(username)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    home = site.client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == HOMES[username]
    page = site.client.get(HOMES[username])
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    assert '<main id="main"' in page.text and 'href="#main"' in page.text  # landmark and skip link
    user = site.platform.organisation.current().users[username]
    assert user.display_name in page.text  # the header names the user


def test_the_clerk_home_shows_what_the_county_owes_from_the_schedule(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get("/counties/130425/tasks").text
    for heading in ("应报未报", "评估组退回、待答复的数据", "异常波动待确认", "当前预警", "逾期报送记录（已补报）"):
        assert heading in page
    assert "2023年" in page and "逾期报送" in page
    site.sign_in("dept.130425")
    department = site.client.get("/counties/130425/tasks").text
    assert "仅列出县农业农村局负责的指标" in department
    assert "5.3 农村自来水普及率" not in department  # another department's indicator


def test_the_leader_ranking_has_grades_regions_and_two_places(site: Site) -> None:
    with site.platform.reads.snapshot() as view:
        ranked = ranking_queries.rankings(view, 2023)
    first, west = ranked[0], next(row for row in ranked if row["region"] == "west")
    site.sign_in("leader")
    page = site.client.get("/rankings?year=2023").text
    assert west["name"] in page and "西部" in page and f"{first['total']:.2f}" in page
    assert f">{first['grade']}<" in page
    east = site.client.get("/rankings?year=2023&region=east").text
    assert "义乌市" in east and west["name"] not in east


@pytest.mark.parametrize("route", sorted(PAGE_RULES), ids=lambda route: f"{route[0]} {route[1]}")
def test_page_permissions_match_the_api(site: Site, route: tuple[str, str]) -> None:
    method, path = route
    if method != "GET" or path == "/signin":
        return  # forms: see the CSRF and sign-in tests
    for username in USERS:
        site.sign_in(username)
        for code in (IN_SCOPE, OUT_OF_SCOPE) if "{code}" in path else (IN_SCOPE,):
            url = path.format(code=code, **SAMPLE_PARAMS)
            allowed = username in PAGE_RULES[route] and (
                "{code}" not in path or code == IN_SCOPE or username in EVERY_COUNTY or username == "evaluator.east"
            )
            answer = site.client.get(url, follow_redirects=False)
            expected = (200, 303) if allowed else (403,)
            if allowed and "{sha256}" in path and code != IN_SCOPE:
                expected = (404,)  # the sample file is 130425's evidence: no file of another county
            assert answer.status_code in expected, (username, url, answer.status_code)
            if not allowed:
                assert "无权" in answer.text and answer.headers["content-type"].startswith("text/html")


def test_a_county_user_gets_a_403_page_with_no_data_of_another_county(site: Site) -> None:
    site.sign_in("coordinator.130425")
    for url in (f"/counties/{OUT_OF_SCOPE}/tasks", f"/counties/{OUT_OF_SCOPE}"):
        refused = site.client.get(url)
        assert refused.status_code == 403
        assert "无权查看" in refused.text
        assert "昆山市" not in refused.text and "<table" not in refused.text


def test_without_a_session_a_page_redirects_to_the_sign_in_form(site: Site) -> None:
    site.client.cookies.clear()
    answer = site.client.get("/counties/130425/tasks?year=2023", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Fcounties%2F130425%2Ftasks%3Fyear%3D2023"
    htmx = site.client.get("/rankings", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/signin?next=")


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(site: Site) -> None:
    form = site.client.get("/signin?next=/rankings").text
    assert 'name="next" value="/rankings"' in form
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert 'name="next" value="/"' in site.client.get("/signin", params={"next": hostile}).text


def test_wrong_passwords_and_missing_fields_are_shown_beside_the_fields(site: Site) -> None:
    wrong = site.sign_in("leader", "not-the-password")
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text and 'aria-invalid="true"' in wrong.text
    site.client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', site.client.get("/signin").text)
    assert token
    empty = site.client.post("/signin", data={"username": "", "password": "", "csrf_token": token.group(1)})
    assert empty.status_code == 422
    assert 'id="username-error">请填写用户名' in empty.text and 'id="password-error">请填写密码' in empty.text


def test_every_unsafe_page_request_without_the_csrf_token_is_refused(site: Site) -> None:
    site.sign_in("coordinator.130425")
    for method, path in PAGE_RULES:
        if method not in UNSAFE:
            continue
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            refused = site.client.request(method, path, data={"username": "leader"}, headers=headers)
            assert refused.status_code == 403, (method, path)
            assert "防伪令牌" in refused.text
    assert site.client.get("/rankings").status_code == 200  # still signed in: the refused sign-out did nothing


def test_sign_in_without_its_form_token_is_refused(site: Site) -> None:
    site.client.cookies.clear()
    site.client.get("/signin")
    data = {"username": "leader", "password": PASSWORDS["leader"], "csrf_token": "made-up"}
    assert site.client.post("/signin", data=data, follow_redirects=False).status_code == 403


def test_sign_out_ends_the_session_for_good(site: Site) -> None:
    site.sign_in("leader")
    cookie = site.client.cookies.get("ruraleval_session")
    out = site.client.post("/signout", data={"csrf_token": site.csrf()}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin?notice=signed_out"
    assert "您已安全退出" in site.client.get(out.headers["location"]).text
    site.client.cookies.set("ruraleval_session", cookie or "")  # the old cookie, replayed
    assert site.client.get("/rankings", follow_redirects=False).status_code == 303


def test_a_session_expires_when_idle_and_after_eight_hours(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    site.sign_in("leader")
    store = site.client.app.state.page_sessions  # type: ignore[union-attr]
    monkeypatch.setattr(store, "clock", lambda: now[0])
    site.sign_in("leader")
    now[0] += session_rules.IDLE - 5
    assert site.client.get("/rankings", follow_redirects=False).status_code == 200
    now[0] += session_rules.IDLE + 1
    expired = site.client.get("/rankings", follow_redirects=False)
    assert expired.status_code == 303 and "notice=expired" in expired.headers["location"]

    site.sign_in("leader")
    started = now[0]
    step = session_rules.IDLE - 60
    while now[0] + step < started + session_rules.ABSOLUTE:  # active all day, never idle
        now[0] += step
        assert site.client.get("/rankings", follow_redirects=False).status_code == 200
    now[0] = started + session_rules.ABSOLUTE + 1
    assert site.client.get("/rankings", follow_redirects=False).status_code == 303


def test_a_forged_or_altered_cookie_opens_nothing(site: Site) -> None:
    site.sign_in("leader")
    cookie = site.client.cookies.get("ruraleval_session") or ""
    session_id, _, mac = cookie.partition(".")

    def other(char: str) -> str:
        return "B" if char == "A" else "A"

    for forged in (f"{session_id}.{other(mac[0])}{mac[1:]}", other(cookie[0]) + cookie[1:], session_id):
        assert forged != cookie
        site.client.cookies.set("ruraleval_session", forged)
        assert site.client.get("/rankings", follow_redirects=False).status_code == 303


def test_the_page_sign_in_shares_the_api_throttle(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    strict = Limits(account=Limit(free=100, max_delay=30), pair=Limit(free=1, max_delay=30))
    monkeypatch.setattr(site.platform, "throttle", LoginThrottle(site.platform.reads, strict, clock=lambda: 5e9))
    for _ in range(4):
        site.sign_in("auditor", "wrong password")
    refused = site.sign_in("auditor")  # the right password, refused for now
    assert refused.status_code == 429 and "秒后再试" in refused.text and refused.headers["Retry-After"]
    api = site.client.post("/api/v1/auth/token", data={"username": "auditor", "password": PASSWORDS["auditor"]})
    assert api.status_code == 429


def test_error_pages_are_html_for_browsers_and_problems_for_the_api(site: Site) -> None:
    site.sign_in("leader")
    missing = site.client.get("/no/such/page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "页面不存在" in missing.text
    for address in ("/no/such/page", f"/counties/{OUT_OF_SCOPE}/template.xlsx"):  # a typed or downloaded address
        for accept in ("*/*", ""):
            answer = site.client.get(address, headers={"Accept": accept})
            assert answer.status_code == 404 and "页面不存在" in answer.text, (address, accept)
            assert answer.headers["content-type"].startswith("text/html")
    json = site.client.get("/no/such/page", headers={"Accept": "application/json"})
    assert json.headers["content-type"] == "application/problem+json"
    assert site.client.get("/api/v1/nothing").headers["content-type"] == "application/problem+json"
    unknown = site.client.get("/counties/999999")
    assert unknown.status_code == 404 and "尚未入选评估" in unknown.text
    invalid = site.client.get(f"/counties/{IN_SCOPE}/tasks?year=twenty")
    assert invalid.status_code == 422 and "年度：须为 2000 至 2100 之间的整数，收到“twenty”" in invalid.text
    ranking = site.client.get("/rankings?year=twenty")  # the ranking shows it beside its own filter
    assert ranking.status_code == 422 and "年度应为 2000 至 2100 之间的年份" in ranking.text
    tasks = site.client.get(f"/counties/{IN_SCOPE}/tasks?year=1999")
    assert tasks.status_code == 422 and "年度：须为 2000 至 2100 之间的整数，收到“1999”" in tasks.text


def test_pages_carry_the_strict_page_policy_and_the_api_keeps_its_own(site: Site) -> None:
    site.sign_in("leader")
    page = site.client.get("/rankings")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and "style=" not in page.text  # no inline code at all
    assert (
        site.client.get("/api/v1/rankings?year=2023")
        .headers["content-security-policy"]
        .startswith("default-src 'none'")
    )


def test_vendored_assets_match_their_manifest_and_are_cached(site: Site) -> None:
    for name, entry in manifest().items():
        for file, digest in entry["files"].items():
            path = STATIC / "vendor" / entry["folder"] / file
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name}/{file}"
    htmx = site.client.get(f"/static/vendor/{manifest()['htmx']['folder']}/htmx.min.js")
    assert htmx.status_code == 200 and "immutable" in htmx.headers["cache-control"]
    assert manifest()["htmx"]["version"].startswith("2.0.")
    own = site.client.get("/static/css/app.css")
    assert own.status_code == 200 and own.headers["cache-control"] == "no-cache" and own.headers.get("etag")
