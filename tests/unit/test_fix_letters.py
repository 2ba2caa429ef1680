"""A fix from an authenticated channel kept whole as a dead letter, and read back."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime

from landport.adapters.telemetry.ingest import FIX_LETTER_PREFIX, fix_letter, fix_of_letter
from landport.seals.model import LockState, SealFix

FIX = SealFix(
    seal_id="EL-808-01",
    seq=2**62 + 7,
    fix_time=datetime(2026, 5, 2, 8, 0, 30, tzinfo=UTC),
    lat=29.125,
    lon=85.5,
    speed_kmh=0.0,
    course=271.0,
    lock_state=LockState.OPENED,
    tamper=True,
    battery_pct=None,
    source="jt808",
    positioned=False,
)


def test_a_fix_letter_keeps_every_field_under_its_name_and_reads_back_as_the_fix() -> None:
    letter = fix_letter(FIX)
    assert letter.topic == f"{FIX_LETTER_PREFIX}EL-808-01"
    body = json.loads(letter.payload)
    assert list(body) == [f.name for f in fields(SealFix)]
    assert (body["fix_time"], body["lock_state"]) == ("2026-05-02T08:00:30+00:00", "opened")
    assert fix_of_letter(letter.payload) == FIX
    assert fix_of_letter(fix_letter(FIX).payload) == FIX
