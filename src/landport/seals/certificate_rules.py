"""When a trip certificate is issued, and until when a printed one proves the trip.

Rules of custody, not of the file format: `adapters/certificates.py` signs and reads the
paper and asks these for the verdict on time; the API asks `certificate_refusal` before it
signs one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from landport.seals.model import CLOSED_TRIPS, TripState
from landport.shared.clock import BEIJING
from landport.shared.errors import Conflict, Violation

#: How long after the end of its trip's arrival window a certificate still verifies. The
#: window end is the latest the truck is due at the border; past it the border has either
#: released or referred the truck, or the trip is overdue and needs an online check, not a
#: paper. A border post offline only has the paper and the public keys: without an end of
#: its own, a paper printed during the trip would vouch for a journey that ended long ago.
#: A day more covers a truck let through late in its window on a slow post, a paper checked
#: again on the far side, and a verifier's clock that runs a little ahead.
VALIDITY_GRACE = timedelta(hours=24)

#: How far a certificate's `issued_at` may lie ahead of the verifier's `at` before the paper
#: is refused as issued in the future. `issued_at` is the time of the trip's last fix (GNSS
#: time, which the ingest accepts up to 5 minutes ahead of the platform's clock), and an
#: offline border post's clock drifts: a quarter of an hour covers both, while a paper whose
#: issue lies hours ahead, or a verifier whose clock is far behind (it would accept a paper
#: that expired), is still caught.
CLOCK_TOLERANCE = timedelta(minutes=15)


def valid_until_for(window_end: datetime) -> datetime:
    """Until when a certificate of a trip whose arrival window ends at `window_end` verifies;
    also the fallback for a certificate signed before `valid_until` was (it has none)."""
    return window_end + VALIDITY_GRACE


def certificate_refusal(trip_id: str, state: TripState) -> Conflict | None:
    """Why no certificate is issued for the trip now, or None. None once it has ended (a fresh
    one would vouch offline for a journey that no longer stands), nor while the e-lock still
    places the truck in the yard (the yard may move its arrival window, and with it the
    paper's validity, until then)."""
    if state in CLOSED_TRIPS:
        return Conflict(
            f"trip {trip_id} has ended ({state.value}): no certificate is issued for it",
            f"运输 {trip_id} 已结束（{state.value}），不再出具证书",
        )
    if state is TripState.IN_YARD:
        return Conflict(
            f"trip {trip_id} has not left the yard: its arrival window, and so the "
            "certificate's validity, is final once the e-lock reports the truck out",
            f"运输 {trip_id} 尚未驶离场站：关锁报告车辆出场后到达时限才确定，届时再出具证书",
        )
    return None


def time_reasons(
    where: str, until: datetime, issued: datetime | None, at: datetime
) -> list[Violation]:
    """`expired` after `until`; `issued_in_future` past `at` plus `CLOCK_TOLERANCE`. `where`
    names the paper's part (`certificate`, `qr`)."""
    reasons = []
    if at > until:
        when = _beijing(until)
        reasons.append(
            Violation(
                f"{where}.valid_until",
                "expired",
                f"the certificate expired at {when} Beijing time (UTC+8): an expired paper "
                "no longer proves the trip; check the trip online",
                f"证书已于北京时间 {when}（UTC+8）过期，不能再作为运输凭证，请联网核验该运输",
            )
        )
    if issued is not None and issued > at + CLOCK_TOLERANCE:
        when, now = _beijing(issued), _beijing(at)
        reasons.append(
            Violation(
                f"{where}.issued_at",
                "issued_in_future",
                f"the certificate was issued at {when} Beijing time (UTC+8), later than this "
                f"verifier's clock ({now}) allows: check the clock",
                f"证书签发时间为北京时间 {when}（UTC+8），晚于本机时间 {now}，请核对本机时钟",
            )
        )
    return reasons


def _beijing(at: datetime) -> str:
    """A moment as the border reads it: Beijing time, to the minute."""
    return f"{at.astimezone(BEIJING):%Y-%m-%d %H:%M}"
