"""Yard holds (customs and yard, placed and lifted with audit) and the container ledger.

A hold blocks gate-out until lifted; only the role that owns its kind may place or lift
it. Container moves (load, unload, transship, store) are appended, never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Role, require_role
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.errors import InvalidInput, Violation
from landport.shared.identifiers import check_container_number
from landport.yard import commands as yc
from landport.yard.ports import ContainerMove, StoreFor, YardVisit
from landport.yard.support import audit_visit, find_visit, invalid, next_hold_id, snapshot
from landport.yard.visits import HoldKind, lift_hold, place_hold

MOVE_KINDS = ("load", "unload", "transship", "store")
_HOLD_ROLE = {HoldKind.CUSTOMS: Role.CUSTOMS_OFFICER, HoldKind.YARD: Role.YARD_OPERATOR}


def handling_holds_and_moves(store_for: StoreFor) -> dict[type, Callable[..., Any]]:
    """Hold and container-move handlers, bound to the visit store of each unit of work."""

    def place_visit_hold(
        cmd: yc.PlaceHold, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> YardVisit:
        try:
            kind = HoldKind(cmd.kind)
        except ValueError:
            raise invalid(
                "kind",
                "unknown_hold_kind",
                "kind must be customs or yard",
                "扣留类型须为海关或堆场",
            ) from None
        require_role(cmd.actor, _HOLD_ROLE[kind])
        store = store_for(uow)
        yv = find_visit(store, cmd.visit_id)
        before = snapshot(yv)
        hold_id = next_hold_id(yv)
        hold = place_hold(
            yv.visit, hold_id, kind, cmd.reason, at=ctx.clock.now(), actor=cmd.actor.username
        )
        store.save(yv)
        audit_visit(uow, cmd.actor, f"visit.{kind.value}_hold_placed", yv, before, hold.reason)
        return yv

    def lift_visit_hold(
        cmd: yc.LiftHold, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> YardVisit:
        store = store_for(uow)
        yv = find_visit(store, cmd.visit_id)
        hold = next((h for h in yv.visit.holds if h.id == cmd.hold_id), None)
        if hold is not None:
            require_role(cmd.actor, _HOLD_ROLE[hold.kind])
        else:
            require_role(cmd.actor, *_HOLD_ROLE.values())
        before = snapshot(yv)
        lifted = lift_hold(
            yv.visit, cmd.hold_id, at=ctx.clock.now(), actor=cmd.actor.username, note=cmd.note
        )
        store.save(yv)
        audit_visit(
            uow, cmd.actor, f"visit.{lifted.kind.value}_hold_lifted", yv, before, cmd.note or ""
        )
        return yv

    def record_container_move(
        cmd: yc.RecordContainerMove, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> ContainerMove:
        require_role(cmd.actor, Role.YARD_OPERATOR)
        found: list[Violation] = []
        check = check_container_number(cmd.container_number)
        if not check.ok:
            found.append(
                Violation(
                    "container_number",
                    check.reason or "invalid",
                    f"{cmd.container_number} is not a valid ISO 6346 container number",
                    f"{cmd.container_number} 不是有效的集装箱号（ISO 6346）",
                )
            )
        if cmd.kind not in MOVE_KINDS:
            found.append(
                Violation(
                    "kind",
                    "unknown_move_kind",
                    f"kind must be one of {', '.join(MOVE_KINDS)}",
                    "作业类型须为装箱、卸箱、换装或堆存之一",
                )
            )
        if found:
            raise InvalidInput(found)
        if cmd.visit_id is not None:
            find_visit(store_for(uow), cmd.visit_id)
        move = ContainerMove(
            cmd.container_number,
            cmd.kind,
            ctx.clock.now(),
            cmd.actor.username,
            cmd.location,
            cmd.visit_id,
            cmd.note,
        )
        store_for(uow).add_move(move)
        uow.audit.append(
            actor=cmd.actor.username,
            action=f"container.{cmd.kind}",
            entity_type="container",
            entity_id=cmd.container_number,
            before=None,
            after={"kind": cmd.kind, "location": cmd.location, "visit_id": cmd.visit_id},
            detail=cmd.note or "",
        )
        return move

    return {
        yc.PlaceHold: place_visit_hold,
        yc.LiftHold: lift_visit_hold,
        yc.RecordContainerMove: record_container_move,
    }
