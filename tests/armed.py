"""A port with e-locks registered and armed on released declarations, for ingest tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from builders import declarant
from goods import furniture_payload
from landport.declarations.commands import DeclareExport
from landport.enterprises.model import Actor, Role
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.shared.clock import FixedClock
from signed import SECRET
from tracks import T0
from world import World

OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)


@dataclass
class Port:
    world: World
    clock: FixedClock
    trips: dict[str, str]  # seal id -> trip id


@contextmanager
def armed_port(database_url: str, seals: Iterable[str]) -> Iterator[Port]:
    """Each seal armed on its own released declaration, to Gyirong, at the tracks' T0."""
    clock = FixedClock(T0)
    world = World(database_url, clock=clock)
    world.without_random_selection()
    bus = world.services.bus
    trips = {}
    for seal in seals:
        bus.handle(RegisterSeal(OFFICER, seal, "generic", "json-mqtt", SECRET))
        released = bus.handle(DeclareExport(declarant(), furniture_payload(), submit=True)).result
        trips[seal] = bus.handle(ArmSeal(OFFICER, seal, released.id, "shigatse-gyirong")).result.id
    try:
        yield Port(world, clock, trips)
    finally:
        world.close()
