"""Human-readable decoding of hex captures, for ``landport telemetry decode-jt808 HEX``.

Field engineers paste what a serial console or a packet capture shows; they get one
JSON-ready object per frame. A damaged frame becomes ``{"error", "raw"}`` and never a
position: a misread coordinate on a customs seal is worse than none.
"""

from __future__ import annotations

import re
from typing import Any

from landport.seals.jt808.codec import decode_message
from landport.seals.jt808.framing import FrameError
from landport.seals.jt808.messages import (
    Authentication,
    BatchLocation,
    Body,
    LocationReport,
    Message,
    PlatformResponse,
    RawBody,
    Registration,
    RegistrationResponse,
    TerminalResponse,
)
from landport.seals.jt808.vendors import VendorProfile, read_seal, vendor_profile

# Alarm flag bits, JT/T 808-2013 table 24 (bits 15-17 reserved).
ALARM_BITS: dict[int, str] = {
    0: "emergency",
    1: "overspeed",
    2: "fatigue_driving",
    3: "danger_warning",
    4: "gnss_module_fault",
    5: "gnss_antenna_disconnected",
    6: "gnss_antenna_short",
    7: "power_undervoltage",
    8: "power_off",
    9: "display_fault",
    10: "tts_fault",
    11: "camera_fault",
    12: "ic_card_fault",
    13: "overspeed_warning",
    14: "fatigue_warning",
    18: "driving_overtime_today",
    19: "parking_overtime",
    20: "area_in_out",
    21: "route_in_out",
    22: "route_time_abnormal",
    23: "route_deviation",
    24: "vss_fault",
    25: "fuel_abnormal",
    26: "vehicle_stolen",
    27: "illegal_ignition",
    28: "illegal_displacement",
    29: "collision_warning",
    30: "rollover_warning",
    31: "illegal_door_open",
}

# Single status bits, table 25 (bits 8-9 are the load, 22 "moving" is 2019 only).
STATUS_BITS: dict[int, str] = {
    0: "acc_on",
    1: "positioned",
    2: "south",
    3: "west",
    4: "out_of_service",
    5: "coordinates_encrypted",
    10: "oil_cut",
    11: "circuit_cut",
    12: "door_locked",
    13: "door1_open",
    14: "door2_open",
    15: "door3_open",
    16: "door4_open",
    17: "door5_open",
    18: "gps",
    19: "beidou",
    20: "glonass",
    21: "galileo",
    22: "moving",
}
LOADS = ("empty", "half", "reserved", "full")

# Standard additional items, table 27: id -> (name, value size, scale).
STANDARD_ITEMS: dict[int, tuple[str, int, float]] = {
    0x01: ("mileage_km", 4, 0.1),
    0x02: ("fuel_l", 2, 0.1),
    0x03: ("recorder_speed_kmh", 2, 0.1),
    0x04: ("alarm_event_id", 2, 1),
    0x2A: ("io_status", 2, 1),
    0x30: ("signal_strength", 1, 1),
    0x31: ("satellites", 1, 1),
}

MESSAGE_NAMES: dict[int, str] = {
    0x0001: "terminal_response",
    0x0002: "heartbeat",
    0x0003: "logout",
    0x0100: "registration",
    0x0102: "authentication",
    0x0200: "location_report",
    0x0704: "batch_location",
    0x8001: "platform_response",
    0x8100: "registration_response",
}
RESULTS = ("ok", "fail", "bad_message", "unsupported", "alarm_ack")
REGISTRATION_RESULTS = (
    "ok",
    "vehicle_registered",
    "no_vehicle",
    "terminal_registered",
    "no_terminal",
)


def _named(value: int, names: tuple[str, ...]) -> str | int:
    return names[value] if value < len(names) else value


def alarm_names(alarm: int) -> list[str]:
    return [ALARM_BITS.get(bit, f"bit{bit}") for bit in range(32) if alarm >> bit & 1]


def status_dict(status: int) -> dict[str, Any]:
    named: dict[str, Any] = {name: bool(status >> bit & 1) for bit, name in STATUS_BITS.items()}
    named["load"] = LOADS[status >> 8 & 0b11]
    named["other_bits"] = [
        bit
        for bit in range(32)
        if status >> bit & 1 and bit not in STATUS_BITS and bit not in (8, 9)
    ]
    return named


def extras_dict(report: LocationReport, profile: VendorProfile | None) -> dict[str, Any]:
    vendor_names = dict(profile.item_names) if profile else {}
    out: dict[str, Any] = {}
    for item_id, value in report.extras:
        standard = STANDARD_ITEMS.get(item_id)
        if standard and len(value) == standard[1]:
            name, _, scale = standard
            number = int.from_bytes(value, "big")
            out[name] = round(number * scale, 1) if scale != 1 else number
        elif item_id in vendor_names:
            out[vendor_names[item_id]] = int.from_bytes(value, "big")
        else:
            out[f"0x{item_id:02X}"] = value.hex().upper()
    return out


def location_dict(report: LocationReport, profile: VendorProfile | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "lat": report.lat,
        "lon": report.lon,
        "altitude_m": report.altitude_m,
        "fix_time": report.fix_time.isoformat().replace("+00:00", "Z"),
        "speed_kmh": report.speed_kmh,
        "course": report.course,
        "alarms": alarm_names(report.alarm),
        "status": status_dict(report.status),
        "extras": extras_dict(report, profile),
    }
    if profile is not None:
        reading = read_seal(report, profile)
        out["seal"] = {
            "vendor": profile.name,
            "lock_state": reading.lock_state.value,
            "tamper": reading.tamper,
            "battery_pct": reading.battery_pct,
        }
    return out


def body_dict(body: Body, profile: VendorProfile | None) -> dict[str, Any]:
    if isinstance(body, LocationReport):
        return location_dict(body, profile)
    if isinstance(body, BatchLocation):
        return {
            "batch_type": "backfill" if body.backfill else "normal",
            "locations": [location_dict(report, profile) for report in body.reports],
        }
    if isinstance(body, Registration):
        return {
            "province": body.province,
            "city": body.city,
            "manufacturer": body.manufacturer,
            "model": body.model,
            "terminal_id": body.terminal_id,
            "plate_colour": body.plate_colour,
            "plate": body.plate,
        }
    if isinstance(body, Authentication):
        return {
            "auth_code": body.auth_code,
            "imei": body.imei,
            "software_version": body.software_version,
        }
    if isinstance(body, PlatformResponse | TerminalResponse):
        return {
            "reply_serial": body.reply_serial,
            "reply_msg_id": f"0x{body.reply_msg_id:04X}",
            "result": _named(body.result, RESULTS),
        }
    if isinstance(body, RegistrationResponse):
        return {
            "reply_serial": body.reply_serial,
            "result": _named(body.result, REGISTRATION_RESULTS),
            "auth_code": body.auth_code,
        }
    if isinstance(body, RawBody):
        return {"body_hex": body.data.hex().upper()}
    return {}


def message_dict(message: Message, profile: VendorProfile | None = None) -> dict[str, Any]:
    h = message.header
    out: dict[str, Any] = {
        "msg_id": f"0x{h.msg_id:04X}",
        "name": MESSAGE_NAMES.get(h.msg_id, "unknown"),
        "terminal": h.terminal,
        "serial": h.serial,
        "version": h.edition.value,
    }
    if h.edition.value == "2019":
        out["protocol_version"] = h.protocol_version
    if h.packet is not None:
        out["packet"] = {"total": h.packet[0], "index": h.packet[1]}
    if h.encryption:
        out["encryption"] = h.encryption
    out.update(body_dict(message.body, profile))
    return out


_NOT_HEX = re.compile(r"[^0-9a-fA-F]")


def decode_hex(hex_text: str, *, vendor: str | None = "generic") -> list[dict[str, Any]]:
    """Decode every frame in a hex dump (spaces allowed, 0x7E flags optional).

    Without any 0x7E the whole input is one frame. With ``vendor`` (a name from
    ``vendors.VENDORS``) each location also carries a ``seal`` reading; None leaves it out.
    """
    compact = "".join(hex_text.split())
    if compact[:2].lower() == "0x":
        compact = compact[2:]
    if _NOT_HEX.search(compact) or len(compact) % 2:
        return [{"error": "input is not an even number of hex digits", "raw": hex_text.strip()}]
    profile = vendor_profile(vendor) if vendor is not None else None
    results: list[dict[str, Any]] = []
    for segment in bytes.fromhex(compact).split(b"\x7e"):
        if not segment:
            continue
        try:
            results.append(message_dict(decode_message(segment), profile))
        except FrameError as exc:
            results.append({"error": str(exc), "raw": segment.hex().upper()})
    return results
