"""The twin's parking queues wake trucks in an order that does not depend on the process.

Sweep workers are fresh processes, each with its own string hashing: a run that woke its
waiting trucks in the order of a set would give one seed two answers."""

from __future__ import annotations

import os
import subprocess
import sys

WAKE_ORDER = """
import simpy
from landport.simulation.parking import ParkingLot

env = simpy.Environment()
lot = ParkingLot(env, slots=1, window_s=86400.0)
lot.arrive("furniture", "general")  # the platform parked furniture in the general zone
woken = []

def waiter(name, cargo):
    yield lot.wait_for_room(cargo)
    woken.append(name)

env.process(waiter("for its zone", "furniture"))
env.process(waiter("zone not known yet", "nev"))
env.run(until=1)
lot.leave("general")
env.run(until=2)
print(woken)
"""


def test_a_truck_leaving_wakes_its_zone_first_in_every_process() -> None:
    orders = set()
    for hash_seed in ("1", "3"):  # "general" and None hash in either order under these
        done = subprocess.run(
            [sys.executable, "-c", WAKE_ORDER],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        orders.add(done.stdout.strip())
    assert orders == {"['for its zone', 'zone not known yet']"}
