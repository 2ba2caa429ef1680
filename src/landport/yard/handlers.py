"""Yard handlers: pre-advice, gates, steps, parking, holds, fees and the container ledger.

Built around a store factory (`handling_yard(store_for, sources)`), like the custody handlers
around their monitor store: the unit of work does not expose yard repositories, the store
works on its connection. Every change is audited; nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from landport.declarations.access import get_actionable
from landport.declarations.model import DeclarationStatus
from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Role, require_role
from landport.inspection.handlers import ReleaseBlocked
from landport.seals.departure_window import rebase_window
from landport.seals.model import TransitTrip
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.clock import beijing_date
from landport.shared.errors import Conflict, InvalidInput, NotFound, Violation
from landport.shared.identifiers import normalise_plate
from landport.yard import commands as yc
from landport.yard.departures import early_leave
from landport.yard.dispatch import StationKind
from landport.yard.flow import CLEARANCE, admission_refusal, clearance_holds, shut_out_reason
from landport.yard.hold_handlers import handling_holds_and_moves
from landport.yard.operations import catch_up, handling_operations, plan_yard, send_to_station
from landport.yard.parking import assign_slot, cargo_profile, refusal_for
from landport.yard.planning import (
    booked_days,
    departing,
    departure_refusals,
)
from landport.yard.ports import StoreFor, VisitStore, YardSources, YardVisit
from landport.yard.seal_removal import handling_seal_removal
from landport.yard.support import (
    active_trip,
    audit_visit,
    declaration_of,
    depart_trip,
    find_visit,
    invalid,
    snapshot,
    trip_of,
)
from landport.yard.visits import (
    IN_YARD,
    MOVE_TARGETS,
    VisitStatus,
    gate_in,
    gate_out_blockers,
    named_declaration_refusal,
    pre_advise,
    shut_out,
)

V = VisitStatus


def leave_yard(store: VisitStore, yv: YardVisit) -> None:
    """A truck through the exit gate, whichever way: its slot is free, its visit saved."""
    if yv.slot_id is not None:
        store.free_slot_of(yv.visit.id)
    store.save(yv)


_CLOSED_DECLARATIONS = frozenset(
    {DeclarationStatus.CANCELLED, DeclarationStatus.REJECTED, DeclarationStatus.EXITED}
)
_DECIDED = frozenset(
    {DeclarationStatus.RELEASED, DeclarationStatus.HELD, DeclarationStatus.REJECTED}
)
_STATION_OF = {V.AT_LANE: StationKind.SCAN_LANE, V.AT_BAY: StationKind.BAY}


class GateOutBlocked(ReleaseBlocked):
    """Gate-out refused (409): every blocker is listed, nothing changed."""

    code = "gate_out_blocked"

    def __init__(self, blockers: list[Violation]) -> None:
        super().__init__(blockers)
        self.message_en = "gate-out refused: " + "; ".join(b.message_en for b in blockers)
        self.message_zh = "不能出闸：" + "；".join(b.message_zh for b in blockers)


def handling_yard(store_for: StoreFor, sources: YardSources) -> dict[type, Callable[..., Any]]:
    """The yard's handlers, bound to the visit store of each unit of work and the yard data."""

    def pre_advise_truck(
        cmd: yc.PreAdvise, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> YardVisit:
        require_role(cmd.actor, Role.DECLARANT)
        today = beijing_date(ctx.clock.now())
        declaration = get_actionable(uow, cmd.actor, cmd.declaration_id, today)
        plate = normalise_plate(cmd.plate)
        if not plate:
            raise invalid("plate", "required", "the plate is required", "车牌号为必填项")
        if plate != normalise_plate(declaration.content.vehicle_plate):
            raise invalid(
                "plate",
                "plate_not_on_declaration",
                f"truck {plate} is not the vehicle on the declaration",
                f"车辆 {plate} 与报关单申报的运输工具不符",
            )
        if declaration.status in _CLOSED_DECLARATIONS:
            raise Conflict(
                f"declaration {declaration.id} is {declaration.status.value}",
                f"报关单状态为 {declaration.status.value}，不能预报车辆",
            )
        store = store_for(uow)
        booked = cmd.appointment_id
        if booked is not None and store.appointment_declaration(booked) != declaration.id:
            raise invalid(
                "appointment_id",
                "appointment_not_of_declaration",
                f"appointment {booked} is not a live booking of declaration {declaration.id}",
                f"预约 {booked} 不是报关单 {declaration.id} 的有效预约",
            )
        store.lock_declaration(declaration.id)
        if store.open_for_declaration(declaration.id) is not None:
            raise Conflict(
                f"declaration {declaration.id} already has a truck visit", "该报关单已预报车辆"
            )
        visit = pre_advise(
            ctx.new_id(),
            plate,
            at=ctx.clock.now(),
            actor=cmd.actor.username,
            declaration_id=declaration.id,
            appointment_id=cmd.appointment_id,
        )
        yv = YardVisit(visit)
        store.add(yv)
        audit_visit(uow, cmd.actor, "visit.pre_advised", yv, None)
        return yv

    def gate_in_truck(cmd: yc.GateIn, uow: CustodyUnitOfWork, ctx: ClearanceContext) -> YardVisit:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        store = store_for(uow)
        known = {yv.visit.id: yv for yv in store.with_plate(normalise_plate(cmd.plate))}
        # The slot of a booked truck first, as the no-show sweep takes it, and the gate's time
        # after: a sweep never misses a gate-in stamped before its deadline that is still
        # committing (it waits for it), and a gate-in that waited for a sweep comes after it.
        store.lock_bookings_of(
            yv.visit.declaration_id
            for yv in known.values()
            if yv.visit.status is V.PRE_ADVISED and yv.visit.declaration_id is not None
        )
        named = named_declaration_refusal(
            [yv.visit for yv in known.values()], cmd.plate, cmd.declaration_id
        )
        if named is not None:
            raise InvalidInput([named])
        before = {k: snapshot(yv) for k, yv in known.items()}
        visit = gate_in(
            [yv.visit for yv in known.values()],
            cmd.plate,
            at=ctx.clock.now(),
            actor=cmd.actor.username,
            new_visit_id=ctx.new_id(),
            declaration_id=cmd.declaration_id,
        )
        yv = known.get(visit.id)
        did = visit.declaration_id
        refusal = admission_refusal(uow.declarations.get(did) if did else None, visit.plate)
        if refusal is not None:  # nothing is saved
            raise InvalidInput([refusal])
        if yv is None:  # admitted on a declaration without pre-advice
            yv = YardVisit(visit)
            store.add(yv)
        else:
            store.save(yv)
        audit_visit(uow, cmd.actor, "visit.gated_in", yv, before.get(visit.id))
        return yv

    def move_visit(cmd: yc.MoveVisit, uow: CustodyUnitOfWork, ctx: ClearanceContext) -> YardVisit:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        try:
            target = VisitStatus(cmd.to)
        except ValueError:
            target = None
        if target not in MOVE_TARGETS:
            allowed = ", ".join(sorted(s.value for s in MOVE_TARGETS))
            raise invalid(
                "to", "unknown_step", f"'to' must be one of {allowed}", f"步骤须为 {allowed} 之一"
            )
        assert target is not None
        store = store_for(uow)
        yv = find_visit(store, cmd.visit_id)
        now = ctx.clock.now()
        declaration = catch_up(yv, uow, store, now)
        if yv.visit.status is target:
            return yv  # the flow already got there (customs decided, the e-lock was armed)
        if target is V.SEALED and trip_of(uow, yv) is None:
            raise Conflict(
                "the declaration has no armed e-lock: the truck cannot be marked sealed",
                "报关单尚未施加电子关锁，不能标记为已施封",
            )
        if target is V.DECIDED and (declaration is None or declaration.status not in _DECIDED):
            raise Conflict(
                "customs has not decided the declaration yet: the truck cannot be marked decided",
                "海关尚未对报关单作出决定，不能标记为已决定",
            )
        before = snapshot(yv)
        kind = _STATION_OF.get(target)
        if kind is not None:
            station = send_to_station(yv, kind, sources.layout(uow), store, at=now, actor=cmd.actor)
            detail = cmd.reason or station["reason_en"]
        else:
            yv.visit.move_to(target, at=now, actor=cmd.actor.username, reason=cmd.reason)
            detail = cmd.reason or ""
        store.save(yv)
        audit_visit(uow, cmd.actor, f"visit.{target.value}", yv, before, detail)
        return yv

    def assign_parking(
        cmd: yc.AssignParking, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        """One try, then the next free slot once if a concurrent assignment took it; then 409."""
        require_role(cmd.actor, Role.YARD_OPERATOR)
        store = store_for(uow)
        yv = find_visit(store, cmd.visit_id)
        if yv.visit.status not in IN_YARD:
            raise Conflict(
                f"the truck is '{yv.visit.status.value}', not inside the yard",
                "车辆不在场内，不能分配车位",
            )
        if yv.slot_id is not None:
            raise Conflict(
                f"the truck already has slot {yv.slot_id}", f"车辆已分配车位 {yv.slot_id}"
            )
        now = ctx.clock.now()
        declaration = catch_up(yv, uow, store, now)
        layout = sources.layout(uow)
        cargo = cargo_profile(
            declaration.content.hs_codes if declaration else (), layout.cargo_rules
        )
        for _attempt in range(2):
            slot = assign_slot(layout, store.occupied_slots(), cargo)
            if slot is None:
                refusal = refusal_for(layout, cargo)
                raise Conflict(refusal.reason_en, refusal.reason_zh)
            if store.occupy(slot.slot_id, yv.visit.id, at=now, actor=cmd.actor.username):
                break
        else:
            raise Conflict(
                "the slot was taken by a concurrent assignment; try again",
                "车位刚被同时分配给其他车辆，请重试",
            )
        before = snapshot(yv)
        yv.slot_id = slot.slot_id
        if yv.visit.status is V.SEALED:
            yv.visit.move_to(V.PARKED, at=now, actor=cmd.actor.username, reason=slot.slot_id)
        store.save(yv)
        audit_visit(uow, cmd.actor, "visit.parking_assigned", yv, before, slot.reason_en)
        departure = None
        if yv.visit.status is V.PARKED:  # sealed and parked: tell the driver when to leave
            planned = plan_yard(uow, ctx, store, sources, cmd.actor)["planned"]
            departure = next((p for p in planned if p["visit_id"] == yv.visit.id), None)
        return {
            "visit_id": yv.visit.id,
            "status": "departure_scheduled" if departure else yv.visit.status.value,
            "departure": departure,
            "slot_id": slot.slot_id,
            "zone_id": slot.zone_id,
            "zone_kind": slot.zone_kind.value,
            "exit_distance_m": slot.exit_distance_m,
            "reason_en": slot.reason_en,
            "reason_zh": slot.reason_zh,
            "dangerous_goods": list(cargo.dangerous_goods),
        }

    def schedule_departure(
        cmd: yc.ScheduleDeparture, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> YardVisit:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        if cmd.at.tzinfo is None or cmd.at.utcoffset() is None:
            raise invalid("at", "naive_datetime", "time needs a time zone", "时间须带时区")
        now = ctx.clock.now()
        if cmd.at < now:
            raise invalid("at", "in_the_past", "departure lies in the past", "离场时间早于当前")
        store = store_for(uow)
        yv = find_visit(store, cmd.visit_id)
        if yv.visit.status not in (V.PARKED, V.DEPARTURE_SCHEDULED):
            raise Conflict(
                f"the truck is '{yv.visit.status.value}': only a parked, sealed truck departs",
                "只有已施封并停放的车辆可以安排离场",
            )
        store.lock_departures()
        declaration = declaration_of(uow, yv)
        routes = sources.routes()
        others = departing(store, now, routes, excluding=[yv.visit.id])
        refusals = departure_refusals(
            cmd.at,
            declaration.content.exit_port if declaration else None,
            calendars=ctx.calendars_in(uow),
            routes=routes,
            rules=sources.layout(uow).departures,
            booked=booked_days(others, routes),
        )
        if refusals:
            raise InvalidInput(refusals)
        before = snapshot(yv)
        yv.visit.move_to(
            V.DEPARTURE_SCHEDULED, at=now, actor=cmd.actor.username, reason="set by the operator"
        )
        yv.departure_at = cmd.at
        store.save(yv)
        audit_visit(uow, cmd.actor, "visit.departure_scheduled", yv, before, cmd.at.isoformat())
        depart_trip(uow, ctx, yv, cmd.at, cmd.actor, "departure set by the yard operator")
        return yv

    def mark_fees_paid(
        cmd: yc.MarkFeesPaid, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> YardVisit:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        store = store_for(uow)
        yv = find_visit(store, cmd.visit_id)
        if not yv.fees_paid:
            before = snapshot(yv)
            yv.fees_paid = True
            yv.visit.updated_at = ctx.clock.now()
            store.save(yv)
            audit_visit(uow, cmd.actor, "visit.fees_paid", yv, before)
        return yv

    def gate_out_truck(cmd: yc.GateOut, uow: CustodyUnitOfWork, ctx: ClearanceContext) -> YardVisit:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        store = store_for(uow)
        plate = normalise_plate(cmd.plate)
        inside = [yv for yv in store.with_plate(plate) if yv.visit.status in IN_YARD]
        if not inside:
            raise NotFound(f"truck {plate} is not inside the yard", f"车辆 {plate} 不在场内")
        yv = inside[0]
        # The visit first follows customs and custody, as their subscribers do after the
        # officer's commit: a follow-up lost in between (the process died) must not keep the
        # truck at the gate, e.g. behind a customs hold lifted on the declaration.
        now = ctx.clock.now()
        declaration = catch_up(yv, uow, store, now)
        trip = active_trip(uow, yv)
        not_exported = shut_out_reason(declaration)
        if not_exported is not None:
            return leave_inland(yv, not_exported, trip, uow, store, ctx, cmd)
        released = declaration is not None and declaration.status is DeclarationStatus.RELEASED
        blockers = gate_out_blockers(
            yv.visit,
            declaration_released=released,
            sealed=trip is not None,
            fees_paid=yv.fees_paid,
        )
        if blockers:
            raise GateOutBlocked(blockers)
        assert trip is not None  # "not_sealed" is a blocker
        before = snapshot(yv)
        early = early_leave(yv.departure_at, now)
        said = None
        if early is not None:  # kept in both languages, as a departure plan's reasons are
            said = json.dumps({"reason_en": early[0], "reason_zh": early[1]}, ensure_ascii=False)
        yv.visit.move_to(V.GATED_OUT, at=now, actor=cmd.actor.username, reason=said)
        # Sealed goods leave on their trip: custody (the e-lock's monitor) takes over here.
        yv.visit.move_to(V.ON_TRIP, at=now, actor=cmd.actor.username, reason=f"trip {trip.id}")
        leave_yard(store, yv)
        # The trip again, locked, after the visit (the order planning takes them): an e-lock
        # taken off meanwhile (RemoveSeal locks the trip, then reads the visit) either
        # committed first, and the truck must not leave, or now waits and finds it gone.
        locked = active_trip(uow, yv, for_update=True)
        if locked is None or locked.id != trip.id:
            raise Conflict(
                f"the e-lock of trip {trip.id} was taken off meanwhile: read the plate again",
                f"运输 {trip.id} 的电子关锁刚被撤除，请重新读取车牌",
            )
        audit_visit(uow, cmd.actor, "visit.gated_out", yv, before, early[0] if early else "")
        # the arrival window now counts from the real departure
        rebase_window(uow, ctx, locked, now, actor=cmd.actor.username, reason="gated out")
        return yv

    def leave_inland(
        yv: YardVisit,
        reason: str,
        trip: TransitTrip | None,
        uow: CustodyUnitOfWork,
        store: VisitStore,
        ctx: ClearanceContext,
        cmd: yc.GateOut,
    ) -> YardVisit:
        """The goods are not exported (declaration rejected or cancelled): the exit gate lets
        the truck back inland, ending customs' hold on the stopped declaration with it."""
        before = snapshot(yv)
        try:
            shut_out(
                yv.visit,
                at=ctx.clock.now(),
                actor=cmd.actor.username,
                armed_trip=trip.id if trip is not None else None,
                fees_paid=yv.fees_paid,
                ending=clearance_holds(yv),
                ended_by=CLEARANCE.username,
                reason=reason,
            )
        except InvalidInput as refused:
            raise GateOutBlocked(list(refused.violations)) from None
        yv.departure_at = None  # no border day to book, no departure to tell the driver
        leave_yard(store, yv)
        audit_visit(uow, cmd.actor, "visit.shut_out", yv, before)
        return yv

    return {
        **handling_operations(store_for, sources),
        **handling_holds_and_moves(store_for),
        **handling_seal_removal(store_for),
        yc.PreAdvise: pre_advise_truck,
        yc.GateIn: gate_in_truck,
        yc.MoveVisit: move_visit,
        yc.AssignParking: assign_parking,
        yc.ScheduleDeparture: schedule_departure,
        yc.MarkFeesPaid: mark_fees_paid,
        yc.GateOut: gate_out_truck,
    }
