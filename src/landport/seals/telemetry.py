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
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from landport.seals.model import LOCK_STATES, SEAL_ID, LockState, SealFix

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
#: The longest seal id a topic may name (the column that stores it).
SEAL_ID_MAX = 40
#: The largest sequence number a store can keep (a signed 64-bit integer).
SEQ_MAX = 2**63 - 1
#: A device's clock is set by the satellites; a fix dated further ahead than this is a
#: broken clock. Stored, it would make every later real fix look late and silence the
#: signal-lost check for the trip.
FUTURE_TOLERANCE = timedelta(minutes=5)


def topic_for(seal_id: str) -> str:
    return f"{TOPIC_PREFIX}{seal_id}{TOPIC_SUFFIX}"


def seal_of_topic(topic: str) -> str | None:
    if topic.startswith(TOPIC_PREFIX) and topic.endswith(TOPIC_SUFFIX):
        seal_id = topic[len(TOPIC_PREFIX) : -len(TOPIC_SUFFIX)]
        return seal_id if SEAL_ID.fullmatch(seal_id) else None  # else it names no seal
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
    return sign_canonical(canonical(message), secret)


def sign_canonical(data: bytes, secret: str) -> str:
    """`sign` for bytes already in canonical form (a sender that formats them itself)."""
    mac = _keyed(secret).copy()
    mac.update(data)
    return mac.hexdigest()


def with_signature(data: bytes, secret: str) -> bytes:
    """The message to publish from its canonical bytes (an object with at least one key):
    `sig` spliced in before the closing brace, so the body is encoded once, not twice; the
    result is in the layout `verify` checks without re-encoding."""
    return b'%s,"sig":"%s"}' % (data[:-1], sign_canonical(data, secret).encode())


def signed(message: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """The message with its `sig` added: what a device (or the simulator) publishes."""
    return {**message, "sig": sign(message, secret)}


class Rejected(Exception):
    """A telemetry message that is never applied; it goes to the dead-letter store."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class Envelope:
    """A received message before its signature is checked.

    A message in the canonical layout (`_CANONICAL_LAYOUT`) is kept as received, so that
    `verify` checks the HMAC over the received bytes instead of re-encoding the parsed body;
    the body is parsed only when asked for, and from then on verified the general way.
    """

    __slots__ = ("_body", "_wire", "seal_id")

    def __init__(self, seal_id: str, body: dict[str, Any]) -> None:
        self.seal_id = seal_id
        self._body = body
        self._wire: tuple[bytes, re.Match[str]] | None = None

    @property
    def body(self) -> dict[str, Any]:
        if self._wire is not None:  # a reader may change it: verified as it then is
            self._body = json.loads(self._wire[0])
            self._wire = None
        return self._body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.seal_id == other.seal_id and self.body == other.body

    __hash__ = None  # type: ignore[assignment]  # a dict inside, as before

    def __repr__(self) -> str:
        return f"Envelope(seal_id={self.seal_id!r}, body={self.body!r})"


_NUMBER = r"(-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?)"  # canonical if `_number` agrees
_TEXT = r'"([ !#-\[\]-~]*)"'  # printable ASCII needing no escape: canonical as written
#: A message as `canonical()` writes it (exactly the required keys, sorted, no spaces), then
#: `sig` in lower-case hex: the bytes before `,"sig"` plus "}" are then what was signed.
_CANONICAL_LAYOUT = re.compile(
    r'\{"battery_pct":(null|' + _NUMBER[1:-1] + r'),"course":' + _NUMBER
    + r',"fix_time":' + _TEXT + r',"lat":' + _NUMBER + r',"lock_state":' + _TEXT
    + r',"lon":' + _NUMBER + r',"seq":(0|[1-9][0-9]{0,17}),"speed_kmh":' + _NUMBER
    + r',"tamper":(true|false)(,"sig":"([0-9a-f]{64})"\})'
)  # fmt: skip


def _number(token: str) -> float:
    """The value of a number token written canonically (ValueError otherwise), as a float."""
    if "." in token:
        value = float(token)
        if float.__repr__(value) != token:  # e.g. 29.0850: not what the device signed
            raise ValueError(token)
        return value
    if token == "-0":  # JSON reads 0, written "0"
        raise ValueError(token)
    return float(int(token))


def parse(topic: str, payload: bytes) -> Envelope:
    """Topic and JSON shape; the signature is checked by `verify` with the seal's secret."""
    seal_id = seal_of_topic(topic)
    if seal_id is None:
        raise Rejected("bad_topic", topic[:200])
    try:
        text = payload.decode("ascii")
    except (UnicodeDecodeError, AttributeError):
        text = ""
    match = _CANONICAL_LAYOUT.fullmatch(text)
    if match is not None:  # a JSON object with every required field
        envelope = Envelope(seal_id, {})
        envelope._wire = (payload, match)
        return envelope
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
    if envelope._wire is not None:
        fix = _verify_canonical(envelope.seal_id, *envelope._wire, secret)
        if fix is not None:
            return fix
    body = envelope.body
    sig = body.get("sig")
    if not isinstance(sig, str) or not hmac.compare_digest(sig, sign(body, secret)):
        raise Rejected("bad_signature")
    try:
        seq = body["seq"]
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= SEQ_MAX:
            raise ValueError("seq must be an integer from 0 to 2^63-1")
        fix_time = datetime.fromisoformat(str(body["fix_time"]).replace("Z", "+00:00"))
        if fix_time.tzinfo is None:
            raise ValueError("fix_time must carry a UTC offset")
        fix_time = fix_time.astimezone(UTC)  # year 1 or 9999 with an offset overflows
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
    except (ValueError, TypeError, OverflowError) as exc:
        raise Rejected("bad_values", str(exc)[:200]) from None
    return SealFix(
        seal_id=envelope.seal_id,
        seq=seq,
        fix_time=fix_time,
        lat=lat,
        lon=lon,
        speed_kmh=speed,
        course=course,
        lock_state=lock,
        tamper=body["tamper"],
        battery_pct=battery,
        source="mqtt",
    )


def _verify_canonical(
    seal_id: str, payload: bytes, match: re.Match[str], secret: str
) -> SealFix | None:
    """`verify` for a message in canonical layout, without re-encoding it.

    Every number must be in its canonical form too; then the bytes before `,"sig"` plus "}"
    are exactly `canonical()` of the parsed message, and the HMAC over them is the general
    check. None sends the message the general way: a number written otherwise, or a value
    to reject (whose reason and detail come from there, as always).
    """
    battery, course, fix_time, lat, lock, lon, seq, speed, tamper, _tail, sig = match.groups()
    try:
        numbers = (_number(lat), _number(lon), _number(speed), _number(course))
        level = None if battery == "null" else _number(battery)
    except ValueError:
        return None
    if not hmac.compare_digest(sig, sign_canonical(payload[: match.start(10)] + b"}", secret)):
        raise Rejected("bad_signature")
    try:
        when = datetime.fromisoformat(fix_time.replace("Z", "+00:00"))
        at = when.astimezone(UTC) if when.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
    state = LOCK_STATES.get(lock)
    la, lo = numbers[0], numbers[1]
    if at is None or state is None or not (-90 <= la <= 90 and -180 <= lo <= 180):
        return None
    return SealFix(
        seal_id=seal_id,
        seq=int(seq),
        fix_time=at,
        lat=la,
        lon=lo,
        speed_kmh=numbers[2],
        course=numbers[3],
        lock_state=state,
        tamper=tamper == "true",
        battery_pct=level,
        source="mqtt",
    )


def ahead_of_clock(fix: SealFix, now: datetime, tolerance: timedelta = FUTURE_TOLERANCE) -> bool:
    """A fix dated in the future (beyond `tolerance`): refused as `fix_in_future`."""
    return fix.fix_time > now + tolerance
