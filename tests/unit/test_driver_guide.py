"""The driver's pass and next step: a pass opens one visit only; the step says what to do."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from landport.seals.calendar import BEIJING
from landport.yard.driver_guide import (
    Whereabouts,
    as_it_stands,
    driver_pass,
    link_expired,
    next_step,
    shows_rest_stops,
    visit_of_pass,
)
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
    for bad in (tampered, "V-123", ".abc", "", "V-123." + "x" * 300, "V-123.é", "V-123.ünï"):
        assert visit_of_pass(KEY, bad) is None


@pytest.mark.parametrize(
    ("where", "en", "zh"),
    [
        (Whereabouts(V.PRE_ADVISED), "entry gate", "入口闸"),
        (Whereabouts(V.AT_LANE, station_id="L2"), "scan lane L2", "机检通道 L2"),
        (Whereabouts(V.AT_BAY, station_id="B1", station_is_bay=True), "bay B1", "查验台 B1"),
        (
            Whereabouts(V.AT_BAY, station_id="B1", station_en="Bay 1", station_zh="1号查验台"),
            "Drive to Bay 1.",  # the sign's words, not the id
            "请驶入1号查验台。",
        ),
        (Whereabouts(V.DECIDED), "sealing station", "施封点"),
        (Whereabouts(V.PARKED, slot_id="G-007"), "slot G-007", "车位 G-007"),
        (
            Whereabouts(
                V.DEPARTURE_SCHEDULED,
                slot_id="G-007",
                leave_at=datetime(2026, 3, 3, 6, 0, tzinfo=BEIJING),
                arrive_at=datetime(2026, 3, 5, 10, 0, tzinfo=BEIJING),
                port_en="Gyirong port",
                port_zh="吉隆口岸",
            ),
            "Leave the yard at 06:00 on 2026-03-03 (Beijing time); you are expected at "
            "Gyirong port at 10:00 on 2026-03-05",
            "请于北京时间 2026-03-03 06:00 离场发车，预计 2026-03-05 10:00 到达吉隆口岸",
        ),
        (Whereabouts(V.ON_TRIP, port_en="Gyirong port", port_zh="吉隆口岸"), "Gyirong", "吉隆口岸"),
        (
            as_it_stands(
                Whereabouts(
                    V.ON_TRIP,
                    arrive_at=datetime(2026, 3, 5, 10, 0, tzinfo=BEIJING),
                    port_en="Gyirong port",
                    port_zh="吉隆口岸",
                )
            ),
            "expected there at 10:00 on 2026-03-05 (Beijing time).",
            "预计北京时间 2026-03-05 10:00 到达。",
        ),
        (Whereabouts(V.DECIDED, station_id="L2"), "sealing station", "施封点"),  # lane left
        (Whereabouts(V.SHUT_OUT), "not exported", "退关离场"),
        (Whereabouts(V.PARKED, slot_id="G-007", held=True), "held", "扣留"),
        (Whereabouts(V.PRE_ADVISED, held=True), "Do not come", "暂勿前来"),
    ],
)
def test_the_next_step_says_where_to_go_in_both_languages(
    where: Whereabouts, en: str, zh: str
) -> None:
    step_en, step_zh = next_step(where)
    assert en in step_en and zh in step_zh


def test_a_booked_hour_tells_the_driver_when_to_come() -> None:
    hour = datetime(2026, 3, 3, 11, 0, tzinfo=BEIJING)
    en, zh = next_step(Whereabouts(V.PRE_ADVISED, booked_hour=hour))
    assert "between 11:00 and 12:00 on 2026-03-03" in en and "entry gate" in en
    assert "2026-03-03 11:00–12:00" in zh and "入口闸" in zh
    # a hold still comes first, and a truck already inside is not sent back to the gate
    assert "Do not come" in next_step(Whereabouts(V.PRE_ADVISED, held=True, booked_hour=hour))[0]
    assert "queue" in next_step(Whereabouts(V.QUEUED, booked_hour=hour))[0]


@pytest.mark.parametrize(
    ("trip_state", "en", "zh"),
    [
        (None, "On your way to Gyirong port", "前往吉隆口岸"),
        ("en_route", "On your way to Gyirong port", "前往吉隆口岸"),
        ("at_border", "At Gyirong port: show your truck", "已到达吉隆口岸"),
        ("verified", "Verified at Gyirong port", "吉隆口岸已核验"),
        ("exited", "Crossed the border at Gyirong port", "已从吉隆口岸出境"),
        ("referred", "send your truck to inspection", "要求查验"),
    ],
)
def test_on_the_road_the_words_follow_the_e_lock_trip(
    trip_state: str | None, en: str, zh: str
) -> None:
    where = Whereabouts(
        V.ON_TRIP, port_en="Gyirong port", port_zh="吉隆口岸", trip_state=trip_state
    )
    step_en, step_zh = next_step(where)
    assert en in step_en and zh in step_zh


def test_a_hold_does_not_hide_that_the_truck_has_left() -> None:
    assert "held" not in next_step(Whereabouts(V.ON_TRIP, held=True))[0]


def test_a_link_stops_opening_days_after_its_truck_left() -> None:
    left = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)
    assert not link_expired(V.ON_TRIP, left, left + timedelta(days=3))  # still on the road
    assert link_expired(V.ON_TRIP, left, left + timedelta(days=5))
    assert link_expired(V.SHUT_OUT, left, left + timedelta(days=5))
    assert not link_expired(V.PARKED, left, left + timedelta(days=30))  # waiting: still open


def test_the_rest_stops_are_shown_from_the_sealing_to_the_border() -> None:
    assert all(shows_rest_stops(s) for s in ("in_yard", "departed", "en_route"))
    assert not any(shows_rest_stops(s) for s in (None, "at_border", "verified", "exited"))
