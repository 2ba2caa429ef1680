"""A port with e-locks registered and armed on released declarations, for ingest tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from builders import declarant, with_own_container
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
    declarations: dict[str, str]  # seal id -> its released declaration's id


@contextmanager
def armed_port(database_url: str, seals: Iterable[str], *, arm: bool = True) -> Iterator[Port]:
    """Each seal armed on its own released declaration, to Gyirong, at the tracks' T0
    (`arm=False`: registered and its declaration released, left for the test to arm)."""
    clock = FixedClock(T0)
    world = World(database_url, clock=clock)
    world.without_random_selection()
    bus = world.services.bus
    trips, declarations = {}, {}
    for seal in seals:
        bus.handle(RegisterSeal(OFFICER, seal, "generic", "json-mqtt", SECRET))
        goods = with_own_container(furniture_payload(), seal)
        released = bus.handle(DeclareExport(declarant(), goods, submit=True)).result
        declarations[seal] = released.id
        if arm:
            armed = bus.handle(ArmSeal(OFFICER, seal, released.id, "shigatse-gyirong")).result
            trips[seal] = armed.id
    try:
        yield Port(world, clock, trips, declarations)
    finally:
        world.close()
