"""Hand-made e-lock tracks: the test-side name of `landport.simulation.tracks`."""

from pathlib import Path

from landport.simulation.tracks import (
    ROUTE_IDS,
    T0,
    Delivery,
    Detour,
    Gap,
    Jump,
    LockOpen,
    Stop,
    Track,
    build_track,
    shipped_corridors,
    with_fix,
)

DATA = Path(__file__).resolve().parents[1] / "src" / "landport" / "data"

__all__ = [
    "DATA",
    "ROUTE_IDS",
    "T0",
    "Delivery",
    "Detour",
    "Gap",
    "Jump",
    "LockOpen",
    "Stop",
    "Track",
    "build_track",
    "shipped_corridors",
    "with_fix",
]
