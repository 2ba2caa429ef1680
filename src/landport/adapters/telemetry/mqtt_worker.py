"""The MQTT ingest worker: shared subscription, batches, acknowledgement only after commit.

Each worker joins the shared subscription `$share/{group}/landport/v1/seals/+/telemetry`
with a persistent session (clean_start=False). Messages are acknowledged (PUBACK) only
after the batch that holds them is committed, so a killed worker loses nothing: the broker
redelivers what was unacknowledged, and the store ignores what it already has.

The session belongs to the client id: a worker restarted under the same id resumes it (and
the messages the broker queued for it meanwhile); two live workers under one id take it from
each other, so a worker whose connections the broker keeps closing moments after accepting
them stops (`clashed`) instead of fighting over it.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from landport.adapters.telemetry.change_payloads import alert_change_payload, trip_state_payload
from landport.adapters.telemetry.ingest import IngestReport, RawMessage, TelemetryIngestor

log = logging.getLogger("landport.telemetry")
TOPIC_FILTER = "landport/v1/seals/+/telemetry"
# Events for the big screen and the consoles, published after each commit.
ALERT_EVENTS = "landport/v1/events/alerts"
TRIP_EVENTS = "landport/v1/events/trips"
#: Attempts at a message that fails alone before it is kept as a dead letter.
ALONE_TRIES = 3
#: A broker closes a connection when another client connects with the same id (MQTT v5 brokers
#: may say "Session taken over", Mosquitto 2.0 just closes it); both clients then reconnect a
#: second later and take the session from each other for ever. A worker whose connections
#: are closed this many times in a row, each within this many seconds of being accepted,
#: stops. A connection that lasted longer resets the count, so the worker that was already
#: running keeps its session and the newcomer gives way.
CLASH_DROPS = 3
CLASH_WINDOW_S = 5.0
SESSION_TAKEN_OVER = 0x8E


@dataclass
class WorkerOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "landport-ingest-1"
    group: str = "landport-ingest"
    username: str | None = None
    password: str | None = None
    max_batch: int = 1000
    max_wait_s: float = 0.05
    session_expiry_s: int = 7 * 24 * 3600
    silence_check_s: float = 60.0
    shared: bool = True
    # The workers speak MQTT 3.1.1 to the broker by default: paho decodes v5 properties for
    # every message, which cost a third of a worker's CPU (measured, docs/scaling.md). Devices
    # still publish MQTT v5; Mosquitto translates, and `$share` works for both.
    protocol: str = "3.1.1"


@dataclass
class WorkerStats:
    batches: int = 0
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failures: int = 0

    def summary(self) -> str:
        """One line for the log: what an operator checks after a crash or a redelivery."""
        return (
            f"received {self.received}, stored {self.accepted}, duplicates {self.duplicates}, "
            f"refused {self.rejected}, batches {self.batches}, failed tries {self.failures}"
        )


class IngestWorker:
    """Pulls from the broker, ingests in batches, acknowledges after commit."""

    def __init__(
        self,
        ingestor: TelemetryIngestor,
        options: WorkerOptions,
        *,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        self.ingestor = ingestor
        self.options = options
        self.stats = WorkerStats()
        self._on_report = on_report
        self._inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._stop = threading.Event()
        self._subscribed = threading.Event()  # set once the broker granted the subscription
        self._connected_at: float | None = None  # when the current connection was accepted
        self._quick_drops = 0  # connections closed by the broker moments after, in a row
        #: Set when another live client uses this client id: the worker has stopped.
        self.clashed = False
        v5 = options.protocol == "5"
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=options.client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else False,  # persistent session: redelivery after a crash
            manual_ack=True,
        )
        if options.username:
            self.client.username_pw_set(options.username, options.password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect

    @property
    def topic(self) -> str:
        if self.options.shared:
            return f"$share/{self.options.group}/{TOPIC_FILTER}"
        return TOPIC_FILTER

    # -- paho callbacks (network thread) ---------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        self._connected_at = time.monotonic()
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        # Logged only once the broker granted it: from here on nothing published is missed.
        if any(r.is_failure for r in reasons):
            log.error("broker refused the subscription to %s: %s", self.topic, reasons)
            return
        log.info("subscribed to %s as %s", self.topic, self.options.client_id)
        self._subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._subscribed.clear()
        accepted_at, self._connected_at = self._connected_at, None
        if self._stop.is_set():
            return
        if accepted_at is not None:  # a connection the broker had accepted, not a failed try
            lasted = time.monotonic() - accepted_at
            self._quick_drops = self._quick_drops + 1 if lasted < CLASH_WINDOW_S else 0
            if getattr(reason, "value", None) == SESSION_TAKEN_OVER:
                log.warning("the broker says another client took over %s", self.options.client_id)
            if self._quick_drops >= CLASH_DROPS:
                log.error(
                    "the broker closed the connection of %s %d times in a row, each within "
                    "%.0f s of accepting it: another client uses this id; stopping",
                    self.options.client_id,
                    self._quick_drops,
                    CLASH_WINDOW_S,
                )
                self.clashed = True
                # No reconnection until `stop()`, which ends the wait: it would take the session
                # back again (a disconnect() here is undone when this callback returns).
                client.reconnect_delay_set(min_delay=3600, max_delay=3600)
                self._stop.set()
                return
        log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(message)

    # -- the loop ------------------------------------------------------------------------------

    def start(self) -> None:
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        if self.options.protocol == "5":
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = self.options.session_expiry_s
            props.ReceiveMaximum = max(1, min(65535, self.options.max_batch))
            self.client.connect(
                self.options.host,
                self.options.port,
                keepalive=30,
                clean_start=False,
                properties=props,
            )
        else:  # session lifetime: the broker's persistent_client_expiration (deploy/)
            self.client.connect(self.options.host, self.options.port, keepalive=30)
        self.client.loop_start()

    def wait_subscribed(self, timeout: float = 30.0) -> bool:
        """True once the broker has granted the subscription: a fix published before that
        matches no subscriber and the broker drops it, so a caller must wait for this."""
        return self._subscribed.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()

    def finish(self) -> None:
        """Stop after the batch in hand is committed and acknowledged (a service manager's
        SIGTERM): safe to call from a signal handler, it only sets a flag."""
        self._stop.set()

    def run(self, *, until: Callable[[], bool] | None = None) -> None:
        """Process batches until stopped (or `until()` says so)."""
        next_silence_check = time.monotonic() + self.options.silence_check_s
        pending: list[mqtt.MQTTMessage] = []
        logged = WorkerStats()
        while not self._stop.is_set() and not (until and until()):
            if not pending:
                pending = self._next_batch()
            if pending:
                pending = self._ingest(pending)
                if pending:
                    time.sleep(1.0)  # the database is away: keep the rest, unacknowledged
            if time.monotonic() >= next_silence_check:
                self._check_silence()
                next_silence_check = time.monotonic() + self.options.silence_check_s
                if self.stats != logged:  # the counts, once a minute while anything arrives
                    log.info("so far: %s", self.stats.summary())
                    logged = replace(self.stats)

    def _next_batch(self) -> list[mqtt.MQTTMessage]:
        try:
            first = self._inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.options.max_wait_s
        while len(batch) < self.options.max_batch:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self._inbox.get(timeout=max(0.0, remaining))
                    if remaining > 0
                    else self._inbox.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _ingest(self, batch: list[mqtt.MQTTMessage]) -> list[mqtt.MQTTMessage]:
        """One batch, committed then acknowledged; returns what is left to retry.

        A batch that fails while the database answers holds a message no store takes: it is
        split in halves until that message is alone, tried again, and then kept in the
        dead-letter store, so one bad message neither stops the worker nor holds back the
        good ones. While the database is away nothing moves and the batch stays whole."""
        try:
            report = self.ingestor.ingest_messages(
                [RawMessage(m.topic, bytes(m.payload)) for m in batch]
            )
        except Exception as exc:
            self.stats.failures += 1
            if not self.ingestor.reachable():
                log.exception("batch of %d not committed; it will be retried", len(batch))
                return batch
            if len(batch) == 1:
                return self._alone(batch[0], exc)
            half = len(batch) // 2
            left = self._ingest(batch[:half])
            return left + batch[half:] if left else self._ingest(batch[half:])
        self._acknowledge(batch, report)
        return []

    def _alone(self, m: mqtt.MQTTMessage, failure: Exception) -> list[mqtt.MQTTMessage]:
        """A message that failed alone: tried again (a conflict with another writer passes),
        then kept as a dead letter with the failure's name."""
        raw = RawMessage(m.topic, bytes(m.payload))
        for _ in range(ALONE_TRIES - 1):
            try:
                self._acknowledge([m], self.ingestor.ingest_messages([raw]))
                return []
            except Exception as exc:
                failure = exc
        log.error("message on %s fails alone (%r): kept as a dead letter", m.topic, failure)
        try:
            self.ingestor.quarantine(raw, f"unstorable:{type(failure).__name__}")
        except Exception:
            log.exception("dead letter not stored; it will be retried")
            return [m]
        self._acknowledge([m], IngestReport(received=1, rejected={"unstorable": 1}))
        return []

    def _acknowledge(self, batch: list[mqtt.MQTTMessage], report: IngestReport) -> None:
        for m in batch:  # only now: the batch is committed
            self.client.ack(m.mid, m.qos)
        self._push_events(report)
        self.stats.batches += 1
        self.stats.received += report.received
        self.stats.accepted += report.accepted
        self.stats.duplicates += report.duplicates
        self.stats.rejected += sum(report.rejected.values())
        if self._on_report:
            self._on_report(report)

    def _check_silence(self) -> None:
        try:
            report = self.ingestor.check_silence()
        except Exception:
            log.exception("silence check failed")
            return
        self._push_events(report)
        if self._on_report and report.alert_changes:
            self._on_report(report)

    def _push_events(self, report: IngestReport) -> None:
        """Alert changes go out after the commit, as events (QoS 1) for live screens."""
        for change in report.alert_changes:
            event = alert_change_payload(change)
            self.client.publish(ALERT_EVENTS, json.dumps(event, ensure_ascii=False), qos=1)
        for trip_id, state_change in report.trip_changes:
            # On the broker it also carries an `action` tag; the hub keeps `TRIP_STATE_KEYS`.
            event = {"action": "trip_state", **trip_state_payload(trip_id, state_change)}
            self.client.publish(TRIP_EVENTS, json.dumps(event), qos=1)
