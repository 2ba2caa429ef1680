"""Logins are throttled per account name and per client address, on the app's own clock.

The throttle keeps no database state, so these run on SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from landport.adapters import security
from landport.entrypoints.web import deps
from landport.entrypoints.web.login_throttle import ACCOUNT_LIMIT, LoginThrottle
from landport.shared.clock import FixedClock
from world import PASSWORD, World

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ORIGIN = {"origin": "http://testserver"}


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    w = World(sqlite_url, clock=FixedClock(T0))
    yield w
    w.close()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Argon2 check made from here on."""
    made: list[str] = []
    verify = security.verify_password

    def counted(password_hash: str, password: str) -> bool:
        made.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counted)
    return made


def token(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def form_login(client: TestClient, username: str, password: str) -> Any:
    form = {"username": username, "password": password, "next": ""}
    return client.post("/login", data=form, headers=ORIGIN, follow_redirects=False)


def clock(world: World) -> FixedClock:
    assert isinstance(world.services.clock, FixedClock)
    return world.services.clock


def test_wrong_passwords_lock_the_account_and_the_right_one_waits_unchecked(
    world: World, checks: list[str]
) -> None:
    for _ in range(ACCOUNT_LIMIT):
        assert token(world.client, "officer", "wrong").status_code == 401
    assert len(checks) == ACCOUNT_LIMIT
    locked = token(world.client, "officer", PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(15 * 60)
    body = locked.json()
    assert body["code"] == "too_many_attempts" and body["retry_after"] == 900
    assert "15 min" in body["message_en"] and "15 分钟" in body["message_zh"]
    assert len(checks) == ACCOUNT_LIMIT  # no password was checked for the refused login
    # The same name typed otherwise is the same account.
    assert token(world.client, " OFFICER", PASSWORD).status_code == 429
    # Thirty attempts later, still refused; the wait counts from the first failure.
    clock(world).advance(timedelta(minutes=10))
    for _ in range(30):
        assert token(world.client, "officer", "guess").status_code == 429
    assert token(world.client, "officer", PASSWORD).headers["retry-after"] == str(5 * 60)
    clock(world).advance(timedelta(minutes=5))
    assert token(world.client, "officer", PASSWORD).status_code == 200
    assert len(checks) == ACCOUNT_LIMIT + 1


def test_a_locked_name_says_nothing_about_whether_the_account_exists(world: World) -> None:
    answers = {}
    for username in ("officer", "nobody-by-this-name"):
        for _ in range(ACCOUNT_LIMIT):
            assert token(world.client, username, "wrong").status_code == 401
        answers[username] = token(world.client, username, "wrong")
    known, unknown = answers["officer"], answers["nobody-by-this-name"]
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert known.headers["retry-after"] == unknown.headers["retry-after"]


def test_a_success_clears_the_accounts_failures(world: World) -> None:
    for _ in range(ACCOUNT_LIMIT - 1):
        assert token(world.client, "officer", "wrong").status_code == 401
    assert token(world.client, "officer", PASSWORD).status_code == 200
    for _ in range(ACCOUNT_LIMIT - 1):
        assert token(world.client, "officer", "wrong").status_code == 401
    assert token(world.client, "officer", PASSWORD).status_code == 200


def test_one_address_trying_many_names_is_stopped_and_others_are_not(world: World) -> None:
    app: Any = world.client.app
    app.state.login_throttle = LoginThrottle(clock(world), address_limit=3)
    for username in ("a", "b", "c"):
        assert token(world.client, username, "wrong").status_code == 401
    refused = token(world.client, "officer", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "900"
    # A success elsewhere does not clear the address's count.
    other = TestClient(app, client=("192.0.2.7", 50000))
    assert token(other, "officer", PASSWORD).status_code == 200
    assert token(world.client, "auditor", PASSWORD).status_code == 429


def test_the_login_page_shows_the_lockout_in_the_visitors_language(world: World) -> None:
    for _ in range(ACCOUNT_LIMIT):
        assert form_login(world.client, "officer", "wrong").status_code == 401
    page = form_login(world.client, "officer", PASSWORD)
    assert page.status_code == 429
    assert page.headers["retry-after"] == "900"
    assert "登录失败次数过多，请 15 分钟后再试。" in page.text
    assert "landport_session" not in page.cookies
    world.client.cookies.set("landport_lang", "en")
    clock(world).advance(timedelta(minutes=14))
    page = form_login(world.client, "officer", PASSWORD)
    assert "Too many failed logins. Try again in 1 min." in page.text
    # The token endpoint and the form share the count.
    assert token(world.client, "officer", PASSWORD).status_code == 429


def test_a_login_that_waited_for_its_turn_is_refused_if_the_name_got_locked_meanwhile(
    world: World, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app: Any = world.client.app
    throttle = LoginThrottle(clock(world))
    app.state.login_throttle = throttle
    slot = security.password_check_slot

    @contextmanager
    def others_fail_while_waiting(wait_seconds: float | None = None) -> Iterator[None]:
        for _ in range(ACCOUNT_LIMIT):
            throttle.failed("officer", "198.51.100.9")
        with slot(wait_seconds):
            yield

    monkeypatch.setattr(deps, "password_check_slot", others_fail_while_waiting)
    assert token(world.client, "officer", PASSWORD).status_code == 429
    assert checks == []


def test_when_every_password_check_slot_is_taken_a_login_is_told_to_retry(
    world: World, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = security.threading.BoundedSemaphore(1)
    taken.acquire()
    monkeypatch.setattr(security, "_check_slots", taken)
    monkeypatch.setattr(security, "CHECK_WAIT_SECONDS", 0.01)
    busy = token(world.client, "officer", PASSWORD)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["code"] == "login_busy" and "稍后" in busy.json()["message_zh"]
    page = form_login(world.client, "officer", PASSWORD)
    assert page.status_code == 503 and "同时登录的请求过多" in page.text
    assert checks == []
    taken.release()
    assert token(world.client, "officer", PASSWORD).status_code == 200  # not counted a failure
