"""What the border verdict looks at, and the shape of one check: plain values, no rules.

The integrator assembles `CustodyEvidence` from the database; the rules in
`border_custody_checks.py` and `border_document_checks.py` read it, and `border.py` runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from landport.declarations.model import DeclarationStatus
from landport.seals.model import LockState, SealState, TransitTrip

BORDER_ZONE_KIND = "border_port"  # the kind of the route's destination zone (corridor_zones.json)

Datum = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class BorderPolicy:
    """Thresholds of the verdict; the defaults are the documented ones (docs/border-release.md)."""

    min_share_inside: float = 0.95
    max_unexplained_gap_minutes: float = 120.0
    refer_early_arrival: bool = False  # custody is proven by the track, not by the clock
    ignored_alert_kinds: frozenset[str] = frozenset({"low_battery"})  # say nothing of custody

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_share_inside <= 1.0:
            raise ValueError("min_share_inside must be between 0 and 1")
        if self.max_unexplained_gap_minutes < 0:
            raise ValueError("max_unexplained_gap_minutes must not be negative")

    def as_dict(self) -> dict[str, Any]:
        return {
            "min_share_inside": self.min_share_inside,
            "max_unexplained_gap_minutes": self.max_unexplained_gap_minutes,
            "refer_early_arrival": self.refer_early_arrival,
            "ignored_alert_kinds": sorted(self.ignored_alert_kinds),
        }


class SealEventKind(StrEnum):
    OPENED = "opened"  # the lock reported open (ISO 18185 seal status: opened)
    TAMPER = "tamper"  # the tamper sensor fired (cable cut, case opened)


@dataclass(frozen=True, slots=True)
class SealEvent:
    """An opening or tamper report, and the permitted zone it happened in (None: outside)."""

    kind: SealEventKind
    at: datetime
    lat: float | None  # the last accepted position when the report carried none
    lon: float | None
    zone_kind: str | None = None  # yard | rest_stop | checkpoint | border_port | None
    zone_id: str | None = None


@dataclass(frozen=True, slots=True)
class FixGap:
    """A stretch without fixes; `end=None` means still silent now. Backfill along the route
    (the device flushed its buffer, no problem alert meanwhile) explains it."""

    start: datetime
    end: datetime | None
    explained_by_backfill: bool = False


@dataclass(frozen=True, slots=True)
class OpenAlert:
    kind: str
    opened_at: datetime
    message_en: str
    message_zh: str


@dataclass(frozen=True, slots=True)
class DeclarationSummary:
    """The declaration as it stands now; `passport_digest` is the one recorded at release."""

    id: str
    number: str | None
    status: DeclarationStatus
    vehicle_plate: str
    containers: tuple[str, ...]
    passport_digest: str | None


@dataclass(frozen=True, slots=True)
class Presented:
    """What the border officer read at the gate (trip id only when a certificate QR was scanned)."""

    plate: str
    containers: tuple[str, ...]
    seal_id: str
    trip_id: str | None = None


@dataclass(frozen=True, slots=True)
class CustodyEvidence:
    """Everything the verdict looks at, assembled by the integrator from the database."""

    trip: TransitTrip
    declaration: DeclarationSummary
    seal_state: SealState
    lock_state_now: LockState
    locked_throughout: bool  # every fix from arming to first border arrival reported locked
    seal_events: tuple[SealEvent, ...]
    fixes_count: int
    share_inside: float  # accepted fixes inside the corridor or a permitted zone, 0..1
    gaps: tuple[FixGap, ...]
    open_alerts: tuple[OpenAlert, ...]
    border_arrival_at: datetime | None  # first fix in the destination border-port zone
    overdue_resolved_by: str | None  # officer who resolved the trip's overdue alert, if any
    recomputed_passport_digest: str | None  # from the declaration and inspections, now
    presented: Presented
    officer_port: str
    #: (English, Chinese) names of ports by id, for the checks' words (ids where absent)
    port_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def port_name(self, port_id: str) -> tuple[str, str]:
        return self.port_names.get(port_id, (port_id, port_id))

    def __post_init__(self) -> None:
        if not 0.0 <= self.share_inside <= 1.0:
            raise ValueError("share_inside must be between 0 and 1")
        if self.fixes_count < 0:
            raise ValueError("fixes_count must not be negative")
        times = [self.trip.armed_at, self.trip.window_start, self.trip.window_end]
        times += [e.at for e in self.seal_events] + [a.opened_at for a in self.open_alerts]
        times += [g.start for g in self.gaps] + [g.end for g in self.gaps if g.end is not None]
        if self.border_arrival_at is not None:
            times.append(self.border_arrival_at)
        for t in times:
            require_utc(t)


@dataclass(frozen=True, slots=True)
class Check:
    """One rule of the verdict: passed or not, with its figure and a sentence in en/zh."""

    code: str
    ok: bool
    figure: str
    message_en: str
    message_zh: str
    data: dict[str, Datum] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "ok": self.ok,
            "figure": self.figure,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "data": dict(sorted(self.data.items())),
        }


Rule = Callable[[CustodyEvidence, datetime, BorderPolicy], Check]


def require_utc(t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("border verdict times must be timezone-aware (UTC)")
