"""Lane dispatch: red lane to scan, suspicious image to a bay, shortest expected wait wins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from landport.risk.model import SelectivityLane
from landport.shared.errors import InvalidInput
from landport.yard.dispatch import Station, StationKind, choose_station, dispatch

K = StationKind
MIN = timedelta(minutes=1)


def test_shortest_expected_wait_wins_over_shortest_queue() -> None:
    stations = [
        Station("scan-1", K.SCAN_LANE, queue_length=2, service_time=3 * MIN),  # 6 min
        Station("scan-2", K.SCAN_LANE, queue_length=3, service_time=2 * MIN),  # 6 min
        Station("scan-3", K.SCAN_LANE, queue_length=3, service_time=1 * MIN),  # 3 min
    ]
    choice = choose_station(stations, K.SCAN_LANE)
    assert (choice.station_id, choice.expected_wait) == ("scan-3", 3 * MIN)
    assert [sid for sid, _ in choice.considered] == ["scan-3", "scan-1", "scan-2"]


def test_the_truck_being_served_counts_in_the_wait() -> None:
    stations = [
        Station("scan-1", K.SCAN_LANE, 1, 2 * MIN, remaining_service=2 * MIN),
        Station("scan-2", K.SCAN_LANE, 1, 2 * MIN, remaining_service=timedelta(seconds=30)),
    ]
    assert choose_station(stations, K.SCAN_LANE).station_id == "scan-2"


def test_red_lane_trucks_go_to_a_scan_lane_first() -> None:
    stations = [
        Station("bay-1", K.BAY, 0, 20 * MIN),
        Station("scan-1", K.SCAN_LANE, 4, 3 * MIN),
    ]
    choice = dispatch(SelectivityLane.RED, stations)
    assert choice is not None and choice.station_id == "scan-1"


def test_a_suspicious_image_sends_the_truck_to_a_bay() -> None:
    stations = [
        Station("bay-1", K.BAY, 2, 20 * MIN),
        Station("bay-2", K.BAY, 1, 20 * MIN),
        Station("scan-1", K.SCAN_LANE, 0, 3 * MIN),
    ]
    choice = dispatch("red", stations, scan_suspicious=True)
    assert choice is not None and choice.station_id == "bay-2"


def test_a_clear_scan_or_another_lane_needs_no_station() -> None:
    stations = [Station("scan-1", K.SCAN_LANE, 0, 3 * MIN)]
    assert dispatch("red", stations, scan_suspicious=False) is None
    assert dispatch(SelectivityLane.GREEN, stations) is None
    assert dispatch(SelectivityLane.YELLOW, stations) is None


def test_closed_stations_are_not_chosen_and_none_open_is_refused() -> None:
    stations = [Station("scan-1", K.SCAN_LANE, 0, 3 * MIN, open=False)]
    with pytest.raises(InvalidInput) as error:
        choose_station(stations, K.SCAN_LANE)
    (violation,) = error.value.violations
    assert violation.code == "no_open_station"
    assert "机检通道" in violation.message_zh
