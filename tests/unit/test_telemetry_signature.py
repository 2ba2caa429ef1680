"""Signed JSON telemetry: the documented test vector, forgeries and malformed messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from landport.seals.model import LockState
from landport.seals.telemetry import Rejected, parse, sign, signed, topic_for, verify

SECRET = "0123456789abcdef0123456789abcdef"
MESSAGE = {
    "seq": 42,
    "fix_time": "2026-05-12T03:04:05Z",
    "lat": 29.085,
    "lon": 87.637,
    "speed_kmh": 48.5,
    "course": 245,
    "lock_state": "locked",
    "tamper": False,
    "battery_pct": 87,
}


def publish(message: dict[str, object], seal: str = "EL-0001") -> tuple[str, bytes]:
    return topic_for(seal), json.dumps(message).encode()


def test_the_documented_vector_signs_as_published() -> None:
    expected = "953bab3c1325f2fa3f3427fdb8ea76970846fc7b8936e2621d82a2ccfad265e6"
    assert sign(MESSAGE, SECRET) == expected


def test_a_signed_message_yields_its_fix_in_utc() -> None:
    fix = verify(parse(*publish(signed(MESSAGE, SECRET))), SECRET)
    assert fix.seal_id == "EL-0001" and fix.seq == 42
    assert fix.fix_time == datetime(2026, 5, 12, 3, 4, 5, tzinfo=UTC)
    assert fix.lock_state is LockState.LOCKED and fix.tamper is False


def test_any_change_after_signing_is_rejected() -> None:
    message = signed(MESSAGE, SECRET)
    message["lock_state"] = "opened"
    with pytest.raises(Rejected) as rejected:
        verify(parse(*publish(message)), SECRET)
    assert rejected.value.reason == "bad_signature"


def test_the_wrong_key_is_rejected() -> None:
    with pytest.raises(Rejected, match="bad_signature"):
        verify(parse(*publish(signed(MESSAGE, "another-secret-of-16+"))), SECRET)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("landport/v1/seals/telemetry", b"{}", "bad_topic"),
        ("landport/v1/seals/EL-1/telemetry", b"not json", "not_json"),
        ("landport/v1/seals/EL-1/telemetry", b"[1, 2]", "not_an_object"),
        ("landport/v1/seals/EL-1/telemetry", b'{"seq": 1}', "missing_fields"),
    ],
)
def test_malformed_messages_are_rejected_with_a_reason(
    topic: str, payload: bytes, reason: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        parse(topic, payload)
    assert rejected.value.reason == reason


def test_a_correctly_signed_message_with_bad_values_is_still_rejected() -> None:
    message = signed({**MESSAGE, "lat": 123.0}, SECRET)
    with pytest.raises(Rejected, match="bad_values"):
        verify(parse(*publish(message)), SECRET)
