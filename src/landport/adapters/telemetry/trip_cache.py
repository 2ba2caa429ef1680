"""What an ingest worker keeps of its trips between batches, keyed by the stored version.

Reading and parsing every trip's monitor state (and its row, containers and plan) on each
batch was most of the ingest's cost. A worker now keeps what it last wrote or read, and
trusts it only while the trip's stored `version` is the one it remembers: any other writer
(another worker, the officer's seal commands, an alert being acknowledged) bumps the
version, and the next batch reads that trip again. Entries are published only after the
batch's transaction committed, so a rolled-back batch leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, select

from landport.adapters.db import tables as t
from landport.adapters.db.custody import trip_from_row
from landport.seals.corridor import Corridor
from landport.seals.model import TransitTrip, TripState
from landport.seals.monitor_state import MonitorState
from landport.seals.trip_plan import TripPlan

#: The columns a batch needs of every trip it touches; the rest only on a cache miss.
HEAD_COLUMNS = (
    t.trips.c.id,
    t.trips.c.seal_id,
    t.trips.c.version,
    t.trips.c.state,
    t.trips.c.last_fix_time,
    t.trips.c.last_lat,
    t.trips.c.last_lon,
    t.trips.c.armed_at,  # fixes made before it are not the trip's
)
#: A worker follows a few hundred trips at once; beyond this many entries it starts afresh.
MAX_ENTRIES = 20_000
#: Every field of `TransitTrip` in constructor order: `after_write` copies a trip per trip and
#: batch, and `dataclasses.replace` cost several times a positional copy.
_TRIP_FIELDS = attrgetter(*(f.name for f in fields(TransitTrip)))
_TRIP_STATES = {state.value: state for state in TripState}


@dataclass(frozen=True, slots=True)
class KnownTrip:
    """A trip as stored at `version`: its row, its monitoring plan and its monitor state."""

    version: int
    trip: TransitTrip
    plan: TripPlan
    state: MonitorState

    def after_write(self, state: MonitorState, trip_state: str) -> KnownTrip:
        """The trip as this worker has just written it (version + 1)."""
        version = self.version + 1
        trip = TransitTrip(*_TRIP_FIELDS(self.trip))
        trip.state = _TRIP_STATES.get(trip_state) or TripState(trip_state)
        trip.version = version
        return KnownTrip(version, trip, self.plan, state)


class TripCache:
    """Per-ingestor memory of trips; never shared between processes, never trusted blindly."""

    def __init__(self, corridor: Callable[[Connection, str, int], Corridor]) -> None:
        self._corridor = corridor
        self._known: dict[str, KnownTrip] = {}
        self.hits = 0
        self.misses = 0

    def resolve(self, conn: Connection, heads: Iterable[Mapping[str, Any]]) -> dict[str, KnownTrip]:
        """Each head's trip at its stored version: remembered, or read again in one query."""
        out: dict[str, KnownTrip] = {}
        stale: list[str] = []
        for head in heads:
            known = self._known.get(head["id"])
            if known is not None and known.version == head["version"]:
                out[head["id"]] = known
            else:
                stale.append(head["id"])
        self.hits += len(out)
        self.misses += len(stale)
        if stale:
            rows = conn.execute(select(t.trips).where(t.trips.c.id.in_(stale))).mappings()
            for row in rows:
                trip = trip_from_row(row)
                corridor = self._corridor(conn, trip.route_id, trip.route_version)
                state = (
                    MonitorState.from_dict(row["monitor"])
                    if row["monitor"]
                    else MonitorState(row["id"])
                )
                plan = TripPlan.for_trip(trip, corridor)
                out[trip.id] = KnownTrip(row["version"], trip, plan, state)
        return out

    def publish(self, written: Iterable[KnownTrip], *, keep_only: set[str] | None = None) -> None:
        """After the commit: remember what was written; forget trips no longer monitored."""
        if keep_only is not None:
            self._known = {k: v for k, v in self._known.items() if k in keep_only}
        if len(self._known) > MAX_ENTRIES:
            self._known.clear()
        for known in written:
            self._known[known.trip.id] = known
