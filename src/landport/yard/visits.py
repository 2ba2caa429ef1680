"""The truck visit (车辆进场作业) through the yard: gate-in to departure on its trip.

One visit per truck and stay. The gate matches an arriving plate to its pre-advice; holds
(customs or yard) block gate-out until lifted, and `gate_out_blockers` lists every reason
a truck may not leave, so the gate clerk never has to ask twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from landport.shared.errors import Conflict, InvalidInput, Violation
from landport.shared.identifiers import normalise_plate


class VisitStatus(StrEnum):
    """预约 → 入闸 → 排队 → 查验线 | 查验台 → 已决定 → 已施封 → 停车 → 待离场 → 出闸 → 途中;
    goods refused or withdrawn leave back inland: 退关离场."""

    PRE_ADVISED = "pre_advised"
    GATED_IN = "gated_in"
    QUEUED = "queued"
    AT_LANE = "at_lane"
    AT_BAY = "at_bay"
    DECIDED = "decided"
    SEALED = "sealed"
    PARKED = "parked"
    DEPARTURE_SCHEDULED = "departure_scheduled"
    GATED_OUT = "gated_out"
    ON_TRIP = "on_trip"
    SHUT_OUT = "shut_out"


V = VisitStatus

#: The visit's life as data. A suspicious scan sends the truck from the scan lane to a
#: physical bay, directly or back through the queue when every bay is busy. A truck that
#: needs no station (green, blue, a yellow document check) goes from the queue straight to
#: the decision; a scheduled departure may be re-planned (a port closed). Goods whose
#: declaration is rejected or cancelled are not exported (退关): the truck may leave back
#: inland from wherever it stands in the yard, once no e-lock is armed on them.
TRANSITIONS: dict[VisitStatus, frozenset[VisitStatus]] = {
    V.PRE_ADVISED: frozenset({V.GATED_IN}),
    V.GATED_IN: frozenset({V.QUEUED, V.SHUT_OUT}),
    V.QUEUED: frozenset({V.AT_LANE, V.AT_BAY, V.DECIDED, V.SHUT_OUT}),
    V.AT_LANE: frozenset({V.AT_BAY, V.QUEUED, V.DECIDED, V.SHUT_OUT}),
    V.AT_BAY: frozenset({V.DECIDED, V.SHUT_OUT}),
    V.DECIDED: frozenset({V.SEALED, V.SHUT_OUT}),
    V.SEALED: frozenset({V.PARKED, V.SHUT_OUT}),
    V.PARKED: frozenset({V.DEPARTURE_SCHEDULED, V.SHUT_OUT}),
    V.DEPARTURE_SCHEDULED: frozenset({V.GATED_OUT, V.PARKED, V.DEPARTURE_SCHEDULED, V.SHUT_OUT}),
    V.GATED_OUT: frozenset({V.ON_TRIP}),
    V.ON_TRIP: frozenset(),
    V.SHUT_OUT: frozenset(),
}

STATUS_ZH: dict[VisitStatus, str] = {
    V.PRE_ADVISED: "已预报",
    V.GATED_IN: "已入闸",
    V.QUEUED: "排队中",
    V.AT_LANE: "查验线",
    V.AT_BAY: "人工查验台",
    V.DECIDED: "已决定",
    V.SEALED: "已施封",
    V.PARKED: "已停放",
    V.DEPARTURE_SCHEDULED: "待离场",
    V.GATED_OUT: "已出闸",
    V.ON_TRIP: "运输途中",
    V.SHUT_OUT: "退关离场",
}

#: Statuses in which the truck is inside the yard (a second gate-in is a duplicate).
IN_YARD = frozenset(
    {V.GATED_IN, V.QUEUED, V.AT_LANE, V.AT_BAY, V.DECIDED, V.SEALED, V.PARKED,
     V.DEPARTURE_SCHEDULED}
)  # fmt: skip
#: Statuses of a truck that has passed the gate-out on its way to the border.
PAST_GATE = frozenset({V.GATED_OUT, V.ON_TRIP})
#: Statuses of a truck that has left the yard: to the border, or back inland (shut out).
LEFT = PAST_GATE | {V.SHUT_OUT}
#: Where a truck may be when its goods are shut out: anywhere inside the gate.
SHUT_OUT_FROM = frozenset(s for s, after in TRANSITIONS.items() if V.SHUT_OUT in after)
#: What is current for a yard console, besides the trucks `IN_YARD`: pre-advice of the last
#: week (a no-show's visit stays pre-advised, and would otherwise pile up for ever) and the
#: trucks that left the gate in the last day (the gate board's latest moves).
PRE_ADVICE_CURRENT = timedelta(days=7)
EXIT_CURRENT = timedelta(hours=24)
#: The steps an operator may move a truck through by hand (parking, departure and the gates
#: have their own commands).
MOVE_TARGETS = frozenset({V.QUEUED, V.AT_LANE, V.AT_BAY, V.DECIDED, V.SEALED})
#: Of those, the steps an operator takes by hand: a truck reaches `decided` and `sealed` by
#: itself when customs decides or arms its e-lock (the visit follows the declaration), so
#: moving it there by hand could only ever be refused or change nothing.
HAND_MOVES = MOVE_TARGETS - {V.DECIDED, V.SEALED}


class HoldKind(StrEnum):
    """Who placed the hold: customs (海关扣留) or the yard operator (堆场扣留)."""

    CUSTOMS = "customs"
    YARD = "yard"


HOLD_ZH: dict[HoldKind, str] = {HoldKind.CUSTOMS: "海关扣留", HoldKind.YARD: "堆场扣留"}


class IllegalVisitTransition(Conflict):
    """The visit's life does not allow this step from its current status."""

    code = "illegal_transition"


@dataclass(slots=True)
class Hold:
    """A hold on the visit; active until lifted."""

    id: str
    kind: HoldKind
    reason: str
    placed_at: datetime
    placed_by: str
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_note: str | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


@dataclass(slots=True)
class VisitStep:
    """One step of the visit, kept for the truck-visit-time KPI."""

    status: VisitStatus
    at: datetime
    actor: str
    reason: str | None = None


@dataclass(slots=True)
class TruckVisit:
    """A truck's stay in the yard, from pre-advice to the trip under e-lock."""

    id: str
    plate: str
    status: VisitStatus
    created_at: datetime
    updated_at: datetime
    declaration_id: str | None = None
    appointment_id: str | None = None
    lane_id: str | None = None
    holds: list[Hold] = field(default_factory=list)
    history: list[VisitStep] = field(default_factory=list)

    @property
    def active_holds(self) -> list[Hold]:
        return [h for h in self.holds if h.active]

    def move_to(
        self, target: VisitStatus, *, at: datetime, actor: str, reason: str | None = None
    ) -> None:
        """Apply one step, refusing any the state machine does not allow."""
        _require_aware(at)
        if target not in TRANSITIONS[self.status]:
            raise IllegalVisitTransition(
                f"a truck visit in status '{self.status}' cannot become '{target}'",
                f"车辆作业状态为「{STATUS_ZH[self.status]}」，不能变为「{STATUS_ZH[target]}」",
            )
        self.status = target
        self.updated_at = at
        self.history.append(VisitStep(target, at, actor, reason))


def pre_advise(
    visit_id: str,
    plate: str,
    *,
    at: datetime,
    actor: str,
    declaration_id: str | None = None,
    appointment_id: str | None = None,
) -> TruckVisit:
    """Announce a truck before it arrives (from its appointment or the forwarder)."""
    _require_aware(at)
    return TruckVisit(
        id=visit_id,
        plate=normalise_plate(plate),
        status=V.PRE_ADVISED,
        created_at=at,
        updated_at=at,
        declaration_id=declaration_id,
        appointment_id=appointment_id,
        history=[VisitStep(V.PRE_ADVISED, at, actor)],
    )


def gate_in_refusal(
    visits: Iterable[TruckVisit], plate: str, *, declaration_id: str | None
) -> Violation | None:
    """Why the gate must refuse this plate, or None when it may enter."""
    wanted = normalise_plate(plate)
    matching = [v for v in visits if v.plate == wanted]
    if any(v.status in IN_YARD for v in matching):
        return Violation(
            "plate",
            "duplicate_gate_in",
            f"truck {wanted} is already inside the yard",
            f"车辆 {wanted} 已在场内，不能重复入闸",
        )
    if not any(v.status is V.PRE_ADVISED for v in matching) and declaration_id is None:
        return Violation(
            "plate",
            "not_pre_advised",
            f"truck {wanted} is not pre-advised and carries no declaration",
            f"车辆 {wanted} 未预报且无报关单",
        )
    return None


def named_declaration_refusal(
    visits: Iterable[TruckVisit], plate: str, declaration_id: str | None
) -> Violation | None:
    """Why the gate must refuse the declaration named for this plate, or None. The gate picks
    among the plate's pre-advice only: a declaration named there must be one the plate was
    pre-advised on (a truck without pre-advice walks in through `AdmitWalkIn`)."""
    if declaration_id is None:
        return None
    wanted = normalise_plate(plate)
    if any(
        v.plate == wanted and v.status is V.PRE_ADVISED and v.declaration_id == declaration_id
        for v in visits
    ):
        return None
    return Violation(
        "declaration_id",
        "not_pre_advised_on_declaration",
        f"truck {wanted} is not pre-advised on declaration {declaration_id}",
        f"车辆 {wanted} 未以报关单 {declaration_id} 预报",
    )


def _advised_for(
    advised: list[TruckVisit], plate: str, declaration_id: str | None
) -> list[TruckVisit]:
    """The pre-advised visits the arriving truck may be, oldest first. Anyone may write a
    plate on a declaration, so when several declarations pre-advised this plate the gate does
    not guess (the oldest could be another enterprise's, taking the truck over): it asks for
    the declaration the driver carries. One declaration's repeated pre-advice is no doubt."""
    if declaration_id is not None:
        own = [v for v in advised if v.declaration_id == declaration_id]
        return own or [v for v in advised if v.declaration_id is None]
    declarations = sorted({v.declaration_id for v in advised if v.declaration_id is not None})
    if len(declarations) > 1:
        listed = ", ".join(declarations)
        raise InvalidInput(
            [
                Violation(
                    "declaration_id",
                    "ambiguous_pre_advice",
                    f"truck {plate} is pre-advised on several declarations ({listed}): give "
                    "the declaration the driver carries",
                    f"车辆 {plate} 被多份报关单预报（{listed}）：请填写司机所持报关单",
                )
            ]
        )
    return advised


def gate_in(
    visits: Iterable[TruckVisit],
    plate: str,
    *,
    at: datetime,
    actor: str,
    new_visit_id: str,
    declaration_id: str | None = None,
) -> TruckVisit:
    """Admit a truck: its pre-advised visit moves to gated-in, else a new visit is opened.

    A truck without pre-advice is admitted only with a declaration; a plate already in
    the yard is refused. Refusals raise `InvalidInput` and change nothing.
    """
    _require_aware(at)
    known = list(visits)
    refusal = gate_in_refusal(known, plate, declaration_id=declaration_id)
    if refusal is not None:
        raise InvalidInput([refusal])
    wanted = normalise_plate(plate)
    advised = sorted(
        (v for v in known if v.plate == wanted and v.status is V.PRE_ADVISED),
        key=lambda v: v.created_at,
    )
    advised = _advised_for(advised, wanted, declaration_id)
    if advised:
        visit = advised[0]
        if declaration_id is not None and visit.declaration_id is None:
            visit.declaration_id = declaration_id
    else:
        visit = pre_advise(new_visit_id, wanted, at=at, actor=actor, declaration_id=declaration_id)
    visit.move_to(V.GATED_IN, at=at, actor=actor)
    return visit


def place_hold(
    visit: TruckVisit, hold_id: str, kind: HoldKind, reason: str, *, at: datetime, actor: str
) -> Hold:
    """Place a hold with its reason; a truck that has left cannot be held here."""
    _require_aware(at)
    found: list[Violation] = []
    if visit.status in LEFT:
        found.append(
            Violation(
                "status",
                "visit_already_left",
                "the truck has already left the yard",
                "车辆已出闸",
            )
        )
    if not reason.strip():
        found.append(
            Violation("reason", "hold_reason_required", "a hold needs a reason", "扣留须注明原因")
        )
    if any(h.id == hold_id for h in visit.holds):
        found.append(
            Violation("hold_id", "duplicate_hold_id", "hold id already used", "扣留编号已存在")
        )
    if found:
        raise InvalidInput(found)
    hold = Hold(hold_id, kind, reason.strip(), at, actor)
    visit.holds.append(hold)
    visit.updated_at = at
    return hold


def lift_hold(
    visit: TruckVisit, hold_id: str, *, at: datetime, actor: str, note: str | None = None
) -> Hold:
    """Lift an active hold; the hold stays on the visit as a record."""
    _require_aware(at)
    hold = next((h for h in visit.holds if h.id == hold_id), None)
    if hold is None or not hold.active:
        raise InvalidInput(
            [
                Violation(
                    "hold_id",
                    "no_active_hold",
                    f"no active hold '{hold_id}' on this visit",
                    f"该车辆无生效中的扣留「{hold_id}」",
                )
            ]
        )
    hold.lifted_at = at
    hold.lifted_by = actor
    hold.lift_note = note
    visit.updated_at = at
    return hold


def gate_out_blockers(
    visit: TruckVisit, *, declaration_released: bool, sealed: bool, fees_paid: bool
) -> list[Violation]:
    """Every reason the truck may not leave now; empty when the gate may open."""
    found: list[Violation] = []
    if visit.status is not V.DEPARTURE_SCHEDULED:
        found.append(
            Violation(
                "status",
                "departure_not_scheduled",
                f"the visit is '{visit.status}', not scheduled for departure",
                f"车辆作业状态为「{STATUS_ZH[visit.status]}」，尚未安排离场",
            )
        )
    if not declaration_released:
        found.append(
            Violation(
                "declaration",
                "declaration_not_released",
                "the declaration is not released by customs",
                "报关单尚未放行",
            )
        )
    if not sealed:
        found.append(Violation("seal", "not_sealed", "the e-lock is not armed", "电子关锁未施封"))
    return found + holds_and_fees(visit, fees_paid=fees_paid)


def holds_and_fees(
    visit: TruckVisit, *, fees_paid: bool, ending: Collection[str] = ()
) -> list[Violation]:
    """What stops any truck at the exit gate: each active hold (but those in `ending`, which
    end with the exit) with its reason, and unpaid yard fees."""
    found: list[Violation] = []
    for index, hold in enumerate(visit.holds):
        if hold.active and hold.id not in ending:
            found.append(
                Violation(
                    f"holds[{index}]",
                    f"{hold.kind}_hold",
                    f"{hold.kind} hold {hold.id}: {hold.reason}",
                    f"{HOLD_ZH[hold.kind]} {hold.id}：{hold.reason}",
                )
            )
    if not fees_paid:
        found.append(Violation("fees", "fees_unpaid", "yard fees are unpaid", "场站费用未结清"))
    return found


def gate_out(
    visit: TruckVisit,
    *,
    at: datetime,
    actor: str,
    declaration_released: bool,
    sealed: bool,
    fees_paid: bool,
) -> None:
    """Let the truck out, or refuse with every blocker at once."""
    blockers = gate_out_blockers(
        visit, declaration_released=declaration_released, sealed=sealed, fees_paid=fees_paid
    )
    if blockers:
        raise InvalidInput(blockers)
    visit.move_to(V.GATED_OUT, at=at, actor=actor)


def shut_out_blockers(
    visit: TruckVisit, *, armed_trip: str | None, fees_paid: bool, ending: Collection[str]
) -> list[Violation]:
    """Every reason a truck whose goods are not exported may not leave back inland; empty
    when the gate may open. `armed_trip`: the trip of an e-lock still armed on the goods;
    `ending`: holds that end with the exit (customs' own hold on the stopped declaration,
    which only stops the export). Any other hold still stops the truck: customs may keep
    goods it refused (seized), and the yard a truck that owes it."""
    found: list[Violation] = []
    if armed_trip is not None:
        found.append(
            Violation(
                "seal",
                "e_lock_still_armed",
                f"an e-lock is armed on the goods (trip {armed_trip}): customs removes it "
                "before they go back inland",
                f"货物仍施有电子关锁（运输 {armed_trip}），须海关拆除后方可退关离场",
            )
        )
    elif visit.status not in SHUT_OUT_FROM:
        found.append(
            Violation(
                "status",
                "cannot_shut_out",
                f"a truck visit in status '{visit.status}' cannot leave back inland",
                f"车辆作业状态为「{STATUS_ZH[visit.status]}」，不能退关离场",
            )
        )
    return found + holds_and_fees(visit, fees_paid=fees_paid, ending=ending)


def shut_out(
    visit: TruckVisit,
    *,
    at: datetime,
    actor: str,
    armed_trip: str | None,
    fees_paid: bool,
    ending: Collection[str],
    ended_by: str,
    reason: str,
) -> None:
    """Let a truck whose goods are not exported leave back inland (退关离场), or refuse
    with every blocker at once; the holds in `ending` are lifted by `ended_by` (who placed
    them) with the exit."""
    blockers = shut_out_blockers(visit, armed_trip=armed_trip, fees_paid=fees_paid, ending=ending)
    if blockers:
        raise InvalidInput(blockers)
    for hold in visit.holds:
        if hold.active and hold.id in ending:
            lift_hold(visit, hold.id, at=at, actor=ended_by, note=reason)
    visit.move_to(V.SHUT_OUT, at=at, actor=actor, reason=reason)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(
            [Violation("at", "naive_datetime", "time needs a time zone", "时间须带时区")]
        )
