"""Sign-in throttling (ADR 15): per account, per account and address, and per address for
unknown accounts only; kept in the store, so every process sees every failure.

The bug this replaces: failures were counted per client address, in one process. Behind
a proxy everyone shares one address, so a stranger's wrong passwords got ``admin`` with
the right password a 429.

The throttles' clock is a fake one the tests move on between attempts (so that no attempt
has to sit out a real delay); holds that do happen are measured in real seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.organisation import Grant
from ruraleval.platform import Platform
from ruraleval.throttle import HOLD_AT_MOST, Limits, LoginThrottle, Verdict
from tests.conftest import ADMIN, PASSWORD, add_user, client_for

PROXY = "203.0.113.7"  # the address every sign-in arrives from, behind the proxy
ELSEWHERE = "198.51.100.9"
STRANGER = "stranger"
LIMITS = Limits()


@dataclass
class FakeClock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def move(self, seconds: float = 60.0) -> None:
        """Past any single delay (30 s at most), well inside the 15-minute window."""
        self.now += seconds


def platform_of(client: TestClient) -> Platform:
    service: Platform = client.app.state.platform  # type: ignore[attr-defined]
    return service


def from_address(client: TestClient, address: str) -> TestClient:
    """The same running application, called from another client address (no second lifespan)."""
    return TestClient(client.app, client=(address, 40000))


def sign_in(client: TestClient, username: str, password: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return response, time.monotonic() - started


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_client(store_url: str, clock: FakeClock) -> Iterator[TestClient]:
    with client_for(store_url) as client:
        platform_of(client).throttle.clock = clock
        add_user(platform_of(client), STRANGER, Grant("g-stranger", "leader"))
        yield client


def test_a_strangers_failures_from_a_shared_address_do_not_lock_out_admin(
    app_client: TestClient, clock: FakeClock
) -> None:
    proxy = from_address(app_client, PROXY)
    throttle = platform_of(app_client).throttle
    for attempt in range(LIMITS.address.free - 1):  # a stranger tries a few names that do not exist
        clock.move()
        assert sign_in(proxy, f"nobody.{attempt}", "whatever it is")[0].status_code == 401
    for attempt in range(8):  # and mistypes its own password, again and again
        clock.move()
        response, _ = sign_in(proxy, STRANGER, f"wrong password {attempt}")
        assert response.status_code == 401, response.text

    throttled, _ = sign_in(proxy, STRANGER, PASSWORD)  # its own account is held back now…
    assert throttled.status_code == 429, throttled.text
    assert int(throttled.headers["Retry-After"]) > HOLD_AT_MOST
    error = throttled.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("username", "login_throttled")
    assert "秒后再试" in error["message"]
    assert throttle.check(ADMIN, PROXY) == Verdict()  # …but nobody else's, from the same address
    admin, _ = sign_in(proxy, ADMIN, PASSWORD)
    assert admin.status_code == 200, admin.text


def test_failures_on_unknown_accounts_slow_the_address_but_never_refuse_a_right_password(
    app_client: TestClient, clock: FakeClock
) -> None:
    proxy = from_address(app_client, PROXY)
    for attempt in range(LIMITS.address.free):
        clock.move()
        assert sign_in(proxy, f"guess.{attempt}", "spray-password")[0].status_code == 401
    # The clock stands still: the next attempt from the proxy waits one second (2^0) …
    held, seconds = sign_in(proxy, "guess.another", "spray-password")
    assert held.status_code == 401
    assert seconds >= 0.9
    # … another address does not …
    assert platform_of(app_client).throttle.check("guess.elsewhere", ELSEWHERE) == Verdict()
    # … and a known account's right password from the proxy is held as long, never refused.
    admin, seconds = sign_in(proxy, ADMIN, PASSWORD)
    assert admin.status_code == 200, admin.text
    assert 0.9 <= seconds < HOLD_AT_MOST + 1


def test_failures_on_a_known_account_do_not_slow_its_address(app_client: TestClient, clock: FakeClock) -> None:
    proxy = from_address(app_client, PROXY)
    for attempt in range(LIMITS.address.free + 2):
        clock.move()
        assert sign_in(proxy, STRANGER, f"wrong {attempt}")[0].status_code == 401
    # One second after the last failure, its account at this address must still wait; the address need not.
    clock.move(1.0)
    throttle = platform_of(app_client).throttle
    assert throttle.check(STRANGER, PROXY).refused
    assert throttle.check("someone.unknown", PROXY) == Verdict()
    assert throttle.check(ADMIN, PROXY) == Verdict()


def test_the_account_throttle_is_shared_by_every_process_on_the_store(store_url: str, clock: FakeClock) -> None:
    """Two applications (two API processes) over one store: failures on one account from
    many addresses, half through each, throttle the account on both."""
    with ExitStack() as stack:
        first = stack.enter_context(client_for(store_url))
        second = stack.enter_context(client_for(store_url))
        for client in (first, second):
            platform_of(client).throttle.clock = clock
        failures = LIMITS.account.free + 3  # the next attempt must wait 2^3 = 8 s > HOLD_AT_MOST
        for attempt in range(failures):
            clock.move()
            through = (first, second)[attempt % 2]
            address = f"192.0.2.{attempt + 1}"  # never the same address twice: only the account adds up
            assert sign_in(from_address(through, address), ADMIN, f"guess {attempt}")[0].status_code == 401
        for client in (first, second):
            refused, _ = sign_in(from_address(client, "192.0.2.200"), ADMIN, PASSWORD)
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) == 8
        clock.move(8.0)  # once the wait is over, the right password works (on either)
        assert sign_in(from_address(second, "192.0.2.200"), ADMIN, PASSWORD)[0].status_code == 200


def test_a_sign_in_throttled_in_one_process_is_seen_by_another(store_url: str, clock: FakeClock) -> None:
    """The account at one address: three failures through one process, the fourth attempt
    through the other waits (ADR 9's per-process counters let it through at once)."""
    with ExitStack() as stack:
        first = stack.enter_context(client_for(store_url))
        second = stack.enter_context(client_for(store_url))
        for client in (first, second):
            platform_of(client).throttle.clock = clock
        for attempt in range(LIMITS.pair.free):
            clock.move()
            assert sign_in(from_address(first, PROXY), ADMIN, f"guess {attempt}")[0].status_code == 401
        held, seconds = sign_in(from_address(second, PROXY), ADMIN, PASSWORD)
        assert held.status_code == 200
        assert seconds >= 0.9


# ----------------------------------------------------------------- the throttle itself


def test_the_address_never_refuses_however_many_unknown_accounts_fail(memory_platform: Platform) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(memory_platform.reads, clock=clock)
    for attempt in range(50):
        throttle.failed(f"guess.{attempt}", PROXY, known=False)
    verdict = throttle.check(ADMIN, PROXY)
    assert not verdict.refused
    assert verdict.hold == HOLD_AT_MOST
    assert throttle.check(ADMIN, ELSEWHERE).hold == 0


def test_old_failures_stop_counting_after_the_window(memory_platform: Platform) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(memory_platform.reads, clock=clock)
    for _ in range(LIMITS.pair.free + 5):
        throttle.failed(ADMIN, PROXY, known=True)
    assert throttle.check(ADMIN, PROXY).refused
    clock.move(15 * 60 + 1)
    assert throttle.check(ADMIN, PROXY).hold == 0
    assert throttle.failed(ADMIN, PROXY, known=True) == 1  # counting starts again


def test_a_success_forgives_the_address_but_not_the_account(memory_platform: Platform) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(memory_platform.reads, clock=clock)
    for attempt in range(LIMITS.account.free):
        throttle.failed(ADMIN, f"192.0.2.{attempt % 2}", known=True)
    throttle.succeeded(ADMIN, "192.0.2.0")
    rows = memory_platform.reads.query("SELECT kind, address, failures FROM login_failures ORDER BY kind, address")
    assert [(row["kind"], row["address"], row["failures"]) for row in rows] == [
        ("account", "", LIMITS.account.free),
        ("account_address", "192.0.2.1", LIMITS.account.free // 2),
    ]
