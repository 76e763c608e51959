"""Journeys in a real browser: Playwright for Python driving Debian's chromium.

Nothing is downloaded at test time (never ``playwright install``): the browser is the
``chromium`` package that ``.ci/run`` installs with ``fonts-noto-cjk``. With ``CI=true``
these tests must run; elsewhere, without chromium, they skip with a message. They run
serially, against the application behind a real uvicorn server on a free port, over a
memory store holding the demo. Each page is checked with axe-core (no critical or serious
violation) and photographed at 1280 × 800 into ``tests/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from api.app import create_app
from ruraleval.demo import DEMO_USERS, load_demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url

CHROMIUM = os.environ.get("RURALEVAL_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORDS = {username: password for username, password, *_ in DEMO_USERS}
VIEWPORT = {"width": 1280, "height": 800}
HOMES = {
    "admin": ("/centre", "中心专班工作台"),
    "evaluator.east": ("/evaluation", "评估组工作台"),
    "coordinator.130425": ("/counties/130425/tasks", "大名县 · 2023年度待办"),
    "dept.130425": ("/counties/130425/tasks", "大名县 · 2023年度待办"),
    "leader": ("/rankings", "2023年度各县得分排名"),
    "auditor": ("/audit", "审计工作台"),
}

pytestmark = pytest.mark.slow

if not os.access(CHROMIUM, os.X_OK):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI requires the browser tests: no chromium at {CHROMIUM} (.ci/run installs it)")
    pytest.skip(f"browser tests skipped: no chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)",
                allow_module_level=True)  # fmt: skip

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def demo_server(*, background: bool = False) -> Iterator[tuple[str, Platform]]:
    """The application with the demo behind uvicorn in a thread: its address and its platform
    (``background``: projections in their own thread, as ``ruraleval serve`` runs them)."""
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=background)
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    load_demo(app.state.platform)
    try:
        yield f"http://127.0.0.1:{port}", app.state.platform
    finally:
        running.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with demo_server() as (address, _):
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # The browser's own words (file picker, date fields) in Chinese, as on a user's machine.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--lang=zh-CN"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport=VIEWPORT, locale="zh-CN")
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A CSP refusal (an inline script or style crept in) shows as a console error; the
        # 401, 403 and 404 answers the tests ask for show as failed loads, which are fine.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    assert not problems, f"the browser reported errors: {problems}"


def check_accessibility(page: Page) -> None:
    """axe-core: no critical or serious violation on the page as it stands."""
    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    grave = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
             if v["impact"] in ("critical", "serious")]  # fmt: skip
    assert not grave, f"axe-core on {page.url}: {grave}"


def photograph(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def sign_in(page: Page, username: str, next_path: str = "/") -> None:
    """By keyboard, as a user would: type the name, Tab, the password, Enter."""
    page.goto(f"/signin?next={next_path}")
    page.get_by_label("用户名").fill(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS[username])
    page.keyboard.press("Enter")
    # The answer may come after the sign-in page went network-idle (a busy machine): wait for
    # the page the sign-in leads to, not for the sign-in page's own idleness.
    page.wait_for_url(lambda url: urlsplit(url).path != "/signin")
    page.wait_for_load_state("networkidle")


def test_chromium_launches_through_playwright(browser: Browser) -> None:
    """Debian's chromium is not the build this Playwright expects: keep this smoke test."""
    assert browser.version.split(".")[0].isdigit()


def test_the_sign_in_page(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url("/signin?next=%2F")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    check_accessibility(page)
    photograph(page, "01-signin")
    page.get_by_label("用户名").fill("leader")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#password-error")).to_have_text("用户名或密码不正确")
    check_accessibility(page)
    photograph(page, "02-signin-error")


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_signs_in_and_lands_on_its_home(page: Page, server: str, username: str) -> None:
    path, heading = HOMES[username]
    sign_in(page, username)
    expect(page).to_have_url(server + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".account__role")).not_to_be_empty()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    check_accessibility(page)
    photograph(page, f"10-home-{username}")


def test_the_leader_filters_the_ranking_and_opens_a_county(page: Page, server: str) -> None:
    sign_in(page, "leader")
    page.get_by_label("分区").select_option("west")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(server + "/rankings?year=2023&region=west")
    expect(page.get_by_role("table")).to_contain_text("靖远县")
    expect(page.get_by_role("table")).not_to_contain_text("大名县")
    page.get_by_role("link", name="靖远县").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("靖远县 · 2023年度得分")
    check_accessibility(page)
    photograph(page, "20-county-scores")


def test_a_county_user_cannot_reach_another_county(page: Page) -> None:
    sign_in(page, "coordinator.130425")
    answer = page.goto("/counties/320583/tasks")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("无权查看")
    expect(page.locator("main")).not_to_contain_text("昆山市")
    assert page.locator("main table").count() == 0
    check_accessibility(page)
    photograph(page, "30-forbidden")


def test_an_unknown_page(page: Page) -> None:
    sign_in(page, "auditor")
    answer = page.goto("/no/such/page")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    check_accessibility(page)
    photograph(page, "31-not-found")


def test_sign_out_ends_the_session(page: Page, server: str) -> None:
    sign_in(page, "dept.130425")
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(server + "/signin?notice=signed_out")
    expect(page.get_by_role("status")).to_have_text("您已安全退出。")
    page.goto("/counties/130425/tasks")
    expect(page).to_have_url(server + "/signin?next=%2Fcounties%2F130425%2Ftasks")


def test_the_api_documentation_works_offline(page: Page) -> None:
    """Swagger UI's files come from the platform: nothing leaves this origin."""
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    page.goto("/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("RuralEval", timeout=15_000)
    assert origins == {page.url.split("/")[2]}, origins
    photograph(page, "40-docs")


def test_htmx_requests_carry_the_csrf_token_and_plain_ones_do_not(page: Page, server: str) -> None:
    """static/js/app.js adds X-CSRF-Token to every htmx request; without it a POST is refused."""
    sign_in(page, "leader")
    plain = page.evaluate("fetch('/signout', {method: 'POST'}).then(answer => answer.status)")
    assert plain == 403  # no token: refused, still signed in
    page.goto("/rankings")
    expect(page).to_have_url(server + "/rankings")
    page.evaluate("htmx.ajax('POST', '/signout', {target: 'main', swap: 'none'})")
    page.wait_for_load_state("networkidle")
    page.goto("/rankings")
    expect(page).to_have_url(server + "/signin?next=%2Frankings")
