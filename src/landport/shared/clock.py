"""The clock is injected so the simulator and the tests drive the real rules in their own time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

#: The port's own time (China Standard Time, no daylight saving): days, years and hours of a
#: customs record are Beijing's.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
#: The days a request or a command may name: every record of the port lies within them, a
#: year such as 0001 or 9999 is a slip, and near the ends of the calendar a Beijing day can
#: no longer be turned into UTC bounds.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def beijing_date(at: datetime) -> date:
    """The Beijing date of an instant, whatever the server's zone."""
    return at.astimezone(BEIJING).date()


class Clock(Protocol):
    """Source of the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time for production."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and the simulator."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def clock_rate(clock: Clock) -> float:
    """Platform seconds per real second: the live demo's clock says its pace (`rate`);
    any other clock runs at the wall's. Pages tick on from the platform's time at it."""
    rate = getattr(clock, "rate", 1.0)
    return float(rate) if isinstance(rate, int | float) and rate > 0 else 1.0
