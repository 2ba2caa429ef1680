"""The twin's parking lot: a departure wakes the first truck waiting for that zone only."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from landport.simulation.parking import ParkingLot


def _waiter(env: simpy.Environment, lot: ParkingLot, cargo: str, woke: list[Any]) -> Generator:
    yield lot.wait_for_room(cargo)
    woke.append((cargo, env.now))


def test_a_departure_wakes_the_first_truck_waiting_for_its_zone() -> None:
    env = simpy.Environment()
    lot = ParkingLot(env, slots=10, window_s=86400.0)
    lot.arrive("lithium", "dangerous-goods")
    lot.arrive("furniture", "general")
    woke: list[Any] = []
    for cargo in ("lithium", "lithium", "furniture"):
        env.process(_waiter(env, lot, cargo, woke))
    env.run(until=10)
    lot.leave("dangerous-goods")
    env.run(until=20)
    assert woke == [("lithium", 10)]  # one truck, the first in line; general still waits
    lot.leave("general")
    env.run(until=30)
    assert woke == [("lithium", 10), ("furniture", 20)]
    assert lot.refused == 3


def test_a_truck_of_unknown_zone_wakes_on_any_departure_and_all_look_again_later() -> None:
    env = simpy.Environment()
    lot = ParkingLot(env, slots=10, window_s=86400.0)
    lot.arrive("furniture", "general")
    lot.arrive("furniture", "general")
    woke: list[Any] = []
    env.process(_waiter(env, lot, "cement", woke))  # no cement parked yet: zone unknown
    env.process(_waiter(env, lot, "cement", woke))
    env.run(until=5)
    lot.leave("general")
    env.run(until=lot.RETRY_S + 100)
    assert woke == [("cement", 5), ("cement", lot.RETRY_S)]  # the second looked again
    lot.leave("general")  # nobody waits now: nothing to wake, nothing breaks
    env.run(until=lot.RETRY_S + 200)
    assert len(woke) == 2


def test_a_truck_sealed_while_others_wait_for_its_zone_queues_behind_them() -> None:
    """First come, first served: the queue is known per zone, and a wait behind it is not a
    refused try."""
    env = simpy.Environment()
    lot = ParkingLot(env, slots=10, window_s=86400.0)
    assert not lot.queued("lithium")  # zone not known yet: ask the yard office
    lot.arrive("lithium", "dangerous-goods")
    assert not lot.queued("lithium")  # known, but nobody waits
    woke: list[Any] = []
    env.process(_waiter(env, lot, "lithium", woke))
    env.run(until=1)
    assert lot.queued("lithium") and not lot.queued("furniture")

    def behind() -> Generator:
        yield lot.wait_for_room("lithium", refused=False)
        woke.append(("behind", env.now))

    env.process(behind())
    env.run(until=2)
    lot.leave("dangerous-goods")
    env.run(until=3)
    lot.leave("dangerous-goods")
    env.run(until=4)
    assert woke == [("lithium", 2), ("behind", 3)]
    assert lot.refused == 1 and not lot.queued("lithium")


def test_a_woken_truck_that_could_not_park_keeps_the_head_of_the_line() -> None:
    """A departure wakes the zone's first truck and the first of unknown zone; if the other
    one takes the slot, the zone's truck goes back to the head of its line, not the end."""
    env = simpy.Environment()
    lot = ParkingLot(env, slots=10, window_s=86400.0)
    lot.arrive("furniture", "general")
    woke: list[Any] = []
    for cargo in ("furniture", "furniture"):
        env.process(_waiter(env, lot, cargo, woke))
    env.run(until=1)
    lot.leave("general")
    env.run(until=2)
    assert woke == [("furniture", 1)]

    def first_again() -> Generator:
        yield lot.wait_for_room("furniture", refused=False, front=True)
        woke.append(("first again", env.now))

    env.process(first_again())
    env.run(until=3)
    lot.leave("general")
    env.run(until=4)
    assert woke == [("furniture", 1), ("first again", 3)]  # ahead of the second in line


def test_trucks_waiting_for_a_slot_are_counted_and_their_peak_kept() -> None:
    """A full lot is a queue a manager must see: trucks that waited, the most at once."""
    env = simpy.Environment()
    lot = ParkingLot(env, slots=1, window_s=86400.0)
    lot.arrive("furniture", "general")
    for _ in range(3):
        lot.queue_up()
    lot.arrive("furniture", "general", waited=True)
    lot.queue_up()
    assert (lot.waited, lot.peak_waiting, lot.waiting) == (4, 3, 3)
    assert lot.refused == 0  # no try was refused by the platform: the lot was seen full


def test_slot_seconds_count_only_inside_the_window() -> None:
    """Utilisation is over the days of arrivals: a lot emptying in the days that follow the
    last trips does not dilute it."""
    env = simpy.Environment()
    lot = ParkingLot(env, slots=2, window_s=100.0)
    env.run(until=50)
    lot.arrive("furniture", "general")
    env.run(until=250)
    lot.close()
    assert lot.used_s == 50.0  # 50 s of one truck inside the window; 150 s after it not
