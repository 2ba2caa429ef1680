"""The fast paths of signed telemetry must say exactly what the general ones say.

The twin writes the canonical bytes of a fix directly (`fix_canonical`) and splices `sig` in
(`with_signature`); `verify` checks the HMAC over the received bytes of a message in
canonical layout instead of re-encoding it. Both are compared here with the general
encoder and the general check, on random fixes and on messages built to break them.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from landport.seals.model import LockState, SealFix
from landport.seals.telemetry import (
    Envelope,
    Rejected,
    canonical,
    parse,
    sign,
    sign_canonical,
    signed,
    topic_for,
    verify,
    with_signature,
)
from landport.simulation.elocks import fix_canonical, fix_message

SECRET = "0123456789abcdef0123456789abcdef"
TOPIC = topic_for("EL-0001")


def random_fix(rng: random.Random) -> SealFix:
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 3e8))
    if rng.random() < 0.2:
        when = when.replace(microsecond=0)
    if rng.random() < 0.1:
        when = when.astimezone(timezone(timedelta(hours=8)))
    return SealFix(
        seal_id="EL-0001",
        seq=rng.choice([0, 1, rng.randrange(10**12)]),
        fix_time=when,
        lat=rng.choice([0.0, -0.0, rng.uniform(-90, 90), 29.085, -1e-7]),
        lon=rng.choice([rng.uniform(-180, 180), 180.0, -180.0, 87.6]),
        speed_kmh=rng.choice([0.0, rng.uniform(0, 130), -rng.uniform(0, 5), 1e17]),
        course=rng.choice([0.0, rng.uniform(0, 360), -rng.uniform(0, 360), 359.5]),
        lock_state=rng.choice(list(LockState)),
        tamper=rng.random() < 0.5,
        battery_pct=rng.choice([None, 0.0, rng.uniform(0, 100), -rng.uniform(0, 3), 100.0]),
    )


def test_fix_canonical_writes_what_the_canonical_encoder_writes() -> None:
    rng = random.Random(808)
    for _ in range(20_000):
        fix = random_fix(rng)
        assert fix_canonical(fix) == canonical(fix_message(fix)), fix


def test_fix_canonical_follows_the_encoder_for_values_it_does_not_expect() -> None:
    base = random_fix(random.Random(1))
    for odd in (
        SealFix(**{**_fields(base), "lat": math.nan}),
        SealFix(**{**_fields(base), "lon": math.inf}),
        SealFix(**{**_fields(base), "seq": True}),
        SealFix(**{**_fields(base), "battery_pct": 1e300}),
    ):
        assert fix_canonical(odd) == canonical(fix_message(odd))


def _fields(fix: SealFix) -> dict[str, object]:
    return {name: getattr(fix, name) for name in SealFix.__slots__}


def test_the_spliced_message_is_the_signed_message_and_verifies() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        fix = random_fix(rng)
        payload = with_signature(fix_canonical(fix), SECRET)
        assert json.loads(payload) == signed(fix_message(fix), SECRET)
        assert sign_canonical(fix_canonical(fix), SECRET) == sign(fix_message(fix), SECRET)
        if -90 <= fix.lat <= 90 and -180 <= fix.lon <= 180:
            assert verify(parse(TOPIC, payload), SECRET).seq == fix.seq


# -- the verify fast path -------------------------------------------------------------------


def general(payload: bytes, secret: str = SECRET) -> object:
    """What the general path (parse as JSON, re-encode, compare) says about a payload."""
    try:
        envelope = parse(TOPIC, payload)
        envelope = Envelope(envelope.seal_id, envelope.body)  # reading the body: general
        return verify(envelope, secret)
    except Rejected as exc:
        return ("rejected", exc.reason, str(exc))


def fast(payload: bytes, secret: str = SECRET) -> object:
    try:
        return verify(parse(TOPIC, payload), secret)
    except Rejected as exc:
        return ("rejected", exc.reason, str(exc))


def canonical_payload(fix: SealFix, secret: str = SECRET) -> bytes:
    return with_signature(canonical(fix_message(fix)), secret)


DOC_EXAMPLE = {
    "battery_pct": 87,
    "course": 245,
    "fix_time": "2026-05-12T03:04:05Z",
    "lat": 29.085,
    "lock_state": "locked",
    "lon": 87.637,
    "seq": 42,
    "speed_kmh": 48.5,
    "tamper": False,
}


def test_the_documented_example_takes_the_fast_path_and_is_accepted() -> None:
    payload = with_signature(canonical(DOC_EXAMPLE), SECRET)
    assert payload.endswith(
        b',"sig":"953bab3c1325f2fa3f3427fdb8ea76970846fc7b8936e2621d82a2ccfad265e6"}'
    )
    envelope = parse(TOPIC, payload)
    assert envelope._wire is not None  # the fast path
    fix = verify(envelope, SECRET)
    assert fix == general(payload)
    assert (fix.seq, fix.lat, fix.battery_pct, fix.lock_state) == (42, 29.085, 87.0, "locked")


def test_fast_and_general_paths_agree_on_random_fixes_and_random_damage() -> None:
    rng = random.Random(42)
    for _ in range(3_000):
        payload = canonical_payload(random_fix(rng))
        assert fast(payload) == general(payload)
        damaged = bytearray(payload)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(damaged))
            action = rng.random()
            if action < 0.5:
                damaged[at] = rng.choice(b'0123456789.-,:"{}abcdefnulrt ')
            elif action < 0.75:
                del damaged[at]
            else:
                damaged.insert(at, rng.choice(b'0 ".,5e-'))
        altered = bytes(damaged)
        assert fast(altered) == general(altered), altered


def test_every_single_character_change_is_rejected_or_means_the_same() -> None:
    payload = with_signature(canonical(DOC_EXAMPLE), SECRET)
    reference = fast(payload)
    for at in range(len(payload)):
        for byte in b'09af.-"}, ':
            altered = payload[:at] + bytes([byte]) + payload[at + 1 :]
            outcome = fast(altered)
            assert outcome == general(altered)
            if altered != payload and not isinstance(outcome, tuple):
                # accepted only if it still says the same thing (e.g. 87 -> 87 with a space)
                assert outcome == reference, altered


def test_reordered_keys_and_spaces_are_still_verified_the_general_way() -> None:
    message = signed(DOC_EXAMPLE, SECRET)
    for payload in (
        json.dumps(message).encode(),
        json.dumps(dict(reversed(list(message.items())))).encode(),
        json.dumps(message, indent=2).encode(),
        with_signature(canonical(DOC_EXAMPLE), SECRET) + b"\n",
    ):
        envelope = parse(TOPIC, payload)
        assert envelope._wire is None
        assert verify(envelope, SECRET) == general(with_signature(canonical(DOC_EXAMPLE), SECRET))


def test_an_altered_value_or_another_key_is_a_bad_signature() -> None:
    payload = with_signature(canonical(DOC_EXAMPLE), SECRET)
    for old, new in ((b'"lat":29.085', b'"lat":29.086'), (b'"seq":42', b'"seq":43')):
        assert fast(payload.replace(old, new))[:2] == ("rejected", "bad_signature")
    assert fast(payload, "another-secret-of-the-lock")[:2] == ("rejected", "bad_signature")
    upper = payload[:-66] + payload[-66:-2].upper() + payload[-2:]
    assert fast(upper)[:2] == ("rejected", "bad_signature")


def test_bytes_signed_in_a_non_canonical_form_are_rejected_as_documented() -> None:
    """A device that signs `29.0850` (or spaces, or another order) is refused, even when it
    sends exactly the bytes it signed: the signature is over the canonical form only."""
    for unsigned in (
        canonical(DOC_EXAMPLE).replace(b"29.085", b"29.0850"),
        canonical(DOC_EXAMPLE).replace(b'"speed_kmh":48.5', b'"speed_kmh":48.50'),
        canonical(DOC_EXAMPLE).replace(b'"course":245', b'"course":-0'),
        canonical(DOC_EXAMPLE).replace(b'"course":245', b'"course":2.45e2'),
        canonical(DOC_EXAMPLE).replace(b'"lat":29.085,', b'"lat": 29.085,'),
        canonical(DOC_EXAMPLE).replace(b'"battery_pct":87', b'"battery_pct":87,"battery_pct":9'),
    ):
        payload = with_signature(unsigned, SECRET)
        assert fast(payload)[:2] == ("rejected", "bad_signature"), unsigned
        assert fast(payload) == general(payload)


def test_a_canonical_signature_on_a_differently_written_number_is_accepted() -> None:
    """The other side of the rule: the platform re-encodes, so `29.0850` on the wire with a
    signature over `29.085` is accepted, as it always was."""
    good = with_signature(canonical(DOC_EXAMPLE), SECRET)
    for old, new in ((b"29.085", b"29.0850"), (b"48.5", b"48.500")):
        payload = good.replace(old, new)
        assert parse(TOPIC, payload)._wire is not None  # the layout matches, the numbers not
        assert fast(payload) == general(payload) == general(good)


def test_a_duplicated_sig_or_trailing_bytes_are_judged_as_before() -> None:
    good = with_signature(canonical(DOC_EXAMPLE), SECRET)
    sig = good[-66:-2]
    twice = good[:-1] + b',"sig":"' + sig + b'"}'
    forged_first = good[:-68] + b'"' + b"0" * 64 + b'","sig":"' + sig + b'"}'
    forged_last = good[:-1] + b',"sig":"' + b"0" * 64 + b'"}'
    for payload in (twice, forged_first, forged_last, good + b"x", good + b"}", b" " + good):
        assert fast(payload) == general(payload), payload
    assert fast(forged_last)[:2] == ("rejected", "bad_signature")
    assert fast(good + b"x")[:2] == ("rejected", "not_json")


def test_values_rejected_after_a_good_signature_keep_their_reason_and_detail() -> None:
    for change in (
        {"lat": 91.5},
        {"lon": -180.5},
        {"lock_state": "ajar"},
        {"fix_time": "2026-05-12T03:04:05"},
        {"fix_time": "yesterday"},
        {"seq": -1},
        {"tamper": None},
    ):
        payload = with_signature(canonical({**DOC_EXAMPLE, **change}), SECRET)
        outcome = fast(payload)
        assert outcome == general(payload)
        assert isinstance(outcome, tuple) and outcome[1] == "bad_values", change


def test_a_body_changed_after_parsing_is_verified_as_changed() -> None:
    envelope = parse(TOPIC, with_signature(canonical(DOC_EXAMPLE), SECRET))
    envelope.body["lat"] = 30.0
    with pytest.raises(Rejected, match="bad_signature"):
        verify(envelope, SECRET)


def test_non_ascii_and_escaped_text_take_the_general_path() -> None:
    for text in ("2026-05-12T03:04:05Z\u00e9", 'lo"cked', "locked\\", "locked\n"):
        payload = with_signature(canonical({**DOC_EXAMPLE, "lock_state": text}), SECRET)
        assert parse(TOPIC, payload)._wire is None
        assert fast(payload) == general(payload)
