"""Screens hear alerts from ingest workers in other processes, through the broker."""

from __future__ import annotations

import asyncio
import json

import pytest

from broker import INGEST, WEB, publish_all, publisher
from landport.adapters.live_events import LiveEventHub, Owner
from landport.adapters.live_events_mqtt import MqttEventBridge
from landport.adapters.telemetry.mqtt_worker import ALERT_EVENTS, TRIP_EVENTS
from landport.enterprises.model import Actor, Role
from landport.settings import MqttSettings

pytestmark = pytest.mark.mqtt
EXPORTER = Actor("exporter", Role.DECLARANT, "91330100716105852F")
OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)


def test_a_worker_alert_on_the_broker_reaches_the_screens_of_its_enterprise(
    broker_port: int,
) -> None:
    owners: dict[str, Owner] = {"trip-7": (str(EXPORTER.enterprise_uscc), None)}
    hub = LiveEventHub(lambda _d, trip: owners.get(trip or ""))
    bridge = MqttEventBridge(
        hub, MqttSettings(host="127.0.0.1", port=broker_port, username=WEB[0], password=WEB[1])
    )

    async def scenario() -> tuple[list[str], list[str]]:
        officer, exporter = hub.subscribe(OFFICER), hub.subscribe(EXPORTER)
        bridge.start()
        assert await asyncio.to_thread(bridge.connected.wait, 30)  # subscribed
        alert = {"action": "opened", "id": "trip-7:tamper:t", "trip_id": "trip-7", "kind": "tamper"}
        state = {"action": "trip_state", "trip_id": "trip-7", "state": "at_border", "at": "t"}
        client = publisher(broker_port, "test-ingest-worker", INGEST)
        publish_all(
            client,
            [(ALERT_EVENTS, json.dumps(alert).encode()), (TRIP_EVENTS, json.dumps(state).encode())],
        )
        client.disconnect()
        seen: list[str] = []
        while len(seen) < 2:
            batch = await officer.next_batch(15.0)
            assert batch, "no event arrived from the broker"
            seen += [e.type for e in batch]
        mine: list[str] = []
        while len(mine) < 2:  # the two may come in one batch or two, on a busy machine
            batch = await exporter.next_batch(5.0)
            if not batch:
                break
            mine += [e.type for e in batch]
        return seen, mine

    try:
        seen, mine = asyncio.run(scenario())
    finally:
        bridge.stop()
    assert seen == ["alert.opened", "trip.state"]
    assert mine == ["alert.opened", "trip.state"]
