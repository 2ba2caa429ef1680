"""Live events from ingest workers in other processes, through the broker's event topics.

In `make demo` the telemetry ingest runs inside the server and hands its reports to the
hub directly. In production the ingest workers are separate processes; after each commit
they publish alert and trip-state changes to `landport/v1/events/alerts` and `.../trips`
(QoS 1). Each API process that serves screens subscribes to those topics with its own
plain (not shared) subscription, so every process's hub hears every event.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from landport.adapters.live_events import LiveEventHub
from landport.adapters.telemetry.mqtt_worker import ALERT_EVENTS, TRIP_EVENTS
from landport.settings import MqttSettings

log = logging.getLogger("landport.live_events")


class MqttEventBridge:
    """Subscribes to the workers' event topics and republishes each event on the hub."""

    def __init__(self, hub: LiveEventHub, settings: MqttSettings, *, client_id: str = "") -> None:
        self.hub = hub
        self.settings = settings
        self.connected = threading.Event()  # set once the broker acknowledged the subscription
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"landport-screens-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
            clean_session=True,  # live screens need no backlog: they re-read on connect
        )
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            self.client.username_pw_set(settings.username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    def start(self) -> None:
        """Connects in the background: a broker that is down must not stop the server."""
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the live-events connection: %s", reason)
            return
        client.subscribe([(ALERT_EVENTS, 1), (TRIP_EVENTS, 1)])

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: Any, codes: Any, _p: Any) -> None:
        if all(not code.is_failure for code in codes):
            self.connected.set()
        else:
            log.error("broker refused the live-events subscription: %s", codes)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            event = json.loads(message.payload)
        except ValueError:
            log.warning("unreadable live event on %s", message.topic)
            return
        if isinstance(event, dict):
            self.hub.on_worker_event(message.topic == ALERT_EVENTS, event)
