"""The driver's pass and next step: a pass opens one visit only; the step says what to do."""

from __future__ import annotations

import pytest

from landport.yard.driver_guide import Whereabouts, driver_pass, next_step, visit_of_pass
from landport.yard.visits import VisitStatus

V = VisitStatus
KEY = b"k" * 32


def test_a_pass_opens_its_own_visit_and_no_other() -> None:
    token = driver_pass(KEY, "V-123")
    assert visit_of_pass(KEY, token) == "V-123"
    digest = token.rpartition(".")[2]
    assert visit_of_pass(KEY, f"V-124.{digest}") is None  # another truck, same digest
    assert visit_of_pass(b"another key" * 3, token) is None  # the site's key rotated
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "V-123", ".abc", "", "V-123." + "x" * 300):
        assert visit_of_pass(KEY, bad) is None


@pytest.mark.parametrize(
    ("where", "en", "zh"),
    [
        (Whereabouts(V.PRE_ADVISED), "entry gate", "入口闸"),
        (Whereabouts(V.AT_LANE, station_id="L2"), "scan lane L2", "机检通道 L2"),
        (Whereabouts(V.AT_BAY, station_id="B1", station_is_bay=True), "bay B1", "查验台 B1"),
        (Whereabouts(V.DECIDED), "sealing station", "施封点"),
        (Whereabouts(V.PARKED, slot_id="G-007"), "slot G-007", "车位 G-007"),
        (
            Whereabouts(
                V.DEPARTURE_SCHEDULED,
                slot_id="G-007",
                departure_en="Leave the yard at 06:00",
                departure_zh="请于 06:00 离场",
            ),
            "Leave the yard at 06:00",
            "请于 06:00 离场",
        ),
        (Whereabouts(V.ON_TRIP, exit_port="gyirong-port"), "gyirong-port", "gyirong-port"),
        (Whereabouts(V.SHUT_OUT), "not exported", "退关离场"),
        (Whereabouts(V.PARKED, slot_id="G-007", held=True), "held", "扣留"),
    ],
)
def test_the_next_step_says_where_to_go_in_both_languages(
    where: Whereabouts, en: str, zh: str
) -> None:
    step_en, step_zh = next_step(where)
    assert en in step_en and zh in step_zh


def test_a_hold_does_not_hide_that_the_truck_has_left() -> None:
    assert "held" not in next_step(Whereabouts(V.ON_TRIP, held=True))[0]
