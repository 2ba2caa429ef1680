"""At the border: assemble the custody evidence, judge it, and release or refer the truck.

The evidence is built by one pure function (`custody_evidence`) from what the records say,
so the read side (`GET /border/verify`, `landport border verify`) and the handlers below
(which judge again inside their own transaction, just before they act) see the same thing.
The monitor state lives next to the trip; handlers reach it through `MonitorStore`, a port
the integrator wires (`adapters/db/custody_queries.monitor_store`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from landport.declarations.access import snapshot
from landport.declarations.model import TRANSITIONS, CustomsDeclaration, DeclarationStatus
from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Actor, Role, require_role
from landport.inspection.handlers import ReleaseBlocked
from landport.inspection.model import InspectionRecord
from landport.inspection.passport import passport_digest, recompute_passport
from landport.seals.alerts import AlertKind, Resolution
from landport.seals.border import BorderVerdict, border_verdict
from landport.seals.border_evidence import (
    CustodyEvidence,
    DeclarationSummary,
    FixGap,
    OpenAlert,
    Presented,
    SealEvent,
    SealEventKind,
)
from landport.seals.events import TripClosed
from landport.seals.model import (
    CLOSED_TRIPS,
    ElectronicSeal,
    LockState,
    SealState,
    TransitTrip,
    TripState,
)
from landport.seals.monitor_state import MonitorState
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Violation,
    required_reason,
)

# --- the monitor state, as the handlers reach it ---------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredMonitor:
    """The trip's monitor state and the trip row version it was read at."""

    version: int
    state: MonitorState


class MonitorStore(Protocol):
    def load(self, trip_id: str) -> StoredMonitor | None: ...

    def save(self, trip_id: str, state: MonitorState, *, version: int) -> None:
        """Store the state; raise Conflict if the trip row moved past `version`."""
        ...


StoreFor = Callable[[Any], MonitorStore]  # the unit of work -> its monitor store


# --- what the gate read, and the evidence ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateReading:
    """What the officer read at the gate; anything not read is taken from the trip record
    (and listed by `not_read`, so the officer sees the check compared record with record)."""

    plate: str | None = None
    containers: tuple[str, ...] = ()
    seal_id: str | None = None
    trip_id: str | None = None  # from a scanned certificate QR

    def presented(self, trip: TransitTrip) -> Presented:
        return Presented(
            plate=self.plate or trip.vehicle_plate,
            containers=self.containers or tuple(trip.containers),
            seal_id=self.seal_id or trip.seal_id,
            trip_id=self.trip_id,
        )

    def not_read(self) -> list[str]:
        pairs = (("plate", self.plate), ("containers", self.containers), ("seal", self.seal_id))
        return [name for name, value in pairs if not value]


@dataclass(frozen=True, slots=True)
class CustodyRecord:
    """Everything stored about one trip that the verdict looks at."""

    trip: TransitTrip
    declaration: CustomsDeclaration
    inspections: Sequence[InspectionRecord]
    seal_state: SealState
    monitor: MonitorState
    zone_kinds: Mapping[str, str]  # permitted zone id -> kind, from the trip's route
    open_alerts: Sequence[Mapping[str, Any]]  # alert rows in state open or acknowledged


def recomputed_passport_digest(
    declaration: CustomsDeclaration, inspections: Sequence[InspectionRecord]
) -> str | None:
    """The inspection passport digest as it comes out now (None if never released)."""
    passport = recompute_passport(declaration, inspections)
    return None if passport is None else passport_digest(passport)


def custody_evidence(
    record: CustodyRecord,
    reading: GateReading,
    *,
    officer_port: str,
    port_names: Mapping[str, tuple[str, str]] | None = None,
) -> CustodyEvidence:
    """The verdict's input, from the stored record and what the gate read; `port_names`:
    (English, Chinese) by port id, for the checks' words."""
    trip, st, d = record.trip, record.monitor, record.declaration
    arrival = st.first_arrival
    opened = [e for e in st.lock_events if e.get("lock") == LockState.OPENED.value]
    events = [
        _seal_event(SealEventKind.OPENED, datetime.fromisoformat(e["at"]), e, record.zone_kinds)
        for e in opened
    ]
    events += [
        _seal_event(SealEventKind.TAMPER, a.started_at, a.details, record.zone_kinds)
        for a in st.alerts.values()
        if a.kind is AlertKind.TAMPER
    ]
    locked_throughout = not any(
        arrival is None or datetime.fromisoformat(e["at"]) < arrival for e in opened
    )
    return CustodyEvidence(
        trip=trip,
        declaration=DeclarationSummary(
            id=d.id,
            number=d.number,
            status=d.status,
            vehicle_plate=d.content.vehicle_plate,
            containers=tuple(c.number for c in d.content.containers),
            passport_digest=d.passport_digest,
        ),
        seal_state=record.seal_state,
        lock_state_now=st.lock,
        locked_throughout=locked_throughout,
        seal_events=tuple(sorted(events, key=lambda e: e.at)),
        fixes_count=st.fixes,
        share_inside=min(1.0, st.inside / st.fixes) if st.fixes else 0.0,
        gaps=tuple(_gaps(trip, st)),
        open_alerts=tuple(
            OpenAlert(str(a["kind"]), a["opened_at"], str(a["message_en"]), str(a["message_zh"]))
            for a in record.open_alerts
        ),
        border_arrival_at=arrival,
        overdue_resolved_by=next(
            (
                str(a.details.get("officer") or "officer")
                for a in st.alerts.values()
                if a.kind is AlertKind.OVERDUE and a.resolution is Resolution.RESOLVED_BY_OFFICER
            ),
            None,
        ),
        recomputed_passport_digest=recomputed_passport_digest(d, record.inspections),
        presented=reading.presented(trip),
        officer_port=officer_port,
        port_names=port_names or {},
    )


def _seal_event(
    kind: SealEventKind, at: datetime, where: Mapping[str, Any], zone_kinds: Mapping[str, str]
) -> SealEvent:
    zone = where.get("zone")
    lat, lon = where.get("lat"), where.get("lon")
    return SealEvent(
        kind,
        at,
        float(lat) if isinstance(lat, int | float) else None,
        float(lon) if isinstance(lon, int | float) else None,
        zone_kind=zone_kinds.get(zone) if isinstance(zone, str) else None,
        zone_id=zone if isinstance(zone, str) else None,
    )


_UNEXPLAINED = (None, Resolution.FIXES_RESUMED, Resolution.BACKFILLED)


def _gaps(trip: TransitTrip, st: MonitorState) -> list[FixGap]:
    """The longest gap in the record, every signal loss (a backfill along the route with no
    problem alert meanwhile explains one) and the silence since the last fix, up to now."""
    gaps: list[FixGap] = []
    if st.longest_gap_s > 0 and st.longest_gap_from is not None:
        end = st.longest_gap_from + timedelta(seconds=st.longest_gap_s)
        gaps.append(FixGap(st.longest_gap_from, end))
    for a in st.alerts.values():
        if a.kind is not AlertKind.SIGNAL_LOST:
            continue
        if a.resolution is Resolution.EXPLAINED_BY_BACKFILL:
            gaps.append(FixGap(a.started_at, a.closed_at, explained_by_backfill=True))
        elif a.resolution in _UNEXPLAINED:
            gaps.append(FixGap(a.started_at, a.closed_at))
    gaps.append(FixGap(st.last_fix_time or trip.armed_at, None))
    return gaps


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseAtBorder:
    """The border officer confirms a pass verdict: the goods exit, the seal returns to the pool."""

    actor: Actor
    trip_id: str
    reading: GateReading = GateReading()
    note: str | None = None


@dataclass(frozen=True)
class ReferToInspection:
    """The border officer sends the truck to inspection; the declaration is held."""

    actor: Actor
    trip_id: str
    reason: str
    reading: GateReading = GateReading()


class BorderReleaseRefused(ReleaseBlocked):
    """Release refused: the verdict is refer; every failed check is listed (HTTP 409)."""

    code = "border_release_refused"

    def __init__(self, verdict: BorderVerdict) -> None:
        super().__init__(
            [Violation(c.code, c.code, c.message_en, c.message_zh) for c in verdict.referred_for]
        )
        self.verdict = verdict


# --- handlers --------------------------------------------------------------------------------


def judged_as(actor: Actor, requested_port: str | None) -> str | None:
    """The port a verification is judged for: a border officer always his own (from his
    account, never the request); a customs officer the port he asks about, or None for the
    trip's exit port (a supervisor's view)."""
    if actor.role is Role.BORDER_OFFICER:
        return actor.port_id or ""
    return requested_port


def _judge(
    uow: CustodyUnitOfWork,
    ctx: ClearanceContext,
    store: MonitorStore,
    actor: Actor,
    trip_id: str,
    reading: GateReading,
) -> _Judged:
    """Load the trip's record in this transaction and judge it now."""
    require_role(actor, Role.BORDER_OFFICER)
    trip = uow.trips.get(trip_id)
    if trip is None:
        raise NotFound(f"trip {trip_id} not found", f"未找到运输 {trip_id}")
    if actor.port_id != trip.exit_port:
        raise Forbidden(
            f"trip {trip.id} exits via {trip.exit_port}: only its officers decide on it",
            f"该运输经 {trip.exit_port} 出境，只有该口岸关员可以处理",
        )
    if trip.state in CLOSED_TRIPS:
        raise Conflict(
            f"trip {trip.id} is already {trip.state.value}",
            f"该运输已处理（{trip.state.value}）",
        )
    stored = store.load(trip.id)
    if stored is not None and stored.version != trip.version:
        raise Conflict("the trip changed meanwhile; verify again", "运输记录已更新，请重新核验")
    seal = uow.seals.get(trip.seal_id)
    declaration = uow.declarations.get(trip.declaration_id)
    route = uow.routes.get(trip.route_id, version=trip.route_version)
    if seal is None or declaration is None:
        raise NotFound(f"trip {trip.id} has lost its records", "运输记录不完整")
    record = CustodyRecord(
        trip=trip,
        declaration=declaration,
        inspections=uow.inspections.for_declaration(declaration.id),
        seal_state=seal.state,
        monitor=stored.state if stored is not None else MonitorState(trip.id),
        zone_kinds={z.id: z.kind for z in route.zones} if route is not None else {},
        open_alerts=uow.alerts.open_for_trip(trip.id),
    )
    evidence = custody_evidence(
        record,
        reading,
        officer_port=actor.port_id or "",
        port_names=ctx.catalog.border_port_names,
    )
    return _Judged(trip, declaration, seal, border_verdict(evidence, now=ctx.clock.now()))


@dataclass(frozen=True, slots=True)
class _Judged:
    trip: TransitTrip
    declaration: CustomsDeclaration
    seal: ElectronicSeal
    verdict: BorderVerdict


def _close(
    uow: CustodyUnitOfWork,
    actor: Actor,
    j: _Judged,
    reading: GateReading,
    *,
    outcome: TripState,
    declaration_to: DeclarationStatus,
    seal_to: SealState,
    reason: str,
) -> dict[str, Any]:
    """End the trip: declaration, seal and trip change together, each with an audit entry
    whose detail is the verdict the officer decided on."""
    trip, declaration, seal, verdict = j.trip, j.declaration, j.seal, j.verdict
    now, who = verdict.evaluated_at, actor.username
    before = snapshot(declaration)
    if declaration_to in TRANSITIONS[declaration.status]:  # a held declaration stays held
        declaration.move_to(declaration_to, at=now, actor=who, reason=reason)
        if declaration_to is DeclarationStatus.HELD:
            declaration.decision_reason = reason
        uow.declarations.save(declaration)
    # The trip's row before the seal's, in the order a telemetry batch takes them (it locks
    # its trips, then updates their seals' batteries): no deadlock between the two.
    trip_before, trip.state = trip.state, outcome
    trip.closed_at = now
    uow.trips.save(trip)
    seal_before, seal.state = seal.state, seal_to
    uow.seals.save(seal)
    detail = json.dumps(
        {"verdict": verdict.as_dict(), "not_read_at_gate": reading.not_read()},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    entries = (
        ("trip", trip.id, f"border.{outcome.value}", trip_before.value, outcome.value),
        ("declaration", declaration.id, "declaration.border", before, snapshot(declaration)),
        ("seal", seal.seal_id, f"seal.{seal_to.value}", seal_before.value, seal_to.value),
    )
    for entity_type, entity_id, action, old, new in entries:
        uow.audit.append(
            actor=who,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before={"state": old} if isinstance(old, str) else old,
            after={"state": new, "reason": reason} if isinstance(new, str) else new,
            detail=detail,
        )
    uow.events.append(TripClosed(trip.id, outcome.value, now))
    return {
        "trip_id": trip.id,
        "trip_state": trip.state.value,
        "declaration_id": declaration.id,
        "declaration_status": declaration.status.value,
        "seal_id": seal.seal_id,
        "seal_state": seal.state.value,
        "reason": reason,
        "verdict": verdict.as_dict(),
    }


def releasing_at_border(store_for: StoreFor) -> Callable[..., dict[str, Any]]:
    """The handler of `ReleaseAtBorder`, bound to the monitor store of each unit of work."""

    def release_at_border(
        cmd: ReleaseAtBorder, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        judged = _judge(uow, ctx, store_for(uow), cmd.actor, cmd.trip_id, cmd.reading)
        if judged.verdict.verdict != "pass":
            raise BorderReleaseRefused(judged.verdict)
        _require_read_at_gate(cmd.reading)
        return _close(
            uow,
            cmd.actor,
            judged,
            cmd.reading,
            outcome=TripState.EXITED,
            declaration_to=DeclarationStatus.EXITED,
            seal_to=SealState.AVAILABLE,  # back in the pool
            reason=cmd.note or f"released at {judged.trip.exit_port}: custody verified",
        )

    return release_at_border


def _require_read_at_gate(reading: GateReading) -> None:
    """Goods exit only on what the officer read from the truck itself: the plate and the seal.
    A verdict on the record alone (a QR's trip, nothing read) compares the record with itself,
    and a forged QR would pass it."""
    _require_read(reading, ("plate", "seal_id"), "releasing", "放行前")


def _require_plate_read(reading: GateReading) -> None:
    """A referral ends the trip's custody and holds its goods: only for a truck standing at
    the gate, so its plate must have been read there. The e-lock may be unreadable or gone,
    which is itself a reason to refer; a trip on the road is never referred from a desk."""
    _require_read(reading, ("plate",), "referring it to inspection", "移交查验前")


def _require_read(
    reading: GateReading, fields: tuple[str, ...], before_en: str, before_zh: str
) -> None:
    names = {"plate": ("plate", "车牌"), "seal_id": ("e-lock number", "关锁号")}
    values = {"plate": reading.plate, "seal_id": reading.seal_id}
    missing = [
        Violation(
            field,
            "not_read_at_gate",
            f"read the truck's {names[field][0]} at the gate before {before_en} (a verdict on"
            " the record alone proves nothing of the truck in front of you)",
            f"{before_zh}须在卡口读取车辆的{names[field][1]}（仅凭记录的核验不能证明眼前的车辆）",
        )
        for field in fields
        if not values[field]
    ]
    if missing:
        raise InvalidInput(missing)


def referring_to_inspection(store_for: StoreFor) -> Callable[..., dict[str, Any]]:
    """The handler of `ReferToInspection`: the trip ends as referred, the declaration is held."""

    def refer_to_inspection(
        cmd: ReferToInspection, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        reason = required_reason(cmd.reason)
        judged = _judge(uow, ctx, store_for(uow), cmd.actor, cmd.trip_id, cmd.reading)
        _require_plate_read(cmd.reading)
        return _close(
            uow,
            cmd.actor,
            judged,
            cmd.reading,
            outcome=TripState.REFERRED,
            declaration_to=DeclarationStatus.HELD,
            seal_to=SealState.DISARMED,  # the inspection removes it; it is not in the pool yet
            reason=reason,
        )

    return refer_to_inspection
