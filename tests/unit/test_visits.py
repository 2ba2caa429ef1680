"""The truck visit: gate-in matching, the state machine, holds and gate-out blockers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from landport.shared.errors import InvalidInput
from landport.yard.visits import (
    HoldKind,
    IllegalVisitTransition,
    TruckVisit,
    VisitStatus,
    gate_in,
    gate_out,
    gate_out_blockers,
    lift_hold,
    named_declaration_refusal,
    place_hold,
    pre_advise,
    shut_out,
    shut_out_blockers,
)

V = VisitStatus
T0 = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


def visit_ready_to_leave() -> TruckVisit:
    visit = pre_advise("v1", "藏B·12345", at=T0, actor="fwd", declaration_id="d1")
    gate_in([visit], "藏B12345", at=T0, actor="gate", new_visit_id="unused")
    for n, status in enumerate(
        [V.QUEUED, V.AT_LANE, V.DECIDED, V.SEALED, V.PARKED, V.DEPARTURE_SCHEDULED], start=1
    ):
        visit.move_to(status, at=T0 + timedelta(minutes=n), actor="yard")
    return visit


def test_gate_in_matches_the_pre_advised_plate() -> None:
    advised = pre_advise("v1", "藏B 12345", at=T0, actor="fwd")
    visit = gate_in([advised], "藏b12345", at=T0, actor="gate", new_visit_id="v2")
    assert visit is advised
    assert visit.status is V.GATED_IN


def test_a_truck_with_a_declaration_but_no_pre_advice_gets_a_new_visit() -> None:
    visit = gate_in([], "藏B00001", at=T0, actor="gate", new_visit_id="v9", declaration_id="d9")
    assert (visit.id, visit.status, visit.declaration_id) == ("v9", V.GATED_IN, "d9")


def test_a_truck_neither_pre_advised_nor_declared_is_refused_with_a_reason() -> None:
    with pytest.raises(InvalidInput) as error:
        gate_in([], "藏B00001", at=T0, actor="gate", new_visit_id="v9")
    (violation,) = error.value.violations
    assert (violation.field, violation.code) == ("plate", "not_pre_advised")
    assert violation.message_zh


def test_duplicate_gate_in_is_refused() -> None:
    advised = pre_advise("v1", "藏B12345", at=T0, actor="fwd")
    visits = [advised]
    gate_in(visits, "藏B12345", at=T0, actor="gate", new_visit_id="v2")
    with pytest.raises(InvalidInput) as error:
        gate_in(visits, "藏B 12345", at=T0, actor="gate", new_visit_id="v3", declaration_id="d")
    assert [v.code for v in error.value.violations] == ["duplicate_gate_in"]


def test_a_declaration_named_at_the_gate_must_be_one_the_plate_was_pre_advised_on() -> None:
    advised = pre_advise("v1", "藏B12345", at=T0, actor="fwd", declaration_id="d1")
    assert named_declaration_refusal([advised], "藏B 12345", None) is None  # none named
    assert named_declaration_refusal([advised], "藏b12345", "d1") is None
    refusal = named_declaration_refusal([advised], "藏B 12345", "d2")
    assert refusal is not None
    assert (refusal.field, refusal.code) == ("declaration_id", "not_pre_advised_on_declaration")
    assert refusal.message_en == "truck 藏B12345 is not pre-advised on declaration d2"
    assert refusal.message_zh == "车辆 藏B12345 未以报关单 d2 预报"
    # a walk-in names a declaration with no pre-advice at all: the gate does not pick it
    assert named_declaration_refusal([], "藏B12345", "d1") is not None
    # only pre-advice counts: the plate inside the yard on d1 is no choice at the gate
    gate_in([advised], "藏B12345", at=T0, actor="gate", new_visit_id="unused")
    assert named_declaration_refusal([advised], "藏B12345", "d1") is not None


def test_illegal_transitions_are_refused_in_both_languages() -> None:
    visit = pre_advise("v1", "藏B12345", at=T0, actor="fwd")
    with pytest.raises(IllegalVisitTransition) as error:
        visit.move_to(V.SEALED, at=T0, actor="yard")
    assert "pre_advised" in error.value.message_en
    assert "已预报" in error.value.message_zh
    assert visit.status is V.PRE_ADVISED
    assert len(visit.history) == 1


def test_a_suspicious_scan_sends_the_truck_from_lane_to_bay() -> None:
    visit = gate_in([], "藏B1", at=T0, actor="gate", new_visit_id="v1", declaration_id="d1")
    for status in (V.QUEUED, V.AT_LANE, V.AT_BAY, V.DECIDED):
        visit.move_to(status, at=T0, actor="yard")
    assert [step.status for step in visit.history][-3:] == [V.AT_LANE, V.AT_BAY, V.DECIDED]


def test_gate_out_is_refused_with_every_reason() -> None:
    visit = pre_advise("v1", "藏B12345", at=T0, actor="fwd")
    gate_in([visit], "藏B12345", at=T0, actor="gate", new_visit_id="v2")
    place_hold(visit, "h1", HoldKind.CUSTOMS, "suspicious image", at=T0, actor="officer")
    place_hold(visit, "h2", HoldKind.YARD, "damaged seal bracket", at=T0, actor="yard")
    blockers = gate_out_blockers(visit, declaration_released=False, sealed=False, fees_paid=False)
    assert [(b.field, b.code) for b in blockers] == [
        ("status", "departure_not_scheduled"),
        ("declaration", "declaration_not_released"),
        ("seal", "not_sealed"),
        ("holds[0]", "customs_hold"),
        ("holds[1]", "yard_hold"),
        ("fees", "fees_unpaid"),
    ]
    assert "suspicious image" in blockers[3].message_en
    assert "海关扣留" in blockers[3].message_zh


def test_gate_out_refusal_changes_nothing() -> None:
    visit = visit_ready_to_leave()
    with pytest.raises(InvalidInput) as error:
        gate_out(
            visit, at=T0, actor="gate", declaration_released=True, sealed=True, fees_paid=False
        )
    assert [v.code for v in error.value.violations] == ["fees_unpaid"]
    assert visit.status is V.DEPARTURE_SCHEDULED


def test_a_lifted_hold_no_longer_blocks_gate_out() -> None:
    visit = visit_ready_to_leave()
    place_hold(visit, "h1", HoldKind.CUSTOMS, "documents to check", at=T0, actor="officer")
    assert gate_out_blockers(visit, declaration_released=True, sealed=True, fees_paid=True)
    lift_hold(visit, "h1", at=T0 + timedelta(hours=1), actor="officer", note="checked")
    assert gate_out_blockers(visit, declaration_released=True, sealed=True, fees_paid=True) == []
    gate_out(visit, at=T0, actor="gate", declaration_released=True, sealed=True, fees_paid=True)
    assert visit.status is V.GATED_OUT
    visit.move_to(V.ON_TRIP, at=T0, actor="gate")


def test_lifting_a_hold_twice_is_refused() -> None:
    visit = visit_ready_to_leave()
    place_hold(visit, "h1", HoldKind.YARD, "fee dispute", at=T0, actor="yard")
    lift_hold(visit, "h1", at=T0, actor="yard")
    with pytest.raises(InvalidInput) as error:
        lift_hold(visit, "h1", at=T0, actor="yard")
    assert [v.code for v in error.value.violations] == ["no_active_hold"]


def test_a_hold_needs_a_reason() -> None:
    visit = visit_ready_to_leave()
    with pytest.raises(InvalidInput) as error:
        place_hold(visit, "h1", HoldKind.CUSTOMS, "  ", at=T0, actor="officer")
    assert [v.code for v in error.value.violations] == ["hold_reason_required"]
    assert visit.holds == []


def visit_at_bay() -> TruckVisit:
    visit = pre_advise("v1", "藏B12345", at=T0, actor="fwd", declaration_id="d1")
    gate_in([visit], "藏B12345", at=T0, actor="gate", new_visit_id="unused")
    for n, status in enumerate([V.QUEUED, V.AT_LANE, V.AT_BAY], start=1):
        visit.move_to(status, at=T0 + timedelta(minutes=n), actor="yard")
    return visit


def test_refused_goods_leave_back_inland_and_customs_own_hold_ends_with_the_exit() -> None:
    visit = visit_at_bay()
    own = place_hold(visit, "H1", HoldKind.CUSTOMS, "declaration rejected", at=T0, actor="clr")
    at = T0 + timedelta(hours=1)
    shut_out(
        visit,
        at=at,
        actor="gate",
        armed_trip=None,
        fees_paid=True,
        ending={"H1"},
        ended_by="clr",
        reason="declaration rejected",
    )
    assert visit.status is V.SHUT_OUT and visit.history[-1].reason == "declaration rejected"
    assert (own.lifted_at, own.lifted_by, own.lift_note) == (at, "clr", "declaration rejected")
    with pytest.raises(InvalidInput) as left:  # gone: no more holds, no second exit
        place_hold(visit, "H2", HoldKind.YARD, "late", at=at, actor="yard")
    assert [v.code for v in left.value.violations] == ["visit_already_left"]
    with pytest.raises(IllegalVisitTransition):
        visit.move_to(V.GATED_OUT, at=at, actor="gate")


def test_a_shut_out_is_refused_with_every_reason_and_changes_nothing() -> None:
    visit = visit_at_bay()
    place_hold(visit, "H1", HoldKind.CUSTOMS, "declaration rejected", at=T0, actor="clr")
    place_hold(visit, "H2", HoldKind.CUSTOMS, "goods seized", at=T0, actor="officer")
    kept = (visit.status, len(visit.history), [h.lifted_at for h in visit.holds])
    with pytest.raises(InvalidInput) as refused:
        shut_out(
            visit,
            at=T0,
            actor="gate",
            armed_trip="T-9",
            fees_paid=False,
            ending={"H1"},
            ended_by="clr",
            reason="declaration rejected",
        )
    found = [(v.field, v.code) for v in refused.value.violations]
    assert found == [
        ("seal", "e_lock_still_armed"),
        ("holds[1]", "customs_hold"),
        ("fees", "fees_unpaid"),
    ]
    assert all(v.message_zh for v in refused.value.violations)
    assert "T-9" in refused.value.violations[0].message_en
    assert (visit.status, len(visit.history), [h.lifted_at for h in visit.holds]) == kept


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (V.GATED_IN, True),
        (V.AT_BAY, True),
        (V.DECIDED, True),
        (V.PARKED, True),
        (V.DEPARTURE_SCHEDULED, True),
        (V.PRE_ADVISED, False),
        (V.ON_TRIP, False),
    ],
)
def test_a_truck_anywhere_inside_the_gate_may_be_shut_out(
    status: VisitStatus, allowed: bool
) -> None:
    """Wherever it stands inside (an armed e-lock is a blocker of its own); not from outside."""
    visit = visit_ready_to_leave()
    visit.status = status
    codes = [v.code for v in shut_out_blockers(visit, armed_trip=None, fees_paid=True, ending=())]
    assert codes == ([] if allowed else ["cannot_shut_out"])
    armed = shut_out_blockers(visit, armed_trip="T-1", fees_paid=True, ending=())
    assert [v.code for v in armed] == ["e_lock_still_armed"]
