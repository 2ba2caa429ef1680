"""Two officers handle one alert at once, or an officer and the track that closes it: the
change that commits first stands, and the other is told the alert changed (never an alert
left acknowledged after it was resolved or closed, which would still stop the truck at the
border)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from armed import OFFICER, Port, armed_port
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.adapters.db.custody import SqlAlertRepository
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.enterprises.model import Actor, Role
from landport.seals.alert_handling import HandleTripAlert
from landport.shared.errors import Conflict
from signed import message
from tracks import LockOpen, build_track, shipped_corridors

SEAL = "SEAL-0001"
OTHER_OFFICER = Actor("officer2", Role.CUSTOMS_OFFICER)


@pytest.fixture
def port(database_url: str) -> Iterator[Port]:
    """A trip whose lock was opened on the road: a seal_opened alert stands open."""
    with armed_port(database_url, [SEAL]) as port:
        track = build_track(
            shipped_corridors()["shigatse-gyirong"],
            seal_id=SEAL,
            interval_s=300,
            lock_opens=[LockOpen(at_km=100.0)],
        )
        port.clock._now = track.end
        ingestor = TelemetryIngestor(port.world.services.engine, port.clock)
        ingestor.ingest_messages([message(f) for f in track.live()])
        yield port


@pytest.fixture
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each officer's read of the alert is followed by a pause, as a slow request would be:
    both read it open before either writes."""
    read = SqlAlertRepository.get

    def slowly(self: SqlAlertRepository, alert_id: int) -> dict[str, Any] | None:
        found = read(self, alert_id)
        time.sleep(0.4)
        return found

    monkeypatch.setattr(SqlAlertRepository, "get", slowly)


def the_alert(port: Port) -> dict[str, Any]:
    with port.world.services.engine.connect() as conn:
        query = select(t.alerts).where(t.alerts.c.kind == "seal_opened")
        return dict(conn.execute(query).mappings().one())


def test_acknowledge_and_resolve_at_once_leave_the_alert_resolved(
    port: Port, slow_reads: None
) -> None:
    alert_id = int(the_alert(port)["id"])
    bus = port.world.services.bus

    def handle(actor: Actor, action: str) -> str:
        try:
            bus.handle(HandleTripAlert(actor, alert_id, action, f"{action} by {actor.username}"))
            return "done"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(2) as pool:
        resolving = pool.submit(handle, OFFICER, "resolve")
        time.sleep(0.1)  # read while the resolution is under way: it writes first
        acknowledging = pool.submit(handle, OTHER_OFFICER, "acknowledge")
        outcomes = (resolving.result(), acknowledging.result())

    assert outcomes == ("done", "conflict")
    final = the_alert(port)
    assert final["state"] == "resolved" and final["handled_by"] == "officer"
    assert verify_audit(port.world.services.engine).intact
