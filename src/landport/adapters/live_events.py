"""The live event hub: domain events and telemetry alerts fanned out to open screens.

Publishers are the bus (after commit, on a request's worker thread) and the telemetry
ingest (after its batch commits, on the ingest thread). They must never wait for a
browser: each subscriber has a bounded queue, and when a slow or vanished client lets it
fill up, the oldest events are dropped and counted. Subscribers wake on their own event
loop (`call_soon_threadsafe`), so latency is one loop turn, not a polling interval.

A short ring of recent events lets a reconnecting browser resume from `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from landport.adapters.telemetry.change_payloads import (
    TRIP_STATE_KEYS,
    alert_change_payload,
    trip_state_payload,
)
from landport.adapters.telemetry.ingest import IngestReport
from landport.declarations import events as de
from landport.enterprises.model import Actor
from landport.messagebus import MessageBus
from landport.seals import events as se
from landport.yard import events as ye

#: Who a declaration (and what hangs off it) belongs to: its consignor, and the customs
#: broker that lodged it as agent (None: the consignor itself).
Owner = tuple[str, str | None]
#: (declaration_id, trip_id) -> its owner, or None if unknown.
OwnerLookup = Callable[[str | None, str | None], Owner | None]


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One thing that happened, as a screen needs it; `enterprise_uscc` (the consignor) and
    `agent_uscc` (the customs broker that lodged the declaration) decide who sees it."""

    seq: int
    type: str
    data: dict[str, Any]
    enterprise_uscc: str | None = None
    agent_uscc: str | None = None

    def visible_to(self, actor: Actor) -> bool:
        """Officials see everything; a declarant only events of its own enterprise's
        declarations, as consignor or as the broker that lodged them."""
        if not actor.is_declarant:
            return True
        if self.enterprise_uscc is None:
            return False
        return actor.may_see_declaration(self.enterprise_uscc, self.agent_uscc)


@dataclass(eq=False)
class Subscription:
    """One open stream: a bounded queue that drops its oldest events rather than block."""

    actor: Actor
    loop: asyncio.AbstractEventLoop
    maxlen: int
    queue: deque[LiveEvent] = field(default_factory=deque)
    dropped: int = 0
    closed: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, event: LiveEvent) -> None:
        if not event.visible_to(self.actor):
            return
        with self._lock:
            if len(self.queue) >= self.maxlen:
                self.queue.popleft()
                self.dropped += 1
            self.queue.append(event)
        self._signal()

    def close(self) -> None:
        self.closed = True
        self._signal()

    def _signal(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the client's loop is gone: nothing to wake
            self.closed = True

    async def next_batch(self, timeout: float) -> list[LiveEvent]:
        """Everything queued, waiting up to `timeout` seconds for the first event."""
        deadline = self.loop.time() + timeout
        while not self.queue and not self.closed:
            # A wake-up scheduled for an event already taken may still be pending: clear it,
            # look again, and only then wait, so an empty batch means the time ran out.
            self._wake.clear()
            if self.queue or self.closed:
                break
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return []
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return []
        with self._lock:
            batch = list(self.queue)
            self.queue.clear()
        return batch


class LiveEventHub:
    """In-process fan-out; thread-safe on the publishing side, asyncio on the reading side."""

    def __init__(
        self,
        owner_of: OwnerLookup | None = None,
        *,
        queue_size: int = 256,
        replay_size: int = 256,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._owner_of = owner_of
        self._queue_size = queue_size
        self._recent: deque[LiveEvent] = deque(maxlen=replay_size)
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._owners: dict[str, Owner | None] = {}
        self._now = now
        self.published = 0

    # -- publishing (any thread) -----------------------------------------------------------

    def publish(
        self,
        type_: str,
        data: dict[str, Any],
        *,
        enterprise_uscc: str | None = None,
        owner: Owner | None = None,
    ) -> LiveEvent:
        """`owner` (as the lookup gives it: consignor, customs broker that lodged the
        declaration) stands for `enterprise_uscc` and adds the broker."""
        agent_uscc = None
        if owner is not None:
            enterprise_uscc, agent_uscc = owner
        with self._lock:
            event = LiveEvent(next(self._seq), type_, data, enterprise_uscc, agent_uscc)
            self._recent.append(event)
            self.published += 1
            targets = list(self._subscriptions)
        for subscription in targets:
            subscription.offer(event)
        return event

    def attach(self, bus: MessageBus) -> None:
        """Subscribe to the bus's after-commit events (declarations, custody, the yard)."""
        bus.subscribe(de.DeclarationLodged, self._on_lodged)
        declaration_events: tuple[type, ...] = (
            de.DeclarationAssessed,
            de.DeclarationStatusChanged,
            de.DeclarationReleased,
        )
        for kind in declaration_events:
            bus.subscribe(kind, self._on_declaration)
        for kind in (se.TripArmed, se.TripClosed, se.AlertRaised):
            bus.subscribe(kind, self._on_trip)
        bus.subscribe(se.AlertHandled, self._on_alert_handled)
        bus.subscribe(ye.VisitChanged, self._on_visit)

    def on_ingest_report(self, report: IngestReport) -> None:
        """Hand this to the ingest transport (`on_report=`): alerts and trip states, live."""
        for change in report.alert_changes:
            self.publish(
                f"alert.{change.action}",
                alert_change_payload(change),
                owner=self._owner(None, change.alert.trip_id),
            )
        for trip_id, state in report.trip_changes:
            self.publish(
                "trip.state",
                trip_state_payload(trip_id, state),
                owner=self._owner(None, trip_id),
            )
        if report.accepted:
            self.publish(
                "positions.changed", {"accepted": report.accepted, "at": _iso(self._now())}
            )

    def on_worker_event(self, is_alert: bool, event: dict[str, Any]) -> None:
        """An event an ingest worker in another process published to the broker."""
        trip_id = event.get("trip_id")
        owner = self._owner(None, str(trip_id)) if trip_id else None
        if is_alert:
            action = str(event.get("action", "updated"))
            self.publish(f"alert.{action}", {**event, "action": action}, owner=owner)
        else:
            data: dict[str, Any] = {k: event[k] for k in TRIP_STATE_KEYS if k in event}
            self.publish("trip.state", data, owner=owner)

    # -- subscribing (an event loop) ---------------------------------------------------------

    def subscribe(self, actor: Actor, *, after: int | None = None) -> Subscription:
        """A new stream; with `after`, the recent events it missed are queued first."""
        subscription = Subscription(actor, asyncio.get_running_loop(), self._queue_size)
        with self._lock:
            self._subscriptions.add(subscription)
            missed = [e for e in self._recent if after is not None and e.seq > after]
        for event in missed:
            subscription.offer(event)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def close(self) -> None:
        """Server shutdown: every open stream ends, so the server need not wait for them."""
        with self._lock:
            targets, self._subscriptions = list(self._subscriptions), set()
        for subscription in targets:
            subscription.close()

    def stats(self) -> dict[str, int]:
        with self._lock:
            subscriptions = list(self._subscriptions)
        return {
            "published": self.published,
            "subscribers": len(subscriptions),
            "dropped": sum(s.dropped for s in subscriptions),
        }

    # -- bus subscribers ---------------------------------------------------------------------

    def _on_lodged(self, event: object) -> None:
        assert isinstance(event, de.DeclarationLodged)
        owner = (event.enterprise_uscc, event.declaring_agent_uscc)
        self._owners[event.declaration_id] = owner
        self.publish(
            "declaration.lodged",
            {"declaration_id": event.declaration_id, "at": _iso(event.at)},
            owner=owner,
        )

    def _on_declaration(self, event: object) -> None:
        data = _fields(event)
        name = {
            de.DeclarationAssessed: "declaration.assessed",
            de.DeclarationStatusChanged: "declaration.status",
            de.DeclarationReleased: "declaration.released",
        }[type(event)]
        owner = self._owner(str(data["declaration_id"]), None)
        self.publish(name, data, owner=owner)

    def _on_trip(self, event: object) -> None:
        data = _fields(event)
        name = {se.TripArmed: "trip.armed", se.TripClosed: "trip.closed"}.get(
            type(event), "alert.opened"
        )
        declaration = data.get("declaration_id")
        owner = self._owner(str(declaration) if declaration else None, str(data["trip_id"]))
        self.publish(name, data, owner=owner)

    def _on_alert_handled(self, event: object) -> None:
        """`id` is the alert's key, as the screen's alert list names its items."""
        assert isinstance(event, se.AlertHandled)
        data = {
            "id": event.alert_key,
            "trip_id": event.trip_id,
            "state": event.state,
            "at": _iso(event.at),
        }
        self.publish("alert.handled", data, owner=self._owner(None, event.trip_id))

    def _on_visit(self, event: object) -> None:
        """A truck through the gate or moved in the yard: the visit's new status."""
        assert isinstance(event, ye.VisitChanged)
        owner = self._owner(event.declaration_id, None) if event.declaration_id else None
        self.publish("visit.changed", _fields(event), owner=owner)

    def _owner(self, declaration_id: str | None, trip_id: str | None) -> Owner | None:
        key = declaration_id or f"trip:{trip_id}"
        if key in self._owners:
            return self._owners[key]
        owner = self._owner_of(declaration_id, trip_id) if self._owner_of else None
        if len(self._owners) > 10_000:  # a cache, not a ledger
            self._owners.clear()
        self._owners[key] = owner
        return owner


def _fields(event: object) -> dict[str, Any]:
    assert dataclasses.is_dataclass(event) and not isinstance(event, type)
    values = dataclasses.asdict(event)
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _iso(value: datetime) -> str:
    return value.isoformat()
