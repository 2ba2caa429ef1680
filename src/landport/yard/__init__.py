"""The inland yard: its resources, overnight parking slots, and morning departures."""

from landport.yard.departures import (
    DeparturePlan,
    ParkedTruck,
    PortClosure,
    RouteLeg,
    plan_departures,
    replan_on_closure,
    routes_from_geojson,
)
from landport.yard.model import YardLayout, ZoneKind, yard_from_document
from landport.yard.parking import (
    CargoProfile,
    ParkingRefusal,
    SlotAssignment,
    assign_slot,
    cargo_profile,
    refusal_for,
)

__all__ = [
    "CargoProfile",
    "DeparturePlan",
    "ParkedTruck",
    "ParkingRefusal",
    "PortClosure",
    "RouteLeg",
    "SlotAssignment",
    "YardLayout",
    "ZoneKind",
    "assign_slot",
    "cargo_profile",
    "plan_departures",
    "refusal_for",
    "replan_on_closure",
    "routes_from_geojson",
    "yard_from_document",
]
