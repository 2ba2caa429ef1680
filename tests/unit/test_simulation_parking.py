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
    lot = ParkingLot(env, slots=10)
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


def test_a_truck_of_unknown_zone_wakes_on_any_departure_and_all_look_again_hourly() -> None:
    env = simpy.Environment()
    lot = ParkingLot(env, slots=10)
    lot.arrive("furniture", "general")
    lot.arrive("furniture", "general")
    woke: list[Any] = []
    env.process(_waiter(env, lot, "cement", woke))  # no cement parked yet: zone unknown
    env.process(_waiter(env, lot, "cement", woke))
    env.run(until=5)
    lot.leave("general")
    env.run(until=3700)
    assert woke == [("cement", 5), ("cement", 3600)]  # the second gave up waiting at 1 h
    lot.leave("general")  # nobody waits now: nothing to wake, nothing breaks
    env.run(until=3800)
    assert len(woke) == 2
