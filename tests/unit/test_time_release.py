"""Time-release segments: measured only where both ends are known, grouped by lane and port."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from landport.reports.time_release import Consignment, time_release

T = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def test_segments_are_measured_between_known_milestones_only() -> None:
    done = Consignment(
        "d1",
        "green",
        "gyirong-port",
        {
            "declared": at(0),
            "gated_in": at(30),
            "at_lane": at(40),
            "released": at(43),
            "sealed": at(50),
        },
    )
    in_yard = Consignment("d2", "red", "zhangmu-port", {"declared": at(0), "gated_in": at(90)})
    report = time_release([done, in_yard])
    overall = report["overall"]
    assert overall["declared->gated_in"]["count"] == 2
    assert overall["declared->gated_in"]["p50_min"] == 60.0
    assert overall["at_lane->released"] == {
        "count": 1,
        "p50_min": 3.0,
        "p90_min": 3.0,
        "mean_min": 3.0,
    }
    assert overall["declared->released"]["p50_min"] == 43.0
    assert overall["gated_in->sealed"]["p50_min"] == 20.0  # the truck's handling in the yard
    assert overall["gated_out->border_arrival"]["count"] == 0
    assert report["by_lane"]["red"]["declared->released"]["count"] == 0
    assert set(report["by_port"]) == {"gyirong-port", "zhangmu-port"}


def test_p90_interpolates_between_ranks() -> None:
    items = [
        Consignment(f"d{i}", "green", "lizi-port", {"declared": at(0), "released": at(i)})
        for i in range(1, 11)
    ]
    span = time_release(items)["overall"]["declared->released"]
    assert span["p50_min"] == 5.5 and span["p90_min"] == 9.1
