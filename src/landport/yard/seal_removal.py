"""Customs takes an e-lock off a truck still inside the yard (场内撤封).

Goods released and sealed may still be stopped before they leave: held, then refused. Their
truck can only go back inland once the e-lock is off, and a faulty lock is replaced the same
way. The trip ends as `unsealed` and the lock is disarmed (back to the pool by hand, as after
a border referral); the truck's visit stays where it is: released goods get a new e-lock,
refused ones leave by the exit gate as shut out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Role, require_role
from landport.seals.commands import RemoveSeal
from landport.seals.events import TripClosed
from landport.seals.model import SealState, TripState
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.errors import Conflict, NotFound, required_reason
from landport.yard.ports import StoreFor
from landport.yard.visits import IN_YARD

#: Trip states of a lock that may still be on a truck inside the gate.
NEAR_THE_YARD = frozenset({TripState.IN_YARD, TripState.DEPARTED})


def handling_seal_removal(store_for: StoreFor) -> dict[type, Callable[..., Any]]:
    """The handler of `RemoveSeal`, bound to the visit store of each unit of work."""

    def remove_seal(cmd: RemoveSeal, uow: CustodyUnitOfWork, ctx: ClearanceContext) -> Any:
        require_role(cmd.actor, Role.CUSTOMS_OFFICER)
        reason = required_reason(cmd.reason)
        # The trip's row first, locked, as the gate-out takes it: the gate either lets the
        # truck out before (its visit has left, read below) or finds the trip ended.
        trip = uow.trips.get(cmd.trip_id, for_update=True)
        if trip is None:
            raise NotFound(f"trip {cmd.trip_id} not found", f"未找到运输 {cmd.trip_id}")
        if trip.closed_at is not None:
            raise Conflict(
                f"trip {trip.id} is already {trip.state.value}", f"运输 {trip.id} 已结束"
            )
        # The gate's record must have the truck inside (no gate-out yet: the lock may take
        # minutes to notice one), and the lock must be near: it may report leaving the yard
        # zone from a fix at the fence, but not a truck far on its way.
        visit = store_for(uow).open_for_declaration(trip.declaration_id)
        if trip.state not in NEAR_THE_YARD or visit is None or visit.visit.status not in IN_YARD:
            raise Conflict(
                f"the truck of trip {trip.id} is not inside the yard by the gate's record: its "
                "e-lock comes off at the border",
                f"按闸口记录，运输 {trip.id} 的车辆不在场内，电子关锁须在口岸拆除",
            )
        seal = uow.seals.get(trip.seal_id)
        if seal is None:  # a trip always names a registered lock
            raise NotFound(f"e-lock {trip.seal_id} is not registered", "关锁未登记")
        now, who = ctx.clock.now(), cmd.actor.username
        # the trip's row before the seal's, in the order a telemetry batch takes them
        trip.state, trip.closed_at = TripState.UNSEALED, now
        uow.trips.save(trip)
        seal_before, seal.state = seal.state, SealState.DISARMED
        uow.seals.save(seal)
        for entity_type, entity_id, action, before, after in (
            ("trip", trip.id, "trip.unsealed", TripState.IN_YARD.value, trip.state.value),
            ("seal", seal.seal_id, "seal.disarmed", seal_before.value, seal.state.value),
        ):
            uow.audit.append(
                actor=who,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                before={"state": before},
                after={"state": after, "reason": reason},
            )
        uow.events.append(TripClosed(trip.id, trip.state.value, now))
        return {
            "trip_id": trip.id,
            "trip_state": trip.state.value,
            "declaration_id": trip.declaration_id,
            "visit_id": visit.visit.id,
            "seal_id": seal.seal_id,
            "seal_state": seal.state.value,
            "reason": reason,
        }

    return {RemoveSeal: remove_seal}
