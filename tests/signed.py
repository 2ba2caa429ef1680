"""Signed JSON telemetry messages, as an e-lock publishes them."""

from __future__ import annotations

import json

from landport.adapters.telemetry.ingest import RawMessage
from landport.seals.model import SealFix
from landport.seals.telemetry import signed, topic_for

SECRET = "s3cret-key-of-the-e-lock-0001"


def message(fix: SealFix, secret: str = SECRET) -> RawMessage:
    body = {
        "seq": fix.seq,
        "fix_time": fix.fix_time.isoformat().replace("+00:00", "Z"),
        "lat": fix.lat,
        "lon": fix.lon,
        "speed_kmh": fix.speed_kmh,
        "course": fix.course,
        "lock_state": fix.lock_state.value,
        "tamper": fix.tamper,
        "battery_pct": fix.battery_pct,
    }
    return RawMessage(topic_for(fix.seal_id), json.dumps(signed(body, secret)).encode())
