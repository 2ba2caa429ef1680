"""The login throttle's sliding window, its limits and its bounded memory."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from landport.adapters import security
from landport.entrypoints.web.login_throttle import LoginRefused, LoginThrottle
from landport.shared.clock import FixedClock

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_the_fifth_failure_locks_the_name_until_the_first_ages_out() -> None:
    clock = FixedClock(T0)
    throttle = LoginThrottle(clock)
    for _ in range(5):
        assert throttle.retry_after("officer", "10.0.0.1") is None
        throttle.failed("officer", "10.0.0.1")
        clock.advance(timedelta(minutes=1))
    assert throttle.retry_after("officer", "10.0.0.1") == 10 * 60  # now T0+5, free at T0+15
    assert throttle.retry_after("officer", "10.0.0.2") == 10 * 60  # the name, from anywhere
    assert throttle.retry_after("other", "10.0.0.1") is None  # the address is not locked
    clock.advance(timedelta(minutes=10))
    assert throttle.retry_after("officer", "10.0.0.1") is None
    # One more failure locks again, until the second failure of the window ages out.
    throttle.failed("officer", "10.0.0.1")
    assert throttle.retry_after("officer", "10.0.0.1") == 60


def test_a_success_clears_the_name_but_not_the_address() -> None:
    clock = FixedClock(T0)
    throttle = LoginThrottle(clock, address_limit=6)
    for _ in range(5):
        throttle.failed("Officer", "10.0.0.1")
    throttle.succeeded(" officer ")
    assert throttle.retry_after("officer", "10.0.0.9") is None
    throttle.failed("someone", "10.0.0.1")
    assert throttle.retry_after("anyone", "10.0.0.1") == 15 * 60


def test_a_lockout_is_logged_once_with_name_and_address(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LoginThrottle(FixedClock(T0), account_limit=2)
    with caplog.at_level(logging.WARNING, logger="landport.web"):
        throttle.failed("officer", "10.0.0.1")
        assert caplog.records == []
        throttle.failed("officer", "10.0.0.1")
    assert [r.getMessage() for r in caplog.records] == [
        "login locked for 15 min after repeated failures: account:officer"
    ]


def test_memory_stays_bounded_and_forgets_aged_out_names_first() -> None:
    clock = FixedClock(T0)
    throttle = LoginThrottle(clock, account_limit=2, max_tracked=4)
    throttle.failed("locked", "10.0.0.1")
    throttle.failed("locked", "10.0.0.1")
    clock.advance(timedelta(minutes=16))
    throttle.failed("fresh", "10.0.0.2")
    throttle.failed("fresh", "10.0.0.2")  # 4 keys: nothing forgotten yet
    assert throttle.retry_after("fresh", None) is not None
    clock.advance(timedelta(minutes=1))
    throttle.failed("third", "10.0.0.3")  # 6 keys: the aged-out pair goes first
    assert throttle.retry_after("fresh", None) is not None
    assert len(throttle._failures) == 4
    for n in range(10):
        throttle.failed(f"spray-{n}", "10.0.0.4")
    assert len(throttle._failures) == 4


def test_refusals_say_when_to_try_again() -> None:
    refused = LoginRefused.throttled(61)
    assert (refused.status, refused.minutes, refused.page_key) == (429, 2, "login.throttled")
    response = refused.as_response()
    assert response.status_code == 429 and response.headers["retry-after"] == "61"
    busy = LoginRefused.busy()
    assert (busy.status, busy.code, busy.retry_after) == (503, "login_busy", 1)


def test_password_checks_take_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    slots = threading.BoundedSemaphore(2)
    monkeypatch.setattr(security, "_check_slots", slots)
    with (
        security.password_check_slot(),
        security.password_check_slot(),
        pytest.raises(security.PasswordChecksBusy),
        security.password_check_slot(wait_seconds=0.01),
    ):
        pass
    with security.password_check_slot(wait_seconds=0.01):
        pass  # both turns were given back
    assert security.MAX_CONCURRENT_CHECKS == 4
