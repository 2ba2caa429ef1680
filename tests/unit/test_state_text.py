"""The stored JSON of a trip's monitoring state, written from remembered parts, reads back as
the state itself batch after batch (alerts and other time zones included), less the recent
fix keys: the positions table's unique key is the store's duplicate check."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from landport.adapters.telemetry.state_text import StateText
from landport.seals.model import SealFix
from landport.seals.monitoring import MonitorState, TripPlan, advance
from tracks import Detour, LockOpen, Stop, build_track, plan_for, shipped_corridors

GYIRONG = "shigatse-gyirong"


def _plan() -> tuple[TripPlan, list[SealFix]]:
    corridor = shipped_corridors()[GYIRONG]
    track = build_track(
        corridor,
        detours=[Detour(at_km=200, off_km=5)],
        stops=[Stop(60, 40)],
        lock_opens=[LockOpen(at_km=300)],
    )
    plan = plan_for(track)
    return plan, list(track.fixes)


def _stored(state: MonitorState) -> dict[str, Any]:
    return {**state.as_dict(), "recent": []}


def test_each_batch_text_reads_back_as_the_state() -> None:
    plan, fixes = _plan()
    write = StateText()
    state = MonitorState("TRIP-1")
    seen_alerts = 0
    for start in range(0, len(fixes), 7):
        state, _ = advance(plan, state, fixes[start : start + 7])
        text = write(state)
        assert state.recent  # the core keeps them; the store does not
        assert json.loads(text) == _stored(state)
        assert MonitorState.from_dict(json.loads(text)).as_dict() == _stored(state)
        seen_alerts = max(seen_alerts, len(state.alerts))
    assert seen_alerts >= 2  # the detour, the stop and the opened lock were all written


def test_an_older_state_of_the_same_trip_is_written_as_it_is() -> None:
    plan, fixes = _plan()
    write = StateText()
    early, _ = advance(plan, MonitorState("TRIP-1"), fixes[:80])
    late, _ = advance(plan, early, fixes[80:160])
    write(late)
    # a rolled-back batch: the writer remembers nothing that belongs to one state
    assert json.loads(write(early)) == _stored(early)
    assert json.loads(write(late)) == _stored(late)


def test_times_outside_utc_keep_their_offset() -> None:
    write = StateText()
    state = MonitorState("TRIP-2")
    lhasa = timezone(timedelta(hours=8))
    state.last_fix_time = datetime(2026, 11, 29, 12, 0, tzinfo=lhasa)
    state.pos_time = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
    state.recent = [(1, 1.5), (2, float(10**20))]
    stored = json.loads(write(state))
    assert stored == _stored(state) and stored["recent"] == []
    assert stored["last_fix_time"].endswith("+08:00")
