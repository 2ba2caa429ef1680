"""Login throttling: failed logins counted per account and per client address.

Each password check costs Argon2's ~64 MiB for ~200 ms, and an account must not be open to
unlimited guessing. After `ACCOUNT_LIMIT` failed logins of one account name within `WINDOW`,
or `ADDRESS_LIMIT` from one client address, further attempts are refused (429, with
Retry-After) without checking the password, until the oldest failure of the window ages
out. A successful login clears the account's count (not the address's).

Names are counted whether or not an account by that name exists, so a refusal tells nothing
about which accounts exist. The counts are kept in this process's memory: each server
process (uvicorn worker) keeps its own, and a restart forgets them. At most `MAX_TRACKED`
names and addresses are remembered; beyond that the ones whose failures have aged out go
first, then the oldest.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import JSONResponse

from landport.shared.clock import Clock
from landport.shared.errors import DomainError

ACCOUNT_LIMIT = 5
#: Larger than the account's: people behind one office's address share it.
ADDRESS_LIMIT = 30
WINDOW = timedelta(minutes=15)
MAX_TRACKED = 10_000

log = logging.getLogger("landport.web")


class LoginRefused(DomainError):
    """A login refused before its password was checked: too many failures (429), or too many
    password checks running at once (503). Either way the answer says when to try again, and
    the same for every name, existing or not."""

    code = "too_many_attempts"

    def __init__(
        self, message_en: str, message_zh: str, *, retry_after: int, status: int, page_key: str
    ) -> None:
        super().__init__(message_en, message_zh)
        self.retry_after = retry_after
        self.status = status
        self.page_key = page_key  # the login page's message, in the visitor's language
        self.minutes = _minutes(retry_after)

    @classmethod
    def throttled(cls, retry_after: int) -> LoginRefused:
        minutes = _minutes(retry_after)
        return cls(
            f"too many failed logins: try again in {minutes} min",
            f"登录失败次数过多，请 {minutes} 分钟后再试",
            retry_after=retry_after,
            status=429,
            page_key="login.throttled",
        )

    @classmethod
    def busy(cls) -> LoginRefused:
        refused = cls(
            "too many logins at once: try again in a moment",
            "同时登录的请求过多，请稍后再试",
            retry_after=1,
            status=503,
            page_key="login.busy",
        )
        refused.code = "login_busy"
        return refused

    def as_response(self) -> JSONResponse:
        """The API's answer: the usual error body, with Retry-After in seconds."""
        return JSONResponse(
            {
                "code": self.code,
                "message_en": self.message_en,
                "message_zh": self.message_zh,
                "retry_after": self.retry_after,
            },
            status_code=self.status,
            headers={"Retry-After": str(self.retry_after)},
        )


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def account_key(username: str) -> str:
    """One count per name however it is typed ("Officer ", "officer")."""
    return "account:" + username.strip().casefold()


def address_key(address: str | None) -> str:
    return "address:" + (address or "unknown")


class LoginThrottle:
    """Failure times per account name and per client address, in a sliding window."""

    def __init__(
        self,
        clock: Clock,
        *,
        account_limit: int = ACCOUNT_LIMIT,
        address_limit: int = ADDRESS_LIMIT,
        window: timedelta = WINDOW,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self._clock = clock
        self._limits = {"account": account_limit, "address": address_limit}
        self._window = window
        self._max_tracked = max_tracked
        self._lock = threading.Lock()
        # key -> the times of its last failures (no more than its limit: older ones never
        # decide anything)
        self._failures: dict[str, deque[datetime]] = {}

    def retry_after(self, username: str, address: str | None) -> int | None:
        """Seconds until this name from this address may try again; None: it may now."""
        now = self._clock.now()
        waits = []
        with self._lock:
            for key in (account_key(username), address_key(address)):
                wait = self._wait(key, now)
                if wait is not None:
                    waits.append(wait)
        if not waits:
            return None
        return max(1, math.ceil(max(waits).total_seconds()))

    def failed(self, username: str, address: str | None) -> None:
        """Count a failed login; the one that reaches a limit is logged (name and address)."""
        now = self._clock.now()
        locked = []
        with self._lock:
            for key in (account_key(username), address_key(address)):
                times = self._failures.pop(key, None)  # re-inserted: the newest goes last
                if times is None:
                    times = deque(maxlen=self._limit(key))
                times.append(now)
                self._failures[key] = times
                if self._wait(key, now) is not None:
                    locked.append(key)
            self._forget_beyond_capacity(now)
        if locked:
            log.warning(
                "login locked for %s min after repeated failures: %s",
                int(self._window.total_seconds() // 60),
                ", ".join(locked),
            )

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(account_key(username), None)

    def _limit(self, key: str) -> int:
        return self._limits[key.split(":", 1)[0]]

    def _wait(self, key: str, now: datetime) -> timedelta | None:
        times = self._failures.get(key)
        if times is None or len(times) < self._limit(key):
            return None
        wait = times[0] + self._window - now
        return wait if wait > timedelta(0) else None

    def _forget_beyond_capacity(self, now: datetime) -> None:
        if len(self._failures) <= self._max_tracked:
            return
        cutoff = now - self._window
        for key in [k for k, times in self._failures.items() if times[-1] <= cutoff]:
            del self._failures[key]
        while len(self._failures) > self._max_tracked:
            del self._failures[next(iter(self._failures))]


_creating = threading.Lock()


def login_throttle(request: Request) -> LoginThrottle:
    """One throttle per application, on the application's clock, created on first use."""
    state = request.app.state
    throttle: LoginThrottle | None = getattr(state, "login_throttle", None)
    if throttle is None:
        with _creating:
            throttle = getattr(state, "login_throttle", None)
            if throttle is None:
                throttle = state.login_throttle = LoginThrottle(state.services.clock)
    return throttle


def client_address(request: Request) -> str | None:
    """The client's address as the server sees it (behind a reverse proxy: the forwarded one,
    when uvicorn trusts the proxy, `FORWARDED_ALLOW_IPS`)."""
    return request.client.host if request.client else None
