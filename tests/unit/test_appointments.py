"""Truck appointments: capacity, standby, peak quotas, opening hours and no-shows."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from landport.shared.errors import InvalidInput
from landport.yard.appointments import (
    Appointment,
    AppointmentBook,
    AppointmentPolicy,
    AppointmentStatus,
    BookingRequest,
    Resource,
    Standing,
    book,
    cancel,
    check_in,
    fairness_rule,
    priority_suspended,
    record_no_shows,
    reschedule,
    resources_from_layout,
    standby_list,
    walk_in,
)
from landport.yard.model import yard_from_document

A = AppointmentStatus
NOW = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)  # 08:00 Beijing time
SLOT = datetime(2026, 5, 3, 2, 0, tzinfo=UTC)  # 10:00 Beijing time, two days ahead
PEAK = datetime(2026, 5, 3, 1, 0, tzinfo=UTC)  # 09:00 Beijing time


def new_book(capacity: int = 2) -> AppointmentBook:
    lane = Resource("scan-1", capacity, opens_hour=8, closes_hour=20, peak_hours=frozenset({9}))
    return AppointmentBook(resources={"scan-1": lane})


def request(
    n: int, forwarder: str = "fwd-a", slot: datetime = SLOT, resource: str = "scan-1"
) -> BookingRequest:
    return BookingRequest(f"ap{n}", forwarder, f"d{n}", f"藏B{n:05d}", resource, slot)


def codes(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {v.code for v in error.value.violations}


def test_booking_within_capacity_is_confirmed() -> None:
    b = new_book()
    assert book(b, request(1), now=NOW).status is A.BOOKED


def test_booking_beyond_capacity_goes_to_standby() -> None:
    b = new_book(capacity=2)
    book(b, request(1, "fwd-a"), now=NOW)
    book(b, request(2, "fwd-b"), now=NOW)
    third = book(b, request(3, "fwd-c"), now=NOW)
    assert third.status is A.STANDBY
    assert [a.id for a in standby_list(b, "scan-1", SLOT)] == ["ap3"]


def test_a_cancellation_promotes_the_first_standby() -> None:
    b = new_book(capacity=1)
    book(b, request(1, "fwd-a"), now=NOW)
    book(b, request(2, "fwd-b"), now=NOW)
    book(b, request(3, "fwd-c"), now=NOW + timedelta(minutes=1))
    outcome = cancel(b, "ap1", forwarder="fwd-a", now=NOW + timedelta(hours=1))
    assert outcome.appointment.status is A.CANCELLED
    assert outcome.promoted is not None and outcome.promoted.id == "ap2"
    assert b.appointments["ap2"].status is A.BOOKED
    assert b.appointments["ap3"].status is A.STANDBY


def test_another_forwarder_cannot_cancel_and_nothing_changes() -> None:
    b = new_book()
    book(b, request(1, "fwd-a"), now=NOW)
    with pytest.raises(InvalidInput) as error:
        cancel(b, "ap1", forwarder="fwd-b", now=NOW)
    assert codes(error) == {"not_your_appointment"}
    assert b.appointments["ap1"].status is A.BOOKED


def test_quotas_hold_in_peak_hours() -> None:
    b = new_book(capacity=10)  # 30% of 10 = 3 places per forwarder at 09:00
    for n in range(3):
        book(b, request(n, "fwd-a", PEAK), now=NOW)
    before = copy.deepcopy(b)
    with pytest.raises(InvalidInput) as error:
        book(b, request(9, "fwd-a", PEAK), now=NOW)
    assert codes(error) == {"peak_quota_exceeded"}
    assert error.value.violations[0].field == "forwarder"
    assert error.value.violations[0].message_zh
    assert b == before
    assert book(b, request(10, "fwd-b", PEAK), now=NOW).status is A.BOOKED


def test_quotas_do_not_apply_outside_peak_hours() -> None:
    b = new_book(capacity=10)
    for n in range(5):
        assert book(b, request(n, "fwd-a"), now=NOW).status is A.BOOKED


def test_standby_promotion_skips_a_forwarder_at_its_peak_quota() -> None:
    b = new_book(capacity=3)  # quota: one place per forwarder at 09:00
    book(b, request(1, "fwd-a", PEAK), now=NOW)
    book(b, request(2, "fwd-b", PEAK), now=NOW)
    book(b, request(3, "fwd-c", PEAK), now=NOW)
    book(b, request(4, "fwd-d", PEAK), now=NOW)  # standby
    outcome = cancel(b, "ap2", forwarder="fwd-b", now=NOW)
    assert outcome.promoted is not None and outcome.promoted.id == "ap4"


def test_appointments_outside_opening_hours_are_refused() -> None:
    b = new_book()
    night = datetime(2026, 5, 3, 13, 0, tzinfo=UTC)  # 21:00 Beijing time
    with pytest.raises(InvalidInput) as error:
        book(b, request(1, slot=night), now=NOW)
    assert codes(error) == {"outside_opening_hours"}
    assert error.value.violations[0].field == "slot_start"
    assert b.appointments == {}


def test_every_broken_rule_is_reported_at_once() -> None:
    b = new_book()
    book(b, request(1), now=NOW)
    odd = datetime(2026, 5, 3, 13, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput) as error:
        book(b, BookingRequest("ap1", "fwd-a", "d1", "藏B1", "scan-1", odd), now=NOW)
    assert codes(error) == {
        "slot_not_on_hour",
        "outside_opening_hours",
        "duplicate_appointment_id",
        "declaration_already_booked",
    }


def test_unknown_resource_and_past_slot_are_refused() -> None:
    b = new_book()
    with pytest.raises(InvalidInput) as error:
        book(b, request(1, resource="bay-9"), now=NOW)
    assert codes(error) == {"unknown_resource"}
    with pytest.raises(InvalidInput) as error:
        book(b, request(2, slot=NOW - timedelta(hours=1)), now=NOW)
    assert "slot_in_past" in codes(error)


def test_a_slot_more_than_thirty_days_ahead_is_refused() -> None:
    b = new_book()
    with pytest.raises(InvalidInput) as error:  # 10:00 Beijing, 32 days ahead
        book(b, request(3, slot=SLOT + timedelta(days=30)), now=NOW)
    assert codes(error) == {"slot_too_far_ahead"}
    assert error.value.violations[0].message_zh == "最多只能预约 30 天内的时段"
    assert not b.appointments  # nothing kept
    book(b, request(4, slot=SLOT + timedelta(days=27)), now=NOW)  # 29 days ahead: fine


def test_repeated_no_shows_lose_priority_booking() -> None:
    b = new_book(capacity=5)
    for n in range(3):
        slot = datetime(2026, 4, 20 + n, 2, 0, tzinfo=UTC)
        book(b, request(n, "fwd-late", slot), now=slot - timedelta(days=1))
    recorded = record_no_shows(b, now=datetime(2026, 4, 30, 0, 0, tzinfo=UTC))
    assert [r.appointment_id for r in recorded] == ["ap0", "ap1", "ap2"]
    with pytest.raises(InvalidInput) as error:
        book(b, request(7, "fwd-late", SLOT), now=NOW)  # 50 h ahead
    assert codes(error) == {"no_show_priority_loss"}
    tomorrow = NOW + timedelta(hours=10)
    assert book(b, request(8, "fwd-late", tomorrow), now=NOW).status is A.BOOKED
    assert book(b, request(9, "fwd-good", SLOT), now=NOW).status is A.BOOKED


def test_a_busy_reliable_forwarder_keeps_priority_despite_a_few_no_shows() -> None:
    b = new_book(capacity=40)
    n = 0
    for day in range(8):  # 40 slots over 8 days, all kept but three
        for hour in range(5):
            slot = datetime(2026, 4, 20 + day, 2 + hour, 0, tzinfo=UTC)
            appointment = book(b, request(n, "fwd-big", slot), now=slot - timedelta(days=1))
            if n >= 3:
                check_in(b, appointment.id, now=slot)
            n += 1
    assert len(record_no_shows(b, now=datetime(2026, 4, 30, 0, 0, tzinfo=UTC))) == 3
    assert book(b, request(99, "fwd-big", SLOT), now=NOW).status is A.BOOKED  # 3/40 < 10%


def test_no_shows_older_than_the_window_are_forgiven() -> None:
    b = new_book(capacity=5)
    for n in range(3):
        slot = datetime(2026, 3, 1 + n, 2, 0, tzinfo=UTC)
        book(b, request(n, "fwd-late", slot), now=slot - timedelta(days=1))
    record_no_shows(b, now=datetime(2026, 3, 10, tzinfo=UTC))
    assert book(b, request(7, "fwd-late", SLOT), now=NOW).status is A.BOOKED


def test_no_show_is_recorded_only_after_the_grace_period() -> None:
    b = new_book()
    book(b, request(1), now=NOW)
    assert record_no_shows(b, now=SLOT + timedelta(minutes=80)) == []
    assert len(record_no_shows(b, now=SLOT + timedelta(minutes=90))) == 1
    assert b.appointments["ap1"].status is A.NO_SHOW


def test_an_arrived_truck_is_not_a_no_show() -> None:
    b = new_book()
    book(b, request(1), now=NOW)
    check_in(b, "ap1", now=SLOT + timedelta(minutes=10))
    assert record_no_shows(b, now=SLOT + timedelta(hours=3)) == []


def test_the_fairness_rule_is_published_in_both_languages() -> None:
    rule = fairness_rule()
    assert "3 or more no-shows in the last 30 days" in rule.text_en
    assert "24 小时" in rule.text_zh
    assert rule.parameters["no_show_limit"] == "3"


def test_walk_ins_are_admitted_only_when_capacity_allows() -> None:
    b = new_book(capacity=1)
    arrival = datetime(2026, 5, 3, 2, 20, tzinfo=UTC)
    assert walk_in(b, request(1, "fwd-a"), now=arrival).status is A.ARRIVED
    with pytest.raises(InvalidInput) as error:
        walk_in(b, request(2, "fwd-b"), now=arrival + timedelta(minutes=5))
    assert codes(error) == {"no_capacity_for_walk_in"}


def test_walk_ins_are_refused_outside_opening_hours() -> None:
    b = new_book()
    with pytest.raises(InvalidInput) as error:
        walk_in(b, request(1), now=datetime(2026, 5, 3, 15, 10, tzinfo=UTC))
    assert codes(error) == {"outside_opening_hours"}


def test_reschedule_moves_the_booking_and_promotes_standby_in_the_old_slot() -> None:
    b = new_book(capacity=1)
    book(b, request(1, "fwd-a"), now=NOW)
    book(b, request(2, "fwd-b"), now=NOW)
    later = SLOT + timedelta(hours=2)
    outcome = reschedule(b, "ap1", later, forwarder="fwd-a", now=NOW)
    assert outcome.appointment.slot_start == later
    assert outcome.promoted is not None and outcome.promoted.id == "ap2"


def test_reschedule_to_a_full_slot_keeps_the_old_booking() -> None:
    b = new_book(capacity=1)
    book(b, request(1, "fwd-a"), now=NOW)
    later = SLOT + timedelta(hours=2)
    book(b, request(2, "fwd-b", later), now=NOW)
    with pytest.raises(InvalidInput) as error:
        reschedule(b, "ap1", later, forwarder="fwd-a", now=NOW)
    assert codes(error) == {"slot_full"}
    assert b.appointments["ap1"].slot_start == SLOT


def test_bookable_resources_come_from_the_yard_layout_in_whole_open_hours() -> None:
    layout = yard_from_document(
        json.loads((resources.files("landport") / "data" / "yard.json").read_text("utf-8"))
    )
    found = resources_from_layout(layout)
    bay = found["exam-bay-1"]  # open 09:30-12:30 and 13:30-18:30, 20 minutes a truck
    assert bay.open_hours == (10, 11, 14, 15, 16, 17)
    assert bay.capacity_per_hour == 2  # 3 an hour sold at 85 %
    portal = found["nii-portal-1"]  # 09:00-12:30 and 13:30-19:00, 3 minutes a truck
    assert portal.open_hours == (9, 10, 11, 14, 15, 16, 17, 18)
    assert portal.capacity_per_hour == 17
    assert "gate-out-1" not in found and found["gate-in-1"].kind == "gate_in"


def test_a_lunch_break_hour_is_outside_opening_hours() -> None:
    lane = Resource("bay", 2, opens_hour=10, closes_hour=18, breaks=frozenset({12, 13}))
    b = AppointmentBook(resources={"bay": lane})
    lunch = datetime(2026, 5, 3, 5, 0, tzinfo=UTC)  # 13:00 Beijing time
    with pytest.raises(InvalidInput) as error:
        book(b, request(1, slot=lunch, resource="bay"), now=NOW)
    assert codes(error) == {"outside_opening_hours"}


def test_a_walk_in_into_a_full_hour_may_wait_on_standby_with_the_reason() -> None:
    b = new_book(capacity=1)
    arrival = datetime(2026, 5, 3, 2, 20, tzinfo=UTC)
    walk_in(b, request(1, "fwd-a"), now=arrival)
    waiting = walk_in(b, request(2, "fwd-b"), now=arrival, standby_when_full=True)
    assert waiting.status is A.STANDBY and waiting.note and "capacity" in waiting.note
    assert [a.id for a in standby_list(b, "scan-1", SLOT)] == ["ap2"]


def test_a_truck_that_gated_in_before_the_deadline_counts_as_arrived() -> None:
    b = new_book()
    book(b, request(1), now=NOW)
    book(b, request(2), now=NOW)
    late = SLOT + timedelta(hours=3)  # after the slot's end plus grace
    came = {"d1": SLOT + timedelta(minutes=40), "d2": late}
    recorded = record_no_shows(b, now=SLOT + timedelta(hours=4), arrivals=came)
    assert [n.appointment_id for n in recorded] == ["ap2"]
    assert b.appointments["ap1"].status is A.ARRIVED
    assert b.appointments["ap1"].arrived_at == came["d1"]


def test_standing_counted_elsewhere_adds_to_the_books_own() -> None:
    b = new_book()
    b.standing_base["fwd-late"] = Standing(no_shows=3, arrivals=1)
    assert priority_suspended(b, "fwd-late", now=NOW)
    with pytest.raises(InvalidInput) as error:
        book(b, request(1, "fwd-late"), now=NOW)
    assert codes(error) == {"no_show_priority_loss"}


def test_rescheduling_to_the_same_hour_is_refused() -> None:
    b = new_book()
    book(b, request(1), now=NOW)
    with pytest.raises(InvalidInput) as error:
        reschedule(b, "ap1", SLOT, forwarder="fwd-a", now=NOW)
    assert codes(error) == {"same_slot"}


class Unscannable(dict[str, Appointment]):
    """An appointment table that fails if anyone walks through all of it."""

    def values(self) -> Any:
        raise AssertionError("the whole book was scanned")

    def __iter__(self) -> Any:
        raise AssertionError("the whole book was scanned")


def test_booking_reads_its_hour_and_the_forwarders_record_never_the_whole_book() -> None:
    b = new_book(capacity=5)
    b.policy = AppointmentPolicy(booking_horizon=timedelta(days=400))  # a long season booked
    for n in range(500):  # a hundred other hours
        slot = SLOT + timedelta(days=n // 5 + 1, hours=n % 5)
        book(b, request(1000 + n, f"fwd-{n % 7}", slot), now=NOW)
    b.appointments = Unscannable(b.appointments)
    assert book(b, request(1, "fwd-a", PEAK), now=NOW).status is A.BOOKED
    assert cancel(b, "ap1", forwarder="fwd-a", now=NOW).appointment.status is A.CANCELLED
    assert not priority_suspended(b, "fwd-a", now=NOW)
