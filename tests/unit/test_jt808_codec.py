"""JT/T 808 codec: hand-built frames, round trips in both editions, damage, vendor tables."""

from __future__ import annotations

import contextlib
import struct
from datetime import UTC, datetime
from functools import reduce
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landport.seals.jt808 import (
    Authentication,
    BatchLocation,
    ChecksumError,
    Edition,
    EscapeError,
    FrameError,
    FrameSplitter,
    Header,
    Heartbeat,
    LocationReport,
    Message,
    PlatformResponse,
    RawBody,
    Registration,
    RegistrationResponse,
    TerminalResponse,
    TruncatedError,
    decode_hex,
    decode_message,
    encode,
    encode_message,
    escape,
    unescape,
)
from landport.seals.jt808.codec import body_msg_id
from landport.seals.jt808.messages import Body, Logout
from landport.seals.jt808.vendors import (
    UnknownVendor,
    read_seal,
    to_fixes,
    vendor_profile,
)
from landport.seals.model import LockState

# 0x0200, 2013 header, phone 013912345678, serial 1; positioned; 29.652 N 91.172 E (Lhasa),
# 3650 m, 42.5 km/h, course 90, 2024-05-01 12:00:00 Beijing time; check code D6.
LHASA_2013 = (
    "7E 02 00 00 1C 01 39 12 34 56 78 00 01 00 00 00 00 00 00 00 02 01 C4 74 20 05 6F 2C A0"
    " 0E 42 01 A9 00 5A 24 05 01 12 00 00 D6 7E"
)
HEARTBEAT_2013 = "7E 00 02 00 00 01 39 12 34 56 78 00 09 3B 7E"
HEARTBEAT_2019 = "7E 00 02 40 00 01 00 00 00 00 01 39 12 34 56 78 00 0A 79 7E"

NOON_BEIJING = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)


def frame_of(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text.replace(" ", ""))


def with_check(payload: bytes) -> bytes:
    """Frame a header+body by hand, independent of the codec under test."""
    check = reduce(lambda a, b: a ^ b, payload, 0)
    return b"\x7e" + escape(payload + bytes([check])) + b"\x7e"


def report(**changes: object) -> LocationReport:
    fields: dict[str, object] = {"lat": 29.652, "lon": 91.172, "fix_time": NOON_BEIJING}
    fields.update(changes)
    return LocationReport.at(**fields)  # type: ignore[arg-type]


# --- hand-built frames -------------------------------------------------------------------


def test_a_hand_built_2013_location_report_reads_as_the_standard_says() -> None:
    message = decode_message(frame_of(LHASA_2013))
    body = message.body
    assert message.header == Header(0x0200, "13912345678", 1, Edition.V2013)
    assert isinstance(body, LocationReport)
    assert (body.lat, body.lon) == (29.652, 91.172)
    assert (body.altitude_m, body.speed_kmh, body.course) == (3650, 42.5, 90)
    assert body.positioned


def test_the_encoder_builds_the_hand_built_frame_byte_for_byte() -> None:
    body = LocationReport(0, 0b10, 29_652_000, 91_172_000, 3650, 425, 90, NOON_BEIJING)
    assert encode(body, terminal="13912345678", serial=1) == frame_of(LHASA_2013)


def test_beijing_time_on_the_wire_becomes_aware_utc() -> None:
    body = decode_message(frame_of(LHASA_2013)).body
    assert isinstance(body, LocationReport)
    assert body.fix_time == datetime(2024, 5, 1, 4, 0, tzinfo=UTC)


def test_a_fix_taken_before_8am_beijing_time_falls_on_the_previous_utc_day() -> None:
    early = report(fix_time=datetime(2024, 4, 30, 19, 30, 5, tzinfo=UTC))
    frame = encode(early, terminal="1", serial=1)
    assert bytes.fromhex("240501033005") in frame
    decoded = decode_message(frame).body
    assert isinstance(decoded, LocationReport)
    assert decoded.fix_time == datetime(2024, 4, 30, 19, 30, 5, tzinfo=UTC)


def test_south_and_west_status_bits_make_coordinates_negative() -> None:
    body = report(lat=-33.8688, lon=-70.6693)
    assert body.status & 0b1100 == 0b1100
    decoded = decode_message(encode(body, terminal="1", serial=1)).body
    assert isinstance(decoded, LocationReport)
    assert (decoded.lat, decoded.lon) == (-33.8688, -70.6693)
    assert decoded.latitude_e6 == 33_868_800


def test_2013_and_2019_heartbeats_name_the_same_terminal() -> None:
    old, new = decode_message(frame_of(HEARTBEAT_2013)), decode_message(frame_of(HEARTBEAT_2019))
    assert old.header.terminal == new.header.terminal == "13912345678"
    assert (old.header.edition, new.header.edition) == (Edition.V2013, Edition.V2019)
    assert old.body == new.body == Heartbeat()


# --- round trips -------------------------------------------------------------------------

EXTRAS = ((0x01, (123456).to_bytes(4, "big")), (0x30, b"\x19"), (0x31, b"\x0c"))
BODIES: list[Body] = [
    Heartbeat(),
    Logout(),
    Registration(54, 100, "LPT", "ELOCK-7", "T000042", 2, "藏A12345"),
    Authentication("AUTH-42", "861234567890123", "V1.2.3"),
    report(extras=EXTRAS, alarm=1 << 31, speed_kmh=61.3, course=359),
    BatchLocation((report(), report(lat=-1.5, lon=-2.5)), backfill=True),
    PlatformResponse(7, 0x0200, 0),
    TerminalResponse(3, 0x8100, 0),
    RegistrationResponse(5, 0, "AUTH-42"),
    RegistrationResponse(5, 4),
    RawBody(0x0900, b"\x01\x7e\x7d"),
]


@pytest.mark.parametrize("edition", list(Edition))
@pytest.mark.parametrize("body", BODIES, ids=lambda b: type(b).__name__)
def test_every_message_survives_encode_then_decode(edition: Edition, body: Body) -> None:
    if isinstance(body, Authentication) and edition is Edition.V2013:
        body = Authentication(body.auth_code)  # 2013 carries the code only
    header = Header(body_msg_id(body), "13912345678", 65535, edition, protocol_version=1)
    message = Message(header, body)
    assert decode_message(encode_message(message)) == message


def test_registration_fields_are_padded_to_the_edition_sizes() -> None:
    body = Registration(54, 100, "LPT", "M", "T1", 1, "藏A1")
    short = encode(body, terminal="1", serial=1, edition=Edition.V2013)
    long = encode(body, terminal="1", serial=1, edition=Edition.V2019)
    plate = len("藏A1".encode("gbk"))
    assert len(unescape(short[1:-1])) == 12 + 2 + 2 + 5 + 20 + 7 + 1 + plate + 1
    assert len(unescape(long[1:-1])) == 17 + 2 + 2 + 11 + 30 + 30 + 1 + plate + 1


def test_flag_and_escape_bytes_inside_a_body_travel_escaped() -> None:
    frame = encode(Authentication("a~b}c"), terminal="1", serial=0x7E7D)  # ~ is 7E, } is 7D
    assert frame.count(b"\x7e") == 2
    assert b"\x7d\x02" in frame
    assert b"\x7d\x01" in frame
    decoded = decode_message(frame)
    assert decoded.body == Authentication("a~b}c")
    assert decoded.header.serial == 0x7E7D


def test_a_body_too_long_for_ten_bits_is_refused_rather_than_cut() -> None:
    with pytest.raises(ValueError, match="subpackaging"):
        encode(RawBody(0x0900, bytes(1024)), terminal="1", serial=1)


# --- damage ------------------------------------------------------------------------------


def test_a_wrong_check_code_is_an_error() -> None:
    damaged = frame_of(LHASA_2013.replace("D6 7E", "D7 7E"))
    with pytest.raises(ChecksumError):
        decode_message(damaged)


def test_a_body_shorter_than_announced_is_truncated() -> None:
    payload = unescape(frame_of(LHASA_2013)[1:-2])
    with pytest.raises(TruncatedError):
        decode_message(with_check(payload[:-3]))


def test_an_additional_item_cut_short_is_truncated() -> None:
    frame = encode(report(extras=((0x01, b"\x00\x00\x01\x00"),)), terminal="1", serial=1)
    payload = bytearray(unescape(frame[1:-2]))
    payload[3] -= 1  # announce one byte less, and drop it
    with pytest.raises(TruncatedError):
        decode_message(with_check(bytes(payload[:-1])))


@pytest.mark.parametrize("bad", ["7D 03", "7D"])
def test_an_unknown_or_dangling_escape_is_an_error(bad: str) -> None:
    with pytest.raises(EscapeError):
        unescape(frame_of("00 02 " + bad))


def test_a_damaged_frame_decodes_to_an_error_never_a_position() -> None:
    [result] = decode_hex(LHASA_2013.replace("D6 7E", "D7 7E"))
    assert "error" in result
    assert "lat" not in result
    assert result["raw"].startswith("020000")


def test_a_truncated_frame_in_a_capture_does_not_stop_the_next_one() -> None:
    payload = unescape(frame_of(LHASA_2013)[1:-2])
    truncated = with_check(payload[:20]).hex()  # intact check code, body cut short
    results = decode_hex(truncated + HEARTBEAT_2013)
    assert results[0]["error"].startswith("body has 8 bytes, header announces 28")
    assert results[1]["msg_id"] == "0x0002"


# --- batch and fixes ---------------------------------------------------------------------


def test_a_blind_area_backfill_batch_carries_every_location_and_its_type() -> None:
    batch = BatchLocation((report(), report(lat=30.0), report(lat=31.0)), backfill=True)
    [result] = decode_hex(encode(batch, terminal="13912345678", serial=40).hex())
    assert result["msg_id"] == "0x0704"
    assert result["batch_type"] == "backfill"
    assert [loc["lat"] for loc in result["locations"]] == [29.652, 30.0, 31.0]


def test_a_single_report_becomes_a_fix() -> None:
    message = decode_message(frame_of(LHASA_2013))
    [fix] = to_fixes(message, seal_id="EL-1", vendor="generic")
    assert (fix.seal_id, fix.source, fix.positioned) == ("EL-1", "jt808", True)
    assert (fix.lat, fix.lon, fix.speed_kmh, fix.course) == (29.652, 91.172, 42.5, 90.0)
    assert fix.fix_time == NOON_BEIJING
    assert 0 <= fix.seq < 2**63  # fits the store's signed 64-bit column


def test_a_fix_has_the_same_seq_whichever_message_and_serial_carry_it() -> None:
    single = Message(Header(0x0200, "1", 7), report())
    batch = encode(
        BatchLocation((report(lat=30.0), report()), backfill=True), terminal="1", serial=9
    )
    [alone] = to_fixes(single, seal_id="EL-1", vendor="generic")
    later = to_fixes(decode_message(batch), seal_id="EL-1", vendor="generic")
    again = to_fixes(decode_message(batch), seal_id="EL-1", vendor="generic")
    assert later[1] == alone  # a report resent in a blind-area batch is the same fix
    assert [f.seq for f in later] == [f.seq for f in again]
    assert later[0].seq != alone.seq


def test_two_reports_of_the_same_second_that_read_differently_get_different_seqs() -> None:
    locked = report(extras=((0xE1, b"\x00"),))
    opened = report(extras=((0xE1, b"\x01"),))
    [a, b] = to_fixes(
        Message(Header(0x0704, "1", 1), BatchLocation((locked, opened))),
        seal_id="EL-1",
        vendor="generic",
    )
    assert a.fix_time == b.fix_time and a.seq != b.seq


def test_a_report_without_a_gnss_fix_gives_a_fix_marked_without_position() -> None:
    stale = Message(Header(0x0200, "1", 3), report(status=0, extras=((0xE1, b"\x01"),)))
    [fix] = to_fixes(stale, seal_id="EL-1", vendor="generic")
    assert not fix.positioned
    assert fix.lock_state is LockState.OPENED
    [placed] = to_fixes(Message(Header(0x0200, "1", 3), report()), seal_id="EL-1", vendor="generic")
    assert placed.positioned and placed.seq != fix.seq


def test_messages_without_positions_give_no_fixes() -> None:
    assert to_fixes(Message(Header(2, "1", 1), Heartbeat()), seal_id="E", vendor="generic") == []


# --- vendor tables -----------------------------------------------------------------------

GENERIC = vendor_profile("generic")
DOOR_BITS = vendor_profile("door-bits")


def test_generic_reads_lock_battery_and_tamper_from_its_custom_items() -> None:
    locked = read_seal(report(extras=((0xE1, b"\x00"), (0xE2, b"\x57"))), GENERIC)
    opened = read_seal(report(extras=((0xE1, b"\x01"), (0xE3, b"\x02"))), GENERIC)
    assert (locked.lock_state, locked.tamper, locked.battery_pct) == (LockState.LOCKED, False, 87)
    assert (opened.lock_state, opened.tamper, opened.battery_pct) == (LockState.OPENED, True, None)


def test_generic_treats_an_unknown_lock_value_as_opened() -> None:
    assert read_seal(report(extras=((0xE1, b"\x07"),)), GENERIC).lock_state is LockState.OPENED


def test_generic_falls_back_to_status_bit_24_without_its_lock_item() -> None:
    assert read_seal(report(status=0b10 | 1 << 24), GENERIC).lock_state is LockState.OPENED
    assert read_seal(report(), GENERIC).lock_state is LockState.LOCKED


def test_generic_reads_illegal_door_opening_and_theft_alarms_as_tamper() -> None:
    assert read_seal(report(alarm=1 << 31), GENERIC).tamper
    assert read_seal(report(alarm=1 << 26), GENERIC).tamper
    assert not read_seal(report(alarm=1 << 1), GENERIC).tamper  # overspeed is not tamper


def test_door_bits_reads_the_standard_door_locked_bit_and_battery_in_tenths() -> None:
    locked = read_seal(report(status=0b10 | 1 << 12, extras=((0xF3, b"\x03\x52"),)), DOOR_BITS)
    opened = read_seal(report(extras=((0xE1, b"\x00"),)), DOOR_BITS)  # E1 means nothing here
    assert (locked.lock_state, locked.battery_pct) == (LockState.LOCKED, 85.0)
    assert opened.lock_state is LockState.OPENED
    assert read_seal(report(alarm=1 << 16), DOOR_BITS).tamper


def test_a_vendor_without_a_table_is_refused() -> None:
    with pytest.raises(UnknownVendor):
        to_fixes(decode_message(frame_of(LHASA_2013)), seal_id="E", vendor="nobody")


# --- decode-jt808 ------------------------------------------------------------------------


def test_decode_hex_reads_several_frames_with_or_without_flags_and_spaces() -> None:
    results = decode_hex(LHASA_2013 + " " + HEARTBEAT_2019)
    assert [r["msg_id"] for r in results] == ["0x0200", "0x0002"]
    assert [r["version"] for r in results] == ["2013", "2019"]
    assert decode_hex(HEARTBEAT_2013.replace("7E", ""))[0]["terminal"] == "13912345678"


def test_decode_hex_names_the_location_fields_alarms_status_and_extras() -> None:
    body = report(alarm=1 << 31 | 1, extras=(*EXTRAS, (0xE1, b"\x01"), (0xE9, b"\xab")))
    [result] = decode_hex(encode(body, terminal="13912345678", serial=9).hex(" "))
    assert result["fix_time"] == "2024-05-01T04:00:00Z"
    assert result["alarms"] == ["emergency", "illegal_door_open"]
    assert result["status"]["positioned"] is True
    assert result["status"]["south"] is False
    assert result["extras"] == {
        "mileage_km": 12345.6,
        "signal_strength": 25,
        "satellites": 12,
        "lock": 1,
        "0xE9": "AB",
    }
    assert result["seal"] == {
        "vendor": "generic",
        "lock_state": "opened",
        "tamper": True,
        "battery_pct": None,
    }


def test_decode_hex_refuses_text_that_is_not_hex() -> None:
    assert "error" in decode_hex("7E 00 0G 7E")[0]


# --- framing properties ------------------------------------------------------------------


@given(st.binary())
def test_unescape_undoes_escape_and_escaped_data_holds_no_flag(data: bytes) -> None:
    escaped = escape(data)
    assert b"\x7e" not in escaped
    assert unescape(escaped) == data


def test_the_splitter_keeps_a_partial_frame_until_the_rest_arrives() -> None:
    splitter = FrameSplitter()
    frame = frame_of(LHASA_2013)
    assert splitter.feed(b"noise" + frame[:10]) == []
    assert splitter.pending == 9
    assert splitter.feed(frame[10:] + frame_of(HEARTBEAT_2013)) == [
        frame,
        frame_of(HEARTBEAT_2013),
    ]


def test_the_splitter_drops_a_frame_longer_than_any_legal_one_and_recovers() -> None:
    splitter = FrameSplitter(max_frame=64)
    assert splitter.feed(b"\x7e" + bytes(100) + b"\x7e") == []
    assert splitter.discarded == 1
    assert splitter.feed(frame_of(HEARTBEAT_2013)) == [frame_of(HEARTBEAT_2013)]


frames = st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=6).map(
    lambda payloads: [b"\x7e" + escape(p) + b"\x7e" for p in payloads]
)


@given(frames, st.lists(st.integers(min_value=0, max_value=400), max_size=12), st.booleans())
def test_the_splitter_yields_the_same_frames_however_the_stream_is_chunked(
    sent: list[bytes], cuts: list[int], shared_flags: bool
) -> None:
    stream = b"".join(sent)
    if shared_flags:  # 7E 7E between frames collapsed into one shared flag
        stream = stream.replace(b"\x7e\x7e", b"\x7e")
    points = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    splitter = FrameSplitter()
    received: list[bytes] = []
    for start, end in pairwise(points):
        received += splitter.feed(stream[start:end])
    assert received == sent


@given(
    st.sampled_from([0x0002, 0x0100, 0x0102, 0x0200, 0x0704, 0x8001, 0x8100]),
    st.booleans(),
    st.binary(max_size=120),
)
def test_any_body_decodes_to_a_message_or_a_frame_error_never_a_crash(
    msg_id: int, v2019: bool, body: bytes
) -> None:
    attrs = len(body) | (0x4000 if v2019 else 0)
    phone = bytes([1]) + bytes(10) if v2019 else bytes(6)
    framed = with_check(struct.pack(">HH", msg_id, attrs) + phone + b"\x00\x01" + body)
    with contextlib.suppress(FrameError):
        decode_message(framed)
    assert all(isinstance(r, dict) for r in decode_hex(framed.hex()))
