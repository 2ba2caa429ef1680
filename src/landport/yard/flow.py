"""The visit follows the clearance core and the e-lock custody by itself.

Customs decides the declaration, the officer arms the e-lock; the yard does not ask the
operator to repeat either. `follow` brings one visit up to date and is idempotent: it runs
after those events are committed and again whenever a yard step judges the visit (dispatch,
a move, parking, the exit gate), so an event missed (a crash between commit and publish) is
caught up on the next such step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from landport.declarations.model import STATUS_ZH, CustomsDeclaration, DeclarationStatus
from landport.enterprises.model import Actor, Role
from landport.shared.errors import Violation
from landport.yard.ports import YardVisit
from landport.yard.support import next_hold_id
from landport.yard.visits import LEFT, HoldKind, VisitStatus, lift_hold, place_hold

V = VisitStatus
S = DeclarationStatus

#: Who acts when the yard follows customs: holds it places are lifted by it (or an officer).
CLEARANCE = Actor("customs-clearance", Role.CUSTOMS_OFFICER)

_AT_STATION = frozenset({V.AT_LANE, V.AT_BAY})
_RELEASED_ON_ARRIVAL = frozenset({"green", "blue"})
_STOPPED = {S.HELD: "held", S.REJECTED: "rejected", S.CANCELLED: "cancelled"}
#: Declarations whose goods will not be exported: their truck leaves back inland (退关).
SHUT_OUT_DECLARATIONS = frozenset({S.REJECTED, S.CANCELLED})
_STOPPED_ZH = {S.HELD: "挂起", S.REJECTED: "退单", S.CANCELLED: "撤销"}


def shut_out_reason(declaration: CustomsDeclaration | None) -> str | None:
    """Why the declaration's goods are not exported (one line, both languages), or None
    while they may still be: rejected by customs or withdrawn by the exporter."""
    if declaration is None or declaration.status not in SHUT_OUT_DECLARATIONS:
        return None
    status = declaration.status
    return f"declaration {status.value}: shut out / 报关单{STATUS_ZH[status]}，退关"


def admission_refusal(declaration: CustomsDeclaration | None, plate: str) -> Violation | None:
    """The entry gate keeps out a truck whose goods are not exported."""
    if declaration is None or declaration.status not in SHUT_OUT_DECLARATIONS:
        return None
    status = declaration.status
    return Violation(
        "plate",
        "declaration_stopped",
        f"the declaration of truck {plate} is {status.value}: its goods are not exported, "
        "the truck is not admitted",
        f"车辆 {plate} 的报关单{STATUS_ZH[status]}，货物不出口，不予入闸",
    )


@dataclass(frozen=True, slots=True)
class Followed:
    """One change `follow` made, for the audit trail."""

    action: str
    detail: str


def clearance_holds(yv: YardVisit) -> list[str]:
    """The active holds the yard placed itself on a held, rejected or cancelled declaration."""
    return [
        h.id
        for h in yv.visit.holds
        if h.active and h.kind is HoldKind.CUSTOMS and h.placed_by == CLEARANCE.username
    ]


def follow(
    yv: YardVisit,
    declaration: CustomsDeclaration | None,
    *,
    trip_id: str | None,
    at: datetime,
) -> list[Followed]:
    """Apply what customs and custody decided to the visit; return what changed."""
    if declaration is None or yv.visit.status in LEFT:
        return []
    done: list[Followed] = []
    visit, who = yv.visit, CLEARANCE.username
    stopped = _STOPPED.get(declaration.status)
    automatic = clearance_holds(yv)
    if stopped is not None and not automatic:
        why = declaration.decision_reason or stopped
        hold = place_hold(
            visit,
            next_hold_id(yv),
            HoldKind.CUSTOMS,
            f"declaration {stopped}: {why} / 报关单已{_STOPPED_ZH[declaration.status]}",
            at=at,
            actor=who,
        )
        done.append(Followed("visit.customs_hold_placed", hold.reason))
    elif stopped is None and automatic:
        for hold_id in automatic:
            lift_hold(visit, hold_id, at=at, actor=who, note="declaration no longer held")
            done.append(Followed("visit.customs_hold_lifted", "declaration no longer held"))
    # Green and blue goods were released before the truck arrived: dispatch sends them on.
    waiting = visit.status in _AT_STATION or (
        visit.status is V.QUEUED and declaration.lane not in _RELEASED_ON_ARRIVAL
    )
    if declaration.status is S.RELEASED and waiting:
        visit.move_to(V.DECIDED, at=at, actor=who, reason="declaration released / 报关单已放行")
        done.append(Followed("visit.decided", "declaration released"))
    if trip_id is not None and visit.status is V.DECIDED:
        visit.move_to(V.SEALED, at=at, actor=who, reason=f"e-lock armed, trip {trip_id}")
        done.append(Followed("visit.sealed", f"trip {trip_id}"))
        if yv.slot_id is not None:  # given its slot before the seal: now it is parked there
            visit.move_to(V.PARKED, at=at, actor=who, reason=yv.slot_id)
            done.append(Followed("visit.parked", f"sealed on slot {yv.slot_id}"))
    return done
