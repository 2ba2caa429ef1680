"""What a trip certificate attests, as plain values: no keys, no signatures, no QR.

`TripCertificate.as_dict()` is exactly the content `certificates.sign_certificate` signs, so
its times are UTC to the second and its decimals are strings (no float is ever signed).
Among them `valid_until`, the end of the certificate's validity (`valid_until_for`): a paper
printed during the trip stops verifying offline once the trip is long over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from landport.seals.certificate_rules import valid_until_for
from landport.seals.model import TransitTrip

CERTIFICATE_SCHEMA = "landport.trip-certificate/1"


@dataclass(frozen=True, slots=True)
class CustodySummary:
    """The journey in four figures (all zero when issued at arming, before any fix)."""

    fixes: int
    share_inside: float
    longest_gap_minutes: float
    alerts: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "fixes": self.fixes,
            "share_inside": f"{self.share_inside:.4f}",
            "longest_gap_minutes": round(self.longest_gap_minutes),
            "alerts": self.alerts,
        }


@dataclass(frozen=True, slots=True)
class TripCertificate:
    """What the land port attests about one sealed trip."""

    trip_id: str
    seal_id: str
    declaration_id: str
    declaration_number: str | None
    vehicle_plate: str
    containers: tuple[str, ...]
    exit_port: str
    route_id: str
    passport_digest: str
    armed_at: datetime
    window_start: datetime
    window_end: datetime
    issued_at: datetime
    custody: CustodySummary
    issuer: str  # key id of the land port's signing key

    @property
    def valid_until(self) -> datetime:
        """The signed end of validity: the window end plus `VALIDITY_GRACE`."""
        return valid_until_for(self.window_end)

    @classmethod
    def for_trip(
        cls,
        trip: TransitTrip,
        *,
        declaration_number: str | None,
        issued_at: datetime,
        custody: CustodySummary,
        issuer: str,
    ) -> TripCertificate:
        return cls(
            trip.id,
            trip.seal_id,
            trip.declaration_id,
            declaration_number,
            trip.vehicle_plate,
            tuple(trip.containers),
            trip.exit_port,
            trip.route_id,
            trip.passport_digest,
            trip.armed_at,
            trip.window_start,
            trip.window_end,
            issued_at,
            custody,
            issuer,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": CERTIFICATE_SCHEMA,
            "trip_id": self.trip_id,
            "seal_id": self.seal_id,
            "declaration_id": self.declaration_id,
            "declaration_number": self.declaration_number,
            "vehicle_plate": self.vehicle_plate,
            "containers": list(self.containers),
            "exit_port": self.exit_port,
            "route_id": self.route_id,
            "passport_digest": self.passport_digest,
            "armed_at": certificate_time(self.armed_at),
            "window": {
                "start": certificate_time(self.window_start),
                "end": certificate_time(self.window_end),
            },
            "issued_at": certificate_time(self.issued_at),
            "valid_until": certificate_time(self.valid_until),
            "custody": self.custody.as_dict(),
            "issuer": self.issuer,
        }


def certificate_time(at: datetime) -> str:
    """A signed time: UTC, to the second; a naive time is refused rather than guessed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("certificate times must be timezone-aware (UTC)")
    return at.astimezone(UTC).isoformat(timespec="seconds")
