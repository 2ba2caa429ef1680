"""Yard handlers that follow the flow: dispatch to stations, follow customs and custody,
plan departures, port closures and the layout.

Bound like the others in `handling_yard(store_for, sources)`; `yard_subscribers` makes the
visit follow the clearance core and the e-lock custody once their changes are committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from landport.declarations.events import DeclarationReleased, DeclarationStatusChanged
from landport.declarations.model import CustomsDeclaration, DeclarationStatus
from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Actor, Role, require_role
from landport.inspection.model import InspectionKind, InspectionResult
from landport.risk.model import SelectivityLane
from landport.seals.calendar import Closure
from landport.seals.events import TripArmed
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.errors import Conflict, DomainError, InvalidInput, Violation
from landport.yard import commands as yc
from landport.yard.departures import PortClosure
from landport.yard.dispatch import STATION_ZH, StationKind, choose_station, required_station
from landport.yard.flow import CLEARANCE, follow
from landport.yard.model import YardLayout, yard_from_document
from landport.yard.planning import (
    Candidate,
    departing,
    plan_for,
    plan_record,
    plan_view,
    to_replan,
)
from landport.yard.ports import StoreFor, VisitStore, YardSources, YardVisit
from landport.yard.stations import live_stations
from landport.yard.support import (
    active_trip,
    audit_visit,
    declaration_of,
    depart_trip,
    find_visit,
    snapshot,
    trip_of,
)
from landport.yard.visits import VisitStatus

V = VisitStatus
S = DeclarationStatus
log = logging.getLogger(__name__)


def catch_up(
    yv: YardVisit, uow: CustodyUnitOfWork, store: VisitStore, at: datetime
) -> CustomsDeclaration | None:
    """Apply any customs decision or armed e-lock the visit has not followed yet."""
    declaration = declaration_of(uow, yv)
    before = snapshot(yv)
    changes = follow(yv, declaration, trip_id=trip_of(uow, yv), at=at)
    if changes:
        store.save(yv)
        for change in changes:
            audit_visit(uow, CLEARANCE, change.action, yv, before, change.detail)
    return declaration


def send_to_station(
    yv: YardVisit,
    kind: StationKind,
    layout: YardLayout,
    store: VisitStore,
    *,
    at: datetime,
    actor: Actor,
) -> dict[str, Any]:
    """Pick the station of this kind with the shortest expected wait and move the truck there."""
    others = [y for y in store.in_status(V.AT_LANE, V.AT_BAY) if y.visit.id != yv.visit.id]
    choice = choose_station(live_stations(layout, others, at), kind)
    minutes = round(choice.expected_wait.total_seconds() / 60, 1)
    yv.visit.move_to(
        V.AT_LANE if kind is StationKind.SCAN_LANE else V.AT_BAY,
        at=at,
        actor=actor.username,
        reason=f"{choice.station_id}: expected wait {minutes:g} min",
    )
    yv.visit.lane_id = choice.station_id
    name_en, name_zh = layout.sign(choice.station_id)  # what the operator reads
    return {
        "station_id": choice.station_id,
        "name_en": name_en,
        "name_zh": name_zh,
        "kind": kind.value,
        "kind_zh": STATION_ZH[kind],
        "expected_wait_minutes": minutes,
        "considered": [
            {"station_id": sid, "expected_wait_minutes": round(w.total_seconds() / 60, 1)}
            for sid, w in choice.considered
        ],
        "reason_en": f"{name_en} has the shortest expected wait ({minutes:g} min)",
        "reason_zh": f"{name_zh} 预计等候时间最短（{minutes:g} 分钟）",
    }


def _inspection_lane(declaration: CustomsDeclaration) -> str:
    # A document check escalated to examination is inspected as a red-lane declaration.
    if declaration.status is S.EXAMINATION:
        return SelectivityLane.RED.value
    return declaration.lane or SelectivityLane.GREEN.value


def plan_yard(
    uow: CustodyUnitOfWork,
    ctx: ClearanceContext,
    store: VisitStore,
    sources: YardSources,
    actor: Actor,
    *,
    added: PortClosure | None = None,
) -> dict[str, Any]:
    """Plan the parked trucks and re-plan those a closure hits; persist and audit each.
    `added`: the closure this command just stored, named in the moved trucks' reasons."""
    store.lock_departures()
    now = ctx.clock.now()
    rules = sources.layout(uow).departures
    routes = sources.routes()
    calendars = ctx.calendars_in(uow)  # with the closures stored, this command's included
    parked = store.departure_slots(V.PARKED, V.DEPARTURE_SCHEDULED)

    to_move: list[tuple[str, str]] = []
    to_plan: list[tuple[str, str]] = []
    skipped: list[dict[str, str]] = []
    for slot in parked:
        port = slot.exit_port
        if (
            port is None
            or port not in routes
            or port not in calendars
            or (port not in rules.daily_truck_capacity)
        ):
            skipped.append(
                {
                    "visit_id": slot.visit_id,
                    "reason_en": f"exit port {port} has no route, calendar or daily capacity",
                    "reason_zh": f"出境口岸 {port} 缺少路线、开放时间或每日通行能力数据",
                }
            )
        elif to_replan(slot, port, calendars, routes):
            (to_move if slot.departure_at is not None else to_plan).append((slot.visit_id, port))
    # Only the trucks being (re)planned are loaded whole; the rest only book capacity.
    whole = {yv.visit.id: yv for yv in store.get_many([v for v, _ in (*to_move, *to_plan)])}
    moved = [Candidate(whole[v], port) for v, port in to_move if v in whole]
    new = [Candidate(whole[v], port) for v, port in to_plan if v in whole]
    others = departing(store, now, routes, excluding=whole.keys())
    planned: list[dict[str, Any]] = []
    note = ("", "")
    if added is not None:
        c = added.closure
        note = (
            f"moved: {added.port_id} closed {c.start} to {c.end} ({c.reason})",
            f"已调整：{added.port_id} 于 {c.start} 至 {c.end} 关闭（{c.reason}）",
        )
    for group, group_note in ((moved, note), (new, ("", ""))):
        if not group:
            continue
        by_id = {c.visit.visit.id: c.visit for c in group}
        plans = plan_for(
            group, others, calendars=calendars, routes=routes, rules=rules, now=now, note=group_note
        )
        for plan in plans:
            yv = by_id[plan.truck.truck_id]
            before, previous = snapshot(yv), yv.departure_at
            yv.visit.move_to(
                V.DEPARTURE_SCHEDULED, at=now, actor=actor.username, reason=plan_record(plan)
            )
            yv.departure_at = plan.departure
            store.save(yv)
            audit_visit(uow, actor, "visit.departure_planned", yv, before, plan.reason_en)
            depart_trip(uow, ctx, yv, plan.departure, actor, "departure planned")
            planned.append(plan_view(plan, previous))
            others[(plan.port_id, plan.departure)] += 1
    return {"planned": planned, "skipped": skipped}


def handling_operations(
    store_for: StoreFor, sources: YardSources
) -> dict[type, Callable[..., Any]]:
    """Dispatch, following, departures, closures and the layout, bound to the yard's data."""

    def dispatch_visit(
        cmd: yc.DispatchVisit, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        store = store_for(uow)
        yv = find_visit(store, cmd.visit_id)
        now = ctx.clock.now()
        declaration = catch_up(yv, uow, store, now)
        if declaration is None:
            raise Conflict(
                "the visit has no declaration: customs has no lane to dispatch by",
                "车辆作业无报关单，无法按查验通道分派",
            )
        before = snapshot(yv)
        if yv.visit.status is V.GATED_IN:
            yv.visit.move_to(V.QUEUED, at=now, actor=cmd.actor.username)
        if yv.visit.status not in (V.QUEUED, V.AT_LANE):
            raise Conflict(
                f"the truck is '{yv.visit.status.value}': only queued trucks and trucks at a "
                "scan lane are dispatched",
                "只有排队中或在机检通道的车辆可以分派",
            )
        records = uow.inspections.for_declaration(declaration.id)
        scans = [r for r in records if r.kind is InspectionKind.SCAN]
        suspicious = (
            None if not scans else any(r.result is InspectionResult.SUSPICIOUS for r in scans)
        )
        at_scan_lane = yv.visit.status is V.AT_LANE
        if at_scan_lane and suspicious is None:
            raise Conflict("the scan of this truck is not recorded yet", "该车辆的机检结果尚未录入")
        kind = required_station(_inspection_lane(declaration), scan_suspicious=suspicious)
        result: dict[str, Any] = {"visit_id": yv.visit.id, "lane": declaration.lane}
        if kind is not None and not (kind is StationKind.SCAN_LANE and at_scan_lane):
            result["station"] = send_to_station(
                yv, kind, sources.layout(uow), store, at=now, actor=cmd.actor
            )
        elif declaration.status is S.RELEASED:
            yv.visit.move_to(
                V.DECIDED,
                at=now,
                actor=cmd.actor.username,
                reason=f"{declaration.lane} lane, released: no inspection station needed",
            )
            result["station"] = None
        else:
            result["station"] = None
            result["waiting_for"] = {
                "en": f"the customs decision (declaration {declaration.status.value})",
                "zh": f"海关决定（报关单状态 {declaration.status.value}）",
            }
        if snapshot(yv) != before:
            store.save(yv)
            detail = (result.get("station") or {}).get("reason_en", "")
            audit_visit(uow, cmd.actor, "visit.dispatched", yv, before, detail)
        result["status"] = yv.visit.status.value
        return result

    def follow_clearance(
        cmd: yc.FollowClearance, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> YardVisit | None:
        require_role(cmd.actor, Role.CUSTOMS_OFFICER, Role.YARD_OPERATOR, Role.PORT_ADMIN)
        store = store_for(uow)
        yv = store.open_for_declaration(cmd.declaration_id)
        if yv is not None:
            catch_up(yv, uow, store, ctx.clock.now())
            if yv.departure_at is not None:  # a new e-lock on a truck whose departure is set
                trip = active_trip(uow, yv)
                if trip is not None and trip.departs_at is None:
                    reason = "departure planned before this e-lock was armed"
                    depart_trip(uow, ctx, yv, yv.departure_at, CLEARANCE, reason)
        return yv

    def plan_departures(
        cmd: yc.PlanDepartures, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        return plan_yard(uow, ctx, store_for(uow), sources, cmd.actor)

    def add_port_closure(
        cmd: yc.AddPortClosure, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        require_role(cmd.actor, Role.YARD_OPERATOR, Role.PORT_ADMIN)
        found: list[Violation] = []
        if cmd.port_id not in ctx.catalog.calendars:
            known = ", ".join(sorted(ctx.catalog.calendars))
            found.append(
                Violation(
                    "port_id",
                    "unknown_port",
                    f"port_id must be one of {known}",
                    f"口岸须为 {known} 之一",
                )
            )
        if cmd.end < cmd.start:
            found.append(
                Violation(
                    "to",
                    "end_before_start",
                    "'to' (the last closed day) is before 'from' (the first)",
                    "关闭结束日期（to）早于开始日期（from）",
                )
            )
        if not cmd.reason.strip():
            found.append(
                Violation("reason", "required", "a closure needs a reason", "关闭须注明原因")
            )
        if found:
            raise InvalidInput(found)
        closure = PortClosure(cmd.port_id, Closure(cmd.start, cmd.end, cmd.reason.strip()))
        now = ctx.clock.now()
        # Kept first: this transaction then plans, and re-times the trips, with it.
        sources.add_closure(uow, closure, actor=cmd.actor.username, at=now)
        result = plan_yard(uow, ctx, store_for(uow), sources, cmd.actor, added=closure)
        uow.audit.append(
            actor=cmd.actor.username,
            action="port_calendar.closure_added",
            entity_type="port_calendar",
            entity_id=cmd.port_id,
            before=None,
            after={"from": cmd.start.isoformat(), "to": cmd.end.isoformat(), "reason": cmd.reason},
            detail=f"{len(result['planned'])} truck(s) re-planned",
        )
        return {
            "port_id": cmd.port_id,
            "from": cmd.start.isoformat(),
            "to": cmd.end.isoformat(),
            "reason": closure.closure.reason,
            "replanned": result["planned"],
            "skipped": result["skipped"],
        }

    def change_layout(
        cmd: yc.ChangeYardLayout, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> YardLayout:
        require_role(cmd.actor, Role.PORT_ADMIN)
        layout = yard_from_document(cmd.document)
        slots = {s.id for z in layout.zones for s in z.slots}
        lost = sorted(store_for(uow).occupied_slots() - slots)
        if lost:
            raise InvalidInput(
                [
                    Violation(
                        "parking_zones",
                        "occupied_slot_removed",
                        f"occupied slots would disappear: {', '.join(lost)}",
                        f"以下已占用车位将被删除：{'、'.join(lost)}",
                    )
                ]
            )
        old = sources.layout(uow)
        reason = (cmd.reason or "").strip() or None
        number = sources.replace_layout(
            uow, cmd.document, actor=cmd.actor.username, at=ctx.clock.now(), reason=reason
        )
        uow.audit.append(
            actor=cmd.actor.username,
            action="yard.layout_changed",
            entity_type="yard_layout",
            entity_id=layout.yard_id or "yard",
            before=_layout_summary(old),
            after={**_layout_summary(layout), "version": number},
            detail=reason or "",
        )
        return layout

    return {
        yc.DispatchVisit: dispatch_visit,
        yc.FollowClearance: follow_clearance,
        yc.PlanDepartures: plan_departures,
        yc.AddPortClosure: add_port_closure,
        yc.ChangeYardLayout: change_layout,
    }


def _layout_summary(layout: YardLayout) -> dict[str, Any]:
    return {
        "yard_id": layout.yard_id,
        "scan_lanes": [s.id for s in layout.scan_lanes],
        "exam_bays": [b.id for b in layout.exam_bays],
        "slots": sum(len(z.slots) for z in layout.zones),
        "daily_truck_capacity": dict(layout.departures.daily_truck_capacity),
    }


def yard_subscribers(
    handle: Callable[[object], Any],
) -> dict[type, list[Callable[[object], None]]]:
    """After commit, customs decisions and armed e-locks move the declaration's visit.

    A failure here must not undo or fail the officer's committed decision: it is retried
    once (a concurrent change of the visit) and otherwise logged. One lost altogether (the
    process died after the commit) is caught up by the next yard step that judges the visit:
    dispatch, a move, parking and the exit gate call `catch_up` first.
    """

    def follow_declaration(event: object) -> None:
        declaration_id = getattr(event, "declaration_id", None)
        if not isinstance(declaration_id, str):
            return
        command = yc.FollowClearance(CLEARANCE, declaration_id)
        for attempt in range(2):
            try:
                handle(command)
                return
            except Conflict:
                if attempt:
                    log.warning("visit of declaration %s not followed: conflict", declaration_id)
            except DomainError as exc:
                log.warning("visit of declaration %s not followed: %s", declaration_id, exc)
                return

    return {
        DeclarationStatusChanged: [follow_declaration],
        DeclarationReleased: [follow_declaration],
        TripArmed: [follow_declaration],
    }
