"""Live events as server-sent events: what changed, pushed to screens within a second."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from landport.adapters.live_events import LiveEvent, LiveEventHub, Subscription
from landport.entrypoints.web.deps import AnyUser, Staff, oauth2, token_withdrawn

router = APIRouter(prefix="/api/v1/events", tags=["live"])

#: The hub's counters are port-wide activity, so they are for staff, not declarants.
StatsReader = Staff

KEEPALIVE_S = 15.0
#: A stream ends after this long and the browser reconnects with Last-Event-ID (nothing is
#: lost), so a server shutting down never waits long for open screens.
STREAM_LIFETIME_S = 60.0
#: How often an open stream asks whether its session was withdrawn (logged out, the account
#: deactivated or its password reset): a deactivated person's screen goes dark within this.
SESSION_CHECK_S = 5.0
#: An event id the hub could have sent: decimal digits, at most a 64-bit number's 19.
_EVENT_ID = re.compile(r"[0-9]{1,19}")


def hub_of(request: Request) -> LiveEventHub:
    hub: LiveEventHub = request.app.state.live_events
    return hub


@router.get("/stream")
async def stream(
    request: Request,
    actor: AnyUser,
    token: Annotated[str | None, Depends(oauth2)],
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            description="the last `id` received: the recent events after it are sent first",
        ),
    ] = None,
) -> StreamingResponse:
    """Every role; a declarant receives only the events of its own enterprise's declarations
    (as consignor, or as the customs broker that lodged them).

    Event names: declaration.lodged|assessed|status|released, trip.armed|state|closed,
    alert.opened|updated|closed, positions.changed; `data` is JSON. A `Last-Event-ID` that
    is not an id this server sends (not 1 to 19 digits) is ignored: the stream starts from
    now, as for a first connection. A stream whose session is withdrawn meanwhile (logged
    out, the account deactivated, its password reset) sends `session.ended` and ends within
    a few seconds; reconnecting is then refused.
    """
    hub = hub_of(request)
    subscription = hub.subscribe(actor, after=resume_after(last_event_id))
    return StreamingResponse(
        _frames(request, hub, subscription, token),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def resume_after(last_event_id: str | None) -> int | None:
    """The event id to resume after, or None (start from now) for a missing or unusable one.

    A browser sends back the id it last received; anything else (garbage, an id too long to
    be ours) cannot name a place in the stream, and refusing it would only make the browser
    retry the same header forever."""
    if last_event_id is None or _EVENT_ID.fullmatch(last_event_id) is None:
        return None
    return int(last_event_id)


@router.get("/stats")
def stats(request: Request, actor: StatsReader) -> dict[str, Any]:
    """How many events went out and how many a slow screen missed (dropped oldest first);
    staff only: the counts are the whole port's activity."""
    return hub_of(request).stats()


async def _frames(
    request: Request, hub: LiveEventHub, subscription: Subscription, token: str | None
) -> AsyncIterator[str]:
    ends = time.monotonic() + STREAM_LIFETIME_S
    check_at = time.monotonic() + SESSION_CHECK_S
    reported_drops = 0
    try:
        yield "retry: 1000\n: connected\n\n"
        while not subscription.closed and time.monotonic() < ends:
            wait = max(0.0, min(KEEPALIVE_S, check_at - time.monotonic()))
            batch = await subscription.next_batch(wait)
            if await request.is_disconnected():
                break
            if time.monotonic() >= check_at:
                check_at = time.monotonic() + SESSION_CHECK_S
                if token is not None and await _withdrawn(request, token):
                    yield _frame("session.ended", {}, None)
                    break
            if subscription.dropped > reported_drops:
                reported_drops = subscription.dropped
                yield _frame("stream.dropped", {"dropped": reported_drops}, None)
            if not batch:
                yield ": keepalive\n\n"
            for event in batch:
                yield _frame(event.type, event.data, event)
    finally:
        hub.unsubscribe(subscription)


async def _withdrawn(request: Request, token: str) -> bool:
    """`token_withdrawn` off the event loop: it reads the database."""
    withdrawn: bool = await run_in_threadpool(token_withdrawn, request, token)
    return withdrawn


def _frame(name: str, data: dict[str, Any], event: LiveEvent | None) -> str:
    head = f"id: {event.seq}\n" if event else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
