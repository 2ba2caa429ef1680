"""Use cases of e-lock custody: register e-locks, arm a seal onto released goods."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from landport.declarations.model import DeclarationStatus
from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Role, require_role
from landport.seals.calendar import arrival_window
from landport.seals.commands import (
    ArmSeal,
    ChangeSealState,
    HandleAlert,
    ImportRoutes,
    RegisterSeal,
    ResetTerminalRegistration,
)
from landport.seals.events import AlertHandled, TripArmed
from landport.seals.jt808.vendors import VENDORS
from landport.seals.model import SEAL_ID, ElectronicSeal, SealProtocol, SealState, TransitTrip
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.clock import beijing_date
from landport.shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Violation,
    required_reason,
)

#: A JT/T 808 terminal phone number: BCD digits, 12 in a 2013 header, 20 in a 2019 one.
TERMINAL_NUMBER = re.compile(r"[0-9]{1,20}")


def jt808_terminal(number: str) -> str | None:
    """The terminal number as the gateway reads it from a frame header (leading zeros
    dropped, so a 2013 and a 2019 frame of the same SIM agree); None if not 1-20 digits."""
    if not TERMINAL_NUMBER.fullmatch(number):
        return None
    return number.lstrip("0") or "0"


def _jt808_problems(cmd: RegisterSeal) -> list[Violation]:
    """A JT/T 808 lock works only with a vendor table to read it and a number to find it by."""
    problems = []
    if cmd.vendor.strip() and cmd.vendor.strip() not in VENDORS:  # empty: vendor_required
        names = ", ".join(sorted(VENDORS))
        problems.append(
            Violation(
                "vendor",
                "unknown_jt808_vendor",
                f"a JT/T 808 e-lock's vendor must be one with a vendor table: {names}",
                f"JT/T 808 关锁的厂商须为已有厂商表的厂商：{names}",
            )
        )
    if cmd.terminal_id is None or jt808_terminal(cmd.terminal_id) is None:
        problems.append(
            Violation(
                "terminal_id",
                "terminal_id_format",
                "a JT/T 808 e-lock needs its terminal phone number: 1 to 20 digits",
                "JT/T 808 关锁须填写终端手机号：1 至 20 位数字",
            )
        )
    return problems


def register_seal(
    cmd: RegisterSeal, uow: CustodyUnitOfWork, ctx: ClearanceContext
) -> ElectronicSeal:
    """An e-lock joins the pool; its secret is what makes its telemetry trustworthy."""
    require_role(cmd.actor, Role.PORT_ADMIN, Role.CUSTOMS_OFFICER)
    problems: list[Violation] = []
    if not SEAL_ID.fullmatch(cmd.seal_id):
        problems.append(
            Violation(
                "seal_id",
                "seal_id_format",
                "seal_id must be 4-40 capital letters, digits or '-'",
                "关锁号须为 4 至 40 位大写字母、数字或 -",
            )
        )
    if cmd.protocol not in {p.value for p in SealProtocol}:
        problems.append(
            Violation(
                "protocol",
                "unknown_protocol",
                "protocol must be json-mqtt or jt808",
                "协议只能是 json-mqtt 或 jt808",
            )
        )
    if len(cmd.secret) < 16:
        problems.append(
            Violation(
                "secret",
                "secret_too_short",
                "the device secret must be at least 16 characters",
                "设备密钥至少 16 个字符",
            )
        )
    if not cmd.vendor.strip():
        problems.append(Violation("vendor", "vendor_required", "vendor is required", "须填写厂商"))
    if cmd.protocol == SealProtocol.JT808.value:
        problems += _jt808_problems(cmd)
    if problems:
        raise InvalidInput(problems)
    if uow.seals.get(cmd.seal_id) is not None:
        raise Conflict(f"e-lock {cmd.seal_id} is already registered", "该关锁已登记")
    terminal_id = cmd.terminal_id
    if cmd.protocol == SealProtocol.JT808.value and terminal_id is not None:
        terminal_id = jt808_terminal(terminal_id)
        holder = uow.seals.holding_terminal(terminal_id) if terminal_id else None
        if holder is not None:  # the gateway could not tell whose fixes a frame carries
            raise Conflict(
                f"terminal_id: JT/T 808 terminal {terminal_id} is already e-lock {holder}'s",
                f"终端手机号 {terminal_id} 已登记为关锁 {holder}，不能重复登记",
            )
    seal = ElectronicSeal(
        cmd.seal_id,
        cmd.vendor.strip(),
        SealProtocol(cmd.protocol),
        cmd.secret,
        terminal_id=terminal_id,
    )
    uow.seals.add(seal)
    uow.audit.append(
        actor=cmd.actor.username,
        action="seal.registered",
        entity_type="seal",
        entity_id=seal.seal_id,
        before=None,
        after={
            "seal_id": seal.seal_id,
            "vendor": seal.vendor,
            "protocol": seal.protocol.value,
            "terminal_id": seal.terminal_id,
        },
    )
    return seal


class TerminalRegistrations(Protocol):
    """The JT/T 808 registrations of the unit of work's transaction."""

    def forget(self, seal_id: str) -> datetime | None:
        """Delete the seal's registration (its auth code stops working); when the terminal
        had registered, None if it had not."""
        ...


RegistrationsFor = Callable[[Any], TerminalRegistrations]  # the unit of work -> its store


def resetting_terminal_registrations(
    registrations_for: RegistrationsFor,
) -> Callable[..., dict[str, Any]]:
    """The handler of `ResetTerminalRegistration`, bound to the store of each unit of work."""

    def reset_terminal_registration(
        cmd: ResetTerminalRegistration, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        require_role(cmd.actor, Role.PORT_ADMIN, Role.CUSTOMS_OFFICER)  # who registers seals
        required_reason(cmd.reason)
        seal = uow.seals.get(cmd.seal_id)
        if seal is None:
            raise NotFound(f"e-lock {cmd.seal_id} is not registered", f"关锁 {cmd.seal_id} 未登记")
        if seal.protocol is not SealProtocol.JT808:
            raise Conflict(
                f"e-lock {seal.seal_id} does not speak JT/T 808: it has no terminal registration",
                f"关锁 {seal.seal_id} 不使用 JT/T 808 协议，没有终端注册",
            )
        registered_at = registrations_for(uow).forget(seal.seal_id)
        if registered_at is None:
            raise Conflict(
                f"the terminal of e-lock {seal.seal_id} has not registered: nothing to reset",
                f"关锁 {seal.seal_id} 的终端尚未注册，无需重置",
            )
        uow.audit.append(
            actor=cmd.actor.username,
            action="seal.terminal_registration_reset",
            entity_type="seal",
            entity_id=seal.seal_id,
            before={"terminal_id": seal.terminal_id, "registered_at": registered_at.isoformat()},
            after={"terminal_id": seal.terminal_id, "registered_at": None},
            detail=cmd.reason.strip(),
        )
        return {"seal_id": seal.seal_id, "terminal_id": seal.terminal_id, "registered": False}

    return reset_terminal_registration


def _require_containers_free(uow: CustodyUnitOfWork, containers: Sequence[str]) -> None:
    """A container is on one truck: sealed on a trip still under way, it cannot leave on a
    second (the border would find it on two trucks, and pick one)."""
    taken = uow.trips.sealing(containers)
    if taken:
        listed = ", ".join(f"{c} (trip {trip}, {plate})" for c, (trip, plate) in taken.items())
        listed_zh = "、".join(f"{c}（运输 {trip}，{plate}）" for c, (trip, plate) in taken.items())
        raise Conflict(
            f"already sealed on a trip under way: {listed}",
            f"集装箱已在途中运输上施封：{listed_zh}",
        )


def arm_seal(cmd: ArmSeal, uow: CustodyUnitOfWork, ctx: ClearanceContext) -> TransitTrip:
    """Bind seal, declaration, containers, plate, corridor, passport and arrival window."""
    require_role(cmd.actor, Role.CUSTOMS_OFFICER)
    uow.seals.hold_for_arming(cmd.seal_id)  # before any row lock: the ingest takes it first
    uow.trips.hold_declaration(cmd.declaration_id)  # then one arming of it at a time
    seal = uow.seals.get(cmd.seal_id)
    if seal is None:
        raise NotFound(f"e-lock {cmd.seal_id} is not registered", f"关锁 {cmd.seal_id} 未登记")
    if seal.state is not SealState.AVAILABLE:
        raise Conflict(
            f"e-lock {seal.seal_id} is {seal.state.value}, not available",
            f"关锁 {seal.seal_id} 当前状态为 {seal.state.value}，不可施封",
        )
    declaration = uow.declarations.get(cmd.declaration_id)
    if declaration is None:
        raise NotFound(
            f"declaration {cmd.declaration_id} not found", f"未找到报关单 {cmd.declaration_id}"
        )
    if declaration.status is not DeclarationStatus.RELEASED or not declaration.passport_digest:
        raise Conflict(
            f"declaration {declaration.id} is {declaration.status.value}: only released "
            "goods get a seal",
            "报关单未放行，不能施封",
        )
    if uow.trips.active_for_declaration(declaration.id) is not None:
        raise Conflict(f"declaration {declaration.id} already has an armed seal", "该报关单已施封")
    _require_containers_free(uow, [c.number for c in declaration.content.containers])
    route = uow.routes.get(cmd.route_id)
    if route is None:
        raise NotFound(f"route {cmd.route_id} is not approved", f"路线 {cmd.route_id} 未批准")
    exit_port = declaration.content.exit_port
    if route.to_port != exit_port:
        raise InvalidInput(
            [
                Violation(
                    "route_id",
                    "route_does_not_reach_exit_port",
                    f"route {route.route_id} leads to {route.to_port}, "
                    f"but the goods exit via {exit_port}",
                    f"路线终点为 {route.to_port}，与申报出境口岸 {exit_port} 不符",
                )
            ]
        )
    calendar = ctx.calendars_in(uow).get(exit_port)
    now = ctx.clock.now()
    if calendar is None:
        raise Conflict(f"no calendar for {exit_port}", f"缺少口岸 {exit_port} 的开放时间")
    closure = calendar.closure_on(beijing_date(now))
    if closure is not None:
        raise Conflict(
            f"{exit_port} is closed until {closure.end}: {closure.reason}",
            f"{exit_port} 关闭至 {closure.end}：{closure.reason}",
        )
    window = arrival_window(
        departure=now, road_km=route.road_km, typical_hours=route.typical_hours, calendar=calendar
    )
    if window.end < window.expected:  # a long closure begins before the truck could arrive
        until = window.held_by[-1].end
        why = "; ".join(c.reason for c in window.held_by)
        raise Conflict(
            f"{exit_port} is closed when the truck would arrive, until {until} ({why}): "
            "no seal for a closed border",
            f"车辆抵达时 {exit_port} 处于关闭期（至 {until}：{why}），不能施封",
        )
    trip = TransitTrip(
        id=ctx.new_id(),
        seal_id=seal.seal_id,
        declaration_id=declaration.id,
        vehicle_plate=declaration.content.vehicle_plate,
        containers=tuple(c.number for c in declaration.content.containers),
        route_id=route.route_id,
        route_version=route.version,
        exit_port=exit_port,
        passport_digest=declaration.passport_digest,
        armed_at=now,
        armed_by=cmd.actor.username,
        window_start=window.start,
        window_end=window.end,
        notes=list(window.reasons),
    )
    seal.state = SealState.ARMED
    uow.seals.save(seal)
    uow.trips.add(trip)
    uow.audit.append(
        actor=cmd.actor.username,
        action="seal.armed",
        entity_type="trip",
        entity_id=trip.id,
        before=None,
        after={
            "seal_id": seal.seal_id,
            "declaration_id": declaration.id,
            "plate": trip.vehicle_plate,
            "containers": list(trip.containers),
            "route_id": route.route_id,
            "route_version": route.version,
            "passport_digest": trip.passport_digest,
            "window": [window.start.isoformat(), window.end.isoformat()],
        },
    )
    uow.events.append(TripArmed(trip.id, seal.seal_id, declaration.id, now))
    return trip


def handle_alert(
    cmd: HandleAlert, uow: CustodyUnitOfWork, ctx: ClearanceContext
) -> dict[str, object]:
    """Acknowledge (seen, being handled) or resolve (closed with a finding) an alert."""
    require_role(cmd.actor, Role.CUSTOMS_OFFICER, Role.BORDER_OFFICER)
    if cmd.action not in {"acknowledge", "resolve"}:
        raise InvalidInput(
            [
                Violation(
                    "action",
                    "unknown_action",
                    "action must be acknowledge or resolve",
                    "操作只能是确认或处置",
                )
            ]
        )
    required_reason(cmd.reason)
    alert = uow.alerts.get(cmd.alert_id)
    if alert is None:
        raise NotFound(f"alert {cmd.alert_id} not found", f"未找到告警 {cmd.alert_id}")
    if alert["state"] in {"resolved", "closed"}:
        # A closed alert was cleared by the track itself; acknowledging it would reopen it.
        raise Conflict(f"the alert is already {alert['state']}", "该告警已关闭或已处置")
    taken_by = alert.get("handled_by") if alert["state"] == "acknowledged" else None
    if cmd.action == "acknowledge" and taken_by and taken_by != cmd.actor.username:
        # Two officers on one alert: the second learns who has it (and may still resolve it
        # with a finding); his acknowledgement would overwrite the first officer's note.
        raise Conflict(
            f"the alert is already being handled by {taken_by}",
            f"该告警已由 {taken_by} 确认处置中",
        )
    if cmd.actor.role is Role.BORDER_OFFICER:
        trip = uow.trips.get(str(alert["trip_id"]))
        if trip is None or trip.exit_port != cmd.actor.port_id:
            raise Forbidden(
                "a border officer handles alerts of trips to their own port only",
                "口岸关员只能处置本口岸的运输告警",
            )
    state = "acknowledged" if cmd.action == "acknowledge" else "resolved"
    if not uow.alerts.set_state(
        cmd.alert_id, was=alert["state"], state=state, actor=cmd.actor.username, reason=cmd.reason
    ):
        # Another officer, or the track closing it, got there first: their change stands.
        raise Conflict(
            "the alert changed while you were handling it; reload it and decide again",
            "处置期间该告警已被他人或轨迹更新，请刷新后重新处置",
        )
    uow.audit.append(
        actor=cmd.actor.username,
        action=f"alert.{cmd.action}",
        entity_type="alert",
        entity_id=str(cmd.alert_id),
        before={"state": alert["state"]},
        after={"state": state, "reason": cmd.reason},
    )
    uow.events.append(
        AlertHandled(str(alert["trip_id"]), str(alert["key"]), state, ctx.clock.now())
    )
    return {**alert, "state": state, "resolution": cmd.reason}


def import_routes(cmd: ImportRoutes, uow: CustodyUnitOfWork, ctx: ClearanceContext) -> list[int]:
    """A port administrator approves corridors; trips armed before keep their version."""
    require_role(cmd.actor, Role.PORT_ADMIN)
    problems = [
        Violation(
            f"routes[{i}].to_port",
            "unknown_border_port",
            f"route {r.route_id} ends at {r.to_port}, which is not a border port",
            f"路线 {r.route_id} 的终点不是边境口岸",
        )
        for i, r in enumerate(cmd.routes)
        if r.to_port not in ctx.catalog.exit_ports
    ]
    problems += [
        Violation(
            f"routes[{i}].zones",
            "zones_incomplete",
            f"route {r.route_id} needs a yard zone and a border-port zone '{r.to_port}'",
            f"路线 {r.route_id} 须包含出发堆场区域和口岸区域 {r.to_port}",
        )
        for i, r in enumerate(cmd.routes)
        if not any(z.kind == "yard" for z in r.zones)
        or not any(z.kind == "border_port" and z.id == r.to_port for z in r.zones)
    ]
    if problems:
        raise InvalidInput(problems)
    versions = []
    for route in cmd.routes:
        version = uow.routes.put(route, actor=cmd.actor.username)
        versions.append(version)
        uow.audit.append(
            actor=cmd.actor.username,
            action="route.imported",
            entity_type="route",
            entity_id=route.route_id,
            before=None,
            after={
                "route_id": route.route_id,
                "version": version,
                "points": len(route.coordinates),
                "road_km": route.road_km,
                "half_width_m": route.half_width_m,
                "confidence": route.confidence,
            },
        )
    return versions


#: What the pool keepers may do by hand; armed and alarm follow trips only.
POOL_MOVES: dict[SealState, frozenset[SealState]] = {
    SealState.DISARMED: frozenset({SealState.AVAILABLE, SealState.MAINTENANCE}),
    SealState.AVAILABLE: frozenset({SealState.MAINTENANCE}),
    SealState.MAINTENANCE: frozenset({SealState.AVAILABLE}),
}


def change_seal_state(
    cmd: ChangeSealState, uow: CustodyUnitOfWork, ctx: ClearanceContext
) -> ElectronicSeal:
    """Return a disarmed lock to the pool, or send one to maintenance, with a reason."""
    require_role(cmd.actor, Role.CUSTOMS_OFFICER, Role.PORT_ADMIN)
    try:
        target = SealState(cmd.state)
    except ValueError:
        target = None
    if target is None or not cmd.reason.strip():
        raise InvalidInput(
            [
                Violation(
                    "state" if target is None else "reason",
                    "invalid_pool_move",
                    "state must be available or maintenance, with a reason",
                    "状态只能是 available 或 maintenance，且须填写原因",
                )
            ]
        )
    seal = uow.seals.get(cmd.seal_id)
    if seal is None:
        raise NotFound(f"e-lock {cmd.seal_id} is not registered", f"关锁 {cmd.seal_id} 未登记")
    if target not in POOL_MOVES.get(seal.state, frozenset()):
        raise Conflict(
            f"e-lock {seal.seal_id} is {seal.state.value}; it cannot become {target.value} by hand",
            f"关锁当前状态为 {seal.state.value}，不能手动改为 {target.value}",
        )
    before = seal.state.value
    seal.state = target
    uow.seals.save(seal)
    uow.audit.append(
        actor=cmd.actor.username,
        action="seal.state_changed",
        entity_type="seal",
        entity_id=seal.seal_id,
        before={"state": before},
        after={"state": target.value},
        detail=cmd.reason,
    )
    return seal
