"""Signed JSON telemetry from e-locks: canonical form, signature check, and the fix it carries.

The signature is HMAC-SHA256 with the seal's secret over the canonical message: the message
without `sig`, keys sorted, separators ',' and ':' with no spaces, UTF-8, non-ASCII kept as is;
`sig` is lower-case hex (docs/telemetry.md, for device vendors).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from landport.seals.model import LockState, SealFix

TOPIC_PREFIX = "landport/v1/seals/"
TOPIC_SUFFIX = "/telemetry"
REQUIRED = (
    "seq",
    "fix_time",
    "lat",
    "lon",
    "speed_kmh",
    "course",
    "lock_state",
    "tamper",
    "battery_pct",
    "sig",
)


_REQUIRED_SET = frozenset(REQUIRED)


def topic_for(seal_id: str) -> str:
    return f"{TOPIC_PREFIX}{seal_id}{TOPIC_SUFFIX}"


def seal_of_topic(topic: str) -> str | None:
    if topic.startswith(TOPIC_PREFIX) and topic.endswith(TOPIC_SUFFIX):
        seal_id = topic[len(TOPIC_PREFIX) : -len(TOPIC_SUFFIX)]
        return seal_id if seal_id and "/" not in seal_id else None
    return None


#: One encoder for every message: `json.dumps` with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(message: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: everything but `sig`, keys sorted, no spaces."""
    unsigned = {k: v for k, v in message.items() if k != "sig"}
    return _CANONICAL.encode(unsigned).encode()


@lru_cache(maxsize=16_384)
def _keyed(secret: str) -> hmac.HMAC:
    """The seal's HMAC with its key already absorbed: a message then costs a copy, not the
    key schedule (the hot path verifies every fix of every seal)."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def sign(message: Mapping[str, Any], secret: str) -> str:
    """Lower-case hex HMAC-SHA256 of the canonical message."""
    mac = _keyed(secret).copy()
    mac.update(canonical(message))
    return mac.hexdigest()


def signed(message: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """The message with its `sig` added: what a device (or the simulator) publishes."""
    return {**message, "sig": sign(message, secret)}


class Rejected(Exception):
    """A telemetry message that is never applied; it goes to the dead-letter store."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Envelope:
    """A received message before its signature is checked."""

    seal_id: str
    body: dict[str, Any]


def parse(topic: str, payload: bytes) -> Envelope:
    """Topic and JSON shape; the signature is checked by `verify` with the seal's secret."""
    seal_id = seal_of_topic(topic)
    if seal_id is None:
        raise Rejected("bad_topic", topic[:200])
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected("not_json", str(exc)[:200]) from None
    if not isinstance(body, dict):
        raise Rejected("not_an_object")
    if not body.keys() >= _REQUIRED_SET:
        raise Rejected("missing_fields", ",".join(k for k in REQUIRED if k not in body))
    return Envelope(seal_id, body)


def verify(envelope: Envelope, secret: str) -> SealFix:
    """Check the signature first, then the values; a forged message never reaches the core."""
    body = envelope.body
    sig = body.get("sig")
    if not isinstance(sig, str) or not hmac.compare_digest(sig, sign(body, secret)):
        raise Rejected("bad_signature")
    try:
        seq = body["seq"]
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise ValueError("seq must be a non-negative integer")
        fix_time = datetime.fromisoformat(str(body["fix_time"]).replace("Z", "+00:00"))
        if fix_time.tzinfo is None:
            raise ValueError("fix_time must carry a UTC offset")
        lat, lon = float(body["lat"]), float(body["lon"])
        speed, course = float(body["speed_kmh"]), float(body["course"])
        battery = None if body["battery_pct"] is None else float(body["battery_pct"])
        # the range test also refuses a NaN or infinite lat/lon
        in_range = -90 <= lat <= 90 and -180 <= lon <= 180
        if not (in_range and math.isfinite(speed) and math.isfinite(course)):
            raise ValueError("position out of range")
        if not isinstance(body["tamper"], bool):
            raise ValueError("tamper must be true or false")
        lock = LockState(body["lock_state"])
    except (ValueError, TypeError) as exc:
        raise Rejected("bad_values", str(exc)[:200]) from None
    return SealFix(
        seal_id=envelope.seal_id,
        seq=seq,
        fix_time=fix_time.astimezone(UTC),
        lat=lat,
        lon=lon,
        speed_kmh=speed,
        course=course,
        lock_state=lock,
        tamper=body["tamper"],
        battery_pct=battery,
        source="mqtt",
    )
