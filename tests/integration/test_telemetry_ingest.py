"""From signed telemetry to trip state and alerts, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import func, select

from builders import declarant
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.telemetry.ingest import RawMessage, TelemetryIngestor
from landport.declarations.commands import DeclareExport
from landport.enterprises.model import Actor, Role
from landport.seals.calendar import BEIJING
from landport.seals.commands import ArmSeal, ImportRoutes, RegisterSeal
from landport.seals.model import SealFix
from landport.shared.clock import FixedClock
from signed import SECRET, message
from tracks import T0, Detour, Gap, build_track, shipped_corridors
from world import World

OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)
ADMIN = Actor("admin", Role.PORT_ADMIN)


@dataclass
class Custody:
    world: World
    clock: FixedClock
    ingestor: TelemetryIngestor
    trip_id: str


@pytest.fixture
def custody(database_url: str) -> Iterator[Custody]:
    clock = FixedClock(T0)
    world = World(database_url, clock=clock)
    world.without_random_selection()
    bus = world.services.bus
    bus.handle(RegisterSeal(OFFICER, "SEAL-0001", "generic", "json-mqtt", SECRET))
    released = bus.handle(DeclareExport(declarant(), furniture_payload(), submit=True)).result
    assert released.status.value == "released"
    trip = bus.handle(ArmSeal(OFFICER, "SEAL-0001", released.id, "shigatse-gyirong")).result
    yield Custody(world, clock, TelemetryIngestor(world.services.engine, clock), trip.id)
    world.close()


def feed(c: Custody, fixes: list[SealFix], batch: int = 200) -> None:
    for i in range(0, len(fixes), batch):
        part = fixes[i : i + batch]
        c.clock._now = max(f.fix_time for f in part)  # the server's clock follows the stream
        c.ingestor.ingest_messages([message(f) for f in part])


def trip_row(c: Custody) -> dict[str, object]:
    with c.world.services.engine.connect() as conn:
        return dict(conn.execute(select(t.trips).where(t.trips.c.id == c.trip_id)).mappings().one())


def alert_kinds(c: Custody) -> list[str]:
    with c.world.services.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(t.alerts.c.kind).order_by(t.alerts.c.id))]


def test_a_clean_trip_reaches_the_border_without_any_alert(custody: Custody) -> None:
    track = build_track(shipped_corridors()["shigatse-gyirong"], interval_s=120)
    feed(custody, track.fixes)
    row = trip_row(custody)
    assert row["state"] == "at_border"
    assert alert_kinds(custody) == []
    with custody.world.services.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.positions)).scalar_one()
    assert stored == len(track.fixes)


def test_duplicates_and_replays_change_nothing(custody: Custody) -> None:
    track = build_track(shipped_corridors()["shigatse-gyirong"], interval_s=300)
    feed(custody, track.fixes)
    before = trip_row(custody)
    report = custody.ingestor.ingest_messages([message(f) for f in track.fixes[:50]])
    assert (report.accepted, report.duplicates) == (0, 50)
    assert trip_row(custody)["monitor"] == before["monitor"]


def test_a_restarted_worker_takes_a_redelivered_fix_as_a_duplicate(custody: Custody) -> None:
    """The stored state keeps no recent fix keys: the positions' unique key is the check."""
    track = build_track(shipped_corridors()["shigatse-gyirong"], interval_s=300)
    feed(custody, track.fixes)
    before = trip_row(custody)
    assert before["monitor"]["recent"] == []
    restarted = TelemetryIngestor(custody.world.services.engine, custody.clock)
    last, older = track.fixes[-1], track.fixes[len(track.fixes) // 2]
    report = restarted.ingest_messages([message(last), message(older), message(last)])
    assert (report.accepted, report.duplicates) == (0, 3)
    after = trip_row(custody)
    assert (after["monitor"], after["version"]) == (before["monitor"], before["version"])
    assert restarted.trips.misses == 0  # nothing new: the trip was not even read again


def test_forged_and_unknown_messages_go_to_the_dead_letter_store(custody: Custody) -> None:
    fix = build_track(shipped_corridors()["shigatse-gyirong"]).fixes[0]
    forged = message(fix, secret="not-the-device-key-at-all")
    stranger = message(replace(fix, seal_id="SEAL-9999"))
    bad_topic = RawMessage("bad/topic", b"{}")
    report = custody.ingestor.ingest_messages([forged, stranger, bad_topic])
    assert report.accepted == 0
    assert report.rejected == {"bad_signature": 1, "unknown_seal": 1, "bad_topic": 1}
    with custody.world.services.engine.connect() as conn:
        reasons = sorted(r[0] for r in conn.execute(select(t.telemetry_rejects.c.reason)))
        positions = conn.execute(select(func.count()).select_from(t.positions)).scalar_one()
    assert reasons == ["bad_signature", "bad_topic", "unknown_seal"] and positions == 0


def test_a_redelivered_batch_keeps_each_dead_letter_once(custody: Custody) -> None:
    """A worker killed between its commit and the broker's acknowledgement gets the batch
    again: its fixes are duplicates, and its refused messages are not kept a second time."""
    fixes = build_track(shipped_corridors()["shigatse-gyirong"]).fixes[:3]
    forged = message(fixes[0], secret="not-the-device-key-at-all")
    stranger = message(replace(fixes[1], seal_id="SEAL-9999"))
    batch = [forged, stranger, message(fixes[2]), forged]  # the forgery sent twice, too
    first = custody.ingestor.ingest_messages(batch)
    again = custody.ingestor.ingest_messages(batch)
    assert (first.accepted, again.accepted, again.duplicates) == (1, 0, 1)
    assert again.rejected == {"bad_signature": 2, "unknown_seal": 1}  # refused, each time
    with custody.world.services.engine.connect() as conn:
        kept = conn.execute(
            select(t.telemetry_rejects.c.reason, t.telemetry_rejects.c.digest)
        ).all()
        positions = conn.execute(select(func.count()).select_from(t.positions)).scalar_one()
    assert sorted(reason for reason, _ in kept) == ["bad_signature", "unknown_seal"]
    assert all(digest and len(digest) == 64 for _, digest in kept)
    assert positions == 1


def test_different_messages_that_store_alike_are_kept_apart(custody: Custody) -> None:
    """The stored text replaces bytes that are not UTF-8 and cuts a topic at 200 characters:
    the key is taken from the message as received, so neither hides another message."""
    topic = "landport/v1/seals/SEAL-0001/telemetry"
    long_topic = "x" * 210
    received = [
        RawMessage(topic, b"\xff\x01 not json"),
        RawMessage(topic, b"\xfe\x01 not json"),
        RawMessage(long_topic + "a", b"{}"),
        RawMessage(long_topic + "b", b"{}"),
    ]
    custody.ingestor.ingest_messages(received)
    custody.ingestor.ingest_messages(received)  # and again: still once each
    with custody.world.services.engine.connect() as conn:
        kept = conn.execute(select(t.telemetry_rejects.c.payload)).scalars().all()
    assert len(kept) == 4


def test_a_detour_raises_a_route_deviation_alert(custody: Custody) -> None:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        interval_s=120,
        detours=[Detour(at_km=150, off_km=6, length_km=20)],
    )
    feed(custody, track.fixes)
    assert "route_deviation" in alert_kinds(custody)


def test_a_gap_backfilled_along_the_route_is_explained(custody: Custody) -> None:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        interval_s=120,
        gaps=[Gap(at_km=200, minutes=90, backfill=True)],
    )
    live = track.live()
    split = next(i for i, f in enumerate(live) if f.fix_time > track.time_at_km(240))
    feed(custody, live[:split])
    custody.clock._now = track.time_at_km(240)
    custody.ingestor.check_silence()
    assert "signal_lost" in alert_kinds(custody)
    backfill = [f for d in track.deliveries if d.backfill for f in d.fixes]
    feed(custody, backfill)
    feed(custody, live[split:])
    with custody.world.services.engine.connect() as conn:
        lost = (
            conn.execute(select(t.alerts).where(t.alerts.c.kind == "signal_lost")).mappings().one()
        )
    assert lost["state"] == "closed"
    assert lost["details"]["resolution"] == "explained_by_backfill"
    assert trip_row(custody)["state"] == "at_border"


def test_rejected_messages_are_counted_for_the_officers(custody: Custody) -> None:
    fixes = build_track(shipped_corridors()["shigatse-gyirong"]).fixes[:2]
    custody.ingestor.ingest_messages([message(f, secret="forged-by-someone-else") for f in fixes])
    body = custody.world.get("officer", "/api/v1/telemetry/rejects").json()
    assert body["counts"] == {"bad_signature": 2}
    assert body["items"][0]["seal_id"] == "SEAL-0001"
    assert custody.world.get("exporter", "/api/v1/telemetry/rejects").status_code == 403


def test_a_trip_keeps_the_corridor_it_was_sealed_on(custody: Custody) -> None:
    bus = custody.world.services.bus
    with custody.world.services.uow_factory() as uow:
        route = uow.routes.get("shigatse-gyirong")
    assert route is not None
    moved = replace(route, coordinates=tuple((x, y + 0.3) for x, y in route.coordinates))
    (version,) = bus.handle(ImportRoutes(ADMIN, (moved,))).result
    assert version == route.version + 1
    track = build_track(shipped_corridors()["shigatse-gyirong"], interval_s=300)
    feed(custody, track.fixes)
    assert alert_kinds(custody) == []  # judged by version 1, not by the moved corridor
    assert trip_row(custody)["route_version"] == route.version


def test_pool_keepers_move_locks_only_where_the_pool_allows(custody: Custody) -> None:
    w = custody.world
    armed = w.post(
        "officer", "/api/v1/seals/SEAL-0001/state", {"state": "available", "reason": "try"}
    )
    assert armed.status_code == 409  # an armed lock follows its trip, not a hand
    w.post(
        "officer",
        "/api/v1/seals",
        {"seal_id": "SEAL-0002", "vendor": "generic", "protocol": "json-mqtt", "secret": SECRET},
    )
    repair = {"state": "maintenance", "reason": "shackle sensor drifts"}
    assert w.post("officer", "/api/v1/seals/SEAL-0002/state", repair).json()["state"] == (
        "maintenance"
    )
    back = {"state": "available", "reason": "sensor replaced"}
    assert w.post("officer", "/api/v1/seals/SEAL-0002/state", back).json()["state"] == "available"
    assert w.post("exporter", "/api/v1/seals/SEAL-0002/state", back).status_code == 403


def test_an_alert_the_track_already_closed_cannot_be_reopened(custody: Custody) -> None:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        interval_s=120,
        detours=[Detour(at_km=150, off_km=6, length_km=20)],
    )
    feed(custody, track.fixes)
    alerts = custody.world.get("officer", "/api/v1/alerts", params={"state": "closed"}).json()
    deviation = next(a for a in alerts["items"] if a["kind"] == "route_deviation")
    answer = custody.world.post(
        "officer", f"/api/v1/alerts/{deviation['id']}/acknowledge", {"reason": "seen"}
    )
    assert answer.status_code == 409
    other_port = custody.world.post(
        "border", f"/api/v1/alerts/{deviation['id']}/resolve", {"reason": "not mine"}
    )
    assert other_port.status_code in {403, 409}


def test_time_release_report_follows_the_events(custody: Custody) -> None:
    feed(custody, build_track(shipped_corridors()["shigatse-gyirong"], interval_s=300).fixes)
    day = T0.astimezone(BEIJING).date().isoformat()
    report = custody.world.get(
        "officer", "/api/v1/reports/time-release", params={"date": day}
    ).json()
    overall = report["overall"]
    assert report["consignments"] == 1
    assert overall["declared->released"]["count"] == 1
    assert overall["released->sealed"]["count"] == 1
    assert overall["declared->border_release"]["count"] == 0  # still at the border
    assert (
        custody.world.get(
            "exporter", "/api/v1/reports/time-release", params={"date": day}
        ).status_code
        == 403
    )


def test_the_embedded_broker_flush_waits_for_the_batch_being_ingested(custody: Custody) -> None:
    """The live demo's warm-up flushes after every batch: a flush that found the queue empty
    while the worker was still storing the last batch let the twin run ahead of its ingest."""
    from landport.adapters.telemetry.embedded import EmbeddedBroker

    fixes = build_track(shipped_corridors()["shigatse-gyirong"], start=T0).fixes
    broker = EmbeddedBroker(custody.ingestor, max_batch=len(fixes))  # one large batch
    try:
        custody.clock._now = fixes[-1].fix_time
        receipts = [broker.publish(m.topic, m.payload) for m in map(message, fixes)]
        while broker._queue:  # the worker has taken the batch and is storing it
            pass
        broker.flush()
        assert all(r.done.is_set() and r.error is None for r in receipts)
        assert trip_row(custody)["last_fix_time"] == fixes[-1].fix_time  # stored, all of it
    finally:
        broker.stop()
