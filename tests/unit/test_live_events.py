"""The live event hub: who hears what, and a slow screen never holds up the port."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

from landport.adapters.live_events import LiveEventHub, Owner
from landport.adapters.telemetry.ingest import IngestReport
from landport.enterprises.model import Actor, Role
from landport.seals.alerts import Alert, AlertChange, AlertKind, TripStateChange
from landport.seals.model import TripState

AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)
EXPORTER = Actor("exporter", Role.DECLARANT, "91330100716105852F")
COMPETITOR = Actor("competitor", Role.DECLARANT, "91440300MA5F00004K")
BROKER = Actor("broker", Role.DECLARANT, "91330100MA2B000018")  # a customs broker (报关企业)


def test_a_declarant_hears_only_its_own_enterprise_and_an_officer_hears_all() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        hub = LiveEventHub()
        streams = [hub.subscribe(a) for a in (OFFICER, EXPORTER, COMPETITOR)]
        hub.publish("declaration.lodged", {"n": 1}, enterprise_uscc=EXPORTER.enterprise_uscc)
        hub.publish("declaration.lodged", {"n": 2}, enterprise_uscc=COMPETITOR.enterprise_uscc)
        hub.publish("positions.changed", {"n": 3})  # no owner: staff only
        batches = [await s.next_batch(1.0) for s in streams]
        return tuple([f"{e.type}:{e.data['n']}" for e in b] for b in batches)  # type: ignore[return-value]

    officer, exporter, competitor = asyncio.run(scenario())
    assert officer == ["declaration.lodged:1", "declaration.lodged:2", "positions.changed:3"]
    assert exporter == ["declaration.lodged:1"]
    assert competitor == ["declaration.lodged:2"]


def test_a_slow_screen_loses_its_oldest_events_counted_and_the_publisher_never_waits() -> None:
    async def scenario() -> tuple[float, list[int], int, int]:
        hub = LiveEventHub(queue_size=10)
        slow = hub.subscribe(OFFICER)
        started = time.perf_counter()
        for n in range(1000):
            hub.publish("positions.changed", {"n": n})
        elapsed = time.perf_counter() - started
        batch = await slow.next_batch(1.0)
        return elapsed, [e.data["n"] for e in batch], slow.dropped, hub.stats()["dropped"]

    elapsed, kept, dropped, counted = asyncio.run(scenario())
    assert kept == list(range(990, 1000))
    assert dropped == counted == 990
    assert elapsed < 0.5


def test_an_event_published_from_another_thread_wakes_the_stream_at_once() -> None:
    async def scenario() -> float:
        hub = LiveEventHub()
        stream = hub.subscribe(OFFICER)
        sent = time.perf_counter()
        threading.Thread(target=hub.publish, args=("trip.armed", {"trip_id": "t"})).start()
        batch = await stream.next_batch(5.0)
        assert [e.type for e in batch] == ["trip.armed"]
        return time.perf_counter() - sent

    assert asyncio.run(scenario()) < 0.2


def test_a_reconnecting_screen_gets_what_it_missed_after_its_last_event_id() -> None:
    async def scenario() -> list[int]:
        hub = LiveEventHub()
        first = [hub.publish("declaration.status", {"n": n}).seq for n in range(5)]
        again = hub.subscribe(OFFICER, after=first[2])
        return [e.data["n"] for e in await again.next_batch(1.0)]

    assert asyncio.run(scenario()) == [3, 4]


def test_closing_the_hub_ends_every_stream() -> None:
    async def scenario() -> bool:
        hub = LiveEventHub()
        stream = hub.subscribe(OFFICER)
        hub.close()
        assert await stream.next_batch(5.0) == []
        return stream.closed

    assert asyncio.run(scenario()) is True


def test_an_ingest_report_becomes_alert_and_trip_events_owned_by_the_trip_enterprise() -> None:
    owners: dict[str, Owner] = {"trip-1": (str(EXPORTER.enterprise_uscc), None)}
    asked: list[tuple[str | None, str | None]] = []

    def owner_of(declaration_id: str | None, trip_id: str | None) -> Owner | None:
        asked.append((declaration_id, trip_id))
        return owners.get(trip_id or "")

    async def scenario() -> tuple[list[str], list[str]]:
        hub = LiveEventHub(owner_of)
        exporter, competitor = hub.subscribe(EXPORTER), hub.subscribe(COMPETITOR)
        alert = Alert("trip-1", AlertKind.TAMPER, AT, details={"lat": 28.3, "lon": 85.4})
        report = IngestReport(received=1, accepted=1)
        report.alert_changes.append(AlertChange("opened", alert))
        report.trip_changes.append(("trip-1", TripStateChange(TripState.AT_BORDER, AT)))
        hub.on_ingest_report(report)
        seen = await exporter.next_batch(1.0)
        other = await competitor.next_batch(0.1)
        assert seen[0].data["id"] == alert.id and seen[0].data["severity"] == "alarm"
        return [e.type for e in seen], [e.type for e in other]

    seen, other = asyncio.run(scenario())
    assert seen == ["alert.opened", "trip.state"]
    assert other == []
    assert asked == [(None, "trip-1")]  # looked up once, then remembered


def test_the_broker_that_lodged_a_declaration_hears_its_events_and_a_third_never() -> None:
    """The owner lookup carries the declaring agent: its declarants hear the trip's alerts
    and states as the consignor's do; a declaration lodged by the consignor stays its own."""
    consignor, broker = str(EXPORTER.enterprise_uscc), str(BROKER.enterprise_uscc)
    owners: dict[str, Owner] = {"trip-1": (consignor, broker), "trip-2": (consignor, None)}

    async def scenario() -> list[list[str]]:
        hub = LiveEventHub(lambda _d, trip: owners.get(trip or ""))
        streams = [hub.subscribe(a) for a in (OFFICER, EXPORTER, BROKER, COMPETITOR)]
        for trip_id in ("trip-1", "trip-2"):
            report = IngestReport(received=1, accepted=0)
            report.trip_changes.append((trip_id, TripStateChange(TripState.AT_BORDER, AT)))
            hub.on_ingest_report(report)
        hub.publish("declaration.lodged", {"trip_id": "d"}, owner=(consignor, broker))
        return [[e.data["trip_id"] for e in await s.next_batch(0.2)] for s in streams]

    officer, exporter, broker_heard, competitor = asyncio.run(scenario())
    assert officer == exporter == ["trip-1", "trip-2", "d"]
    assert broker_heard == ["trip-1", "d"]
    assert competitor == []


def test_an_empty_batch_means_the_time_ran_out_not_a_stale_wake_up() -> None:
    """The wake-up of an event already taken must not end the next wait early."""
    hub = LiveEventHub()

    async def scenario() -> list[str]:
        stream = hub.subscribe(OFFICER)
        hub.publish("first", {})  # queues the event and schedules a wake-up on this loop
        assert [e.type for e in await stream.next_batch(1.0)] == ["first"]  # taken at once
        threading.Timer(0.1, lambda: hub.publish("second", {})).start()
        return [e.type for e in await stream.next_batch(5.0)]

    assert asyncio.run(scenario()) == ["second"]
