"""The yard console offers as buttons only the steps an operator can take by hand."""

from __future__ import annotations

from landport.adapters.reference_files import packaged_layout
from landport.entrypoints.web.ui.consoles import HAND_MOVES, _layout_json
from landport.yard.visits import MOVE_TARGETS, TRANSITIONS


def test_decided_and_sealed_are_never_buttons_but_the_stations_are() -> None:
    moves = _layout_json(packaged_layout())["moves"]
    offered = {to for targets in moves.values() for to in targets}
    assert offered == {"queued", "at_lane", "at_bay"}
    assert "sealed" not in moves["decided"] and "decided" not in moves["at_lane"]
    # every status the state machine knows has its (possibly empty) list
    assert set(moves) == {s.value for s in TRANSITIONS}
    assert HAND_MOVES < MOVE_TARGETS
