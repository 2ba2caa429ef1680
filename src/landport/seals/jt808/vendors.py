"""Vendor tables: where each e-lock vendor puts lock state, tamper and battery in a 0x0200.

JT/T 808 has no lock, tamper or battery field. E-lock vendors reuse reserved status
bits, alarm bits and the custom additional items 0xE1-0xFF (table 27 leaves those to
the user). Each vendor is one :class:`VendorProfile` row of data; the reading code is
the same for all, so adding a vendor means adding a row, never a branch.

ASSUMPTION: ``generic`` and ``door-bits`` are documented placeholders, not any
vendor's published spec. Replace or extend them with each vendor's document; see
docs/jt808.md for the tables in prose.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from landport.seals.jt808.messages import BatchLocation, LocationReport, Message
from landport.seals.model import LockState, SealFix


@dataclass(frozen=True, slots=True)
class VendorProfile:
    """How to read one vendor's e-lock extensions out of a location report.

    Lock state: the ``lock_item`` additional item when present (a value in
    ``locked_values`` is locked, any other value is opened: unknown means open, the
    safe side for customs); otherwise ``lock_status_bit`` (``bit_set_means`` when the
    bit is 1, the other state when 0); otherwise ``default_lock``.
    Tamper: any of ``tamper_alarm_bits`` / ``tamper_status_bits`` set, or a non-zero
    ``tamper_item``. Battery: ``battery_item`` as an unsigned big-endian number times
    ``battery_scale``, clamped to 0-100 %.
    """

    name: str
    lock_item: int | None = None
    locked_values: frozenset[int] = frozenset({0})
    lock_status_bit: int | None = None
    bit_set_means: LockState = LockState.OPENED
    default_lock: LockState = LockState.LOCKED
    tamper_alarm_bits: frozenset[int] = frozenset()
    tamper_status_bits: frozenset[int] = frozenset()
    tamper_item: int | None = None
    battery_item: int | None = None
    battery_scale: float = 1.0
    item_names: tuple[tuple[int, str], ...] = ()  # for decode-jt808's "extras"


VENDORS: dict[str, VendorProfile] = {
    profile.name: profile
    for profile in (
        # Custom additional items: 0xE1 lock (BYTE, 0 locked / 1 opened), 0xE2 battery
        # (BYTE %), 0xE3 tamper flags (BYTE, non-zero = shackle cut or case opened).
        # Without 0xE1, reserved status bit 24 (1 = opened). Tamper also from the
        # standard alarm bits 31 (illegal door opening) and 26 (vehicle stolen).
        VendorProfile(
            name="generic",
            lock_item=0xE1,
            locked_values=frozenset({0}),
            lock_status_bit=24,
            bit_set_means=LockState.OPENED,
            tamper_alarm_bits=frozenset({26, 31}),
            tamper_item=0xE3,
            battery_item=0xE2,
            battery_scale=1.0,
            item_names=((0xE1, "lock"), (0xE2, "battery_pct"), (0xE3, "tamper_flags")),
        ),
        # Standard door bits only: status bit 12 "door locked" (1 = locked, 0 = opened),
        # tamper = alarm bit 31 (illegal door opening) or reserved alarm bit 16 (case
        # opened); battery in item 0xF3 as WORD in 0.1 %.
        VendorProfile(
            name="door-bits",
            lock_status_bit=12,
            bit_set_means=LockState.LOCKED,
            tamper_alarm_bits=frozenset({16, 31}),
            battery_item=0xF3,
            battery_scale=0.1,
            item_names=((0xF3, "battery_permille"),),
        ),
    )
}


class UnknownVendor(KeyError):
    pass


def vendor_profile(name: str) -> VendorProfile:
    try:
        return VENDORS[name]
    except KeyError:
        raise UnknownVendor(f"no JT/T 808 vendor table named {name!r}") from None


@dataclass(frozen=True, slots=True)
class SealReading:
    lock_state: LockState
    tamper: bool
    battery_pct: float | None


def _bits(value: int, bits: frozenset[int]) -> bool:
    return any(value >> bit & 1 for bit in bits)


def read_seal(report: LocationReport, profile: VendorProfile) -> SealReading:
    """Lock state, tamper and battery of one report, by the vendor's table."""
    lock = profile.default_lock
    item = report.extra(profile.lock_item) if profile.lock_item is not None else None
    if item:
        lock = LockState.LOCKED if item[0] in profile.locked_values else LockState.OPENED
    elif profile.lock_status_bit is not None:
        other = LockState.LOCKED if profile.bit_set_means is LockState.OPENED else LockState.OPENED
        lock = profile.bit_set_means if report.status >> profile.lock_status_bit & 1 else other
    tamper = _bits(report.alarm, profile.tamper_alarm_bits) or _bits(
        report.status, profile.tamper_status_bits
    )
    if profile.tamper_item is not None:
        flags = report.extra(profile.tamper_item)
        tamper = tamper or bool(flags and any(flags))
    battery = None
    raw = report.extra(profile.battery_item) if profile.battery_item is not None else None
    if raw:
        battery = min(100.0, max(0.0, int.from_bytes(raw, "big") * profile.battery_scale))
    return SealReading(lock, tamper, battery)


def fix_seq(report: LocationReport, reading: SealReading) -> int:
    """The sequence number of a report's fix, from its fix time and content (63 bits of a
    hash).

    A terminal resends an unacknowledged report as it is, in a 0x0200 or later in a 0x0704
    blind-area batch under another serial: the number must not depend on the message that
    carries the fix, or the store's duplicate key (seal, seq, fix time) would keep it twice.
    Two reports of the same second that read differently stay two fixes. The content is
    spelled as the fix holds it (stored numbers depend on it: never change the text).
    """
    content = (
        f"{report.fix_time.isoformat()}|{report.lat!r}|{report.lon!r}|{report.speed_kmh!r}|"
        f"{float(report.course)!r}|{reading.lock_state.value}|{reading.tamper}|"
        f"{reading.battery_pct!r}|{report.positioned}"
    )
    digest = hashlib.blake2b(content.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # 0 .. 2^63-1: a signed 64-bit column


def to_fix(report: LocationReport, *, seal_id: str, profile: VendorProfile) -> SealFix:
    """The fix of one report, numbered by `fix_seq`. Without a GNSS fix (status bit 1
    clear) its position is stale or zero: the fix is marked ``positioned=False`` and counts
    for its lock, tamper and battery only (see :class:`SealFix`)."""
    reading = read_seal(report, profile)
    return SealFix(
        seal_id=seal_id,
        seq=fix_seq(report, reading),
        fix_time=report.fix_time,
        lat=report.lat,
        lon=report.lon,
        speed_kmh=report.speed_kmh,
        course=float(report.course),
        lock_state=reading.lock_state,
        tamper=reading.tamper,
        battery_pct=reading.battery_pct,
        source="jt808",
        positioned=report.positioned,
    )


def to_fixes(message: Message, *, seal_id: str, vendor: str) -> list[SealFix]:
    """0x0200 / 0x0704 -> fixes, one per report, numbered by ``fix_seq``; other messages
    give none. Reports without a GNSS fix are kept, marked as without a position."""
    profile = vendor_profile(vendor)
    body = message.body
    if isinstance(body, LocationReport):
        reports: tuple[LocationReport, ...] = (body,)
    elif isinstance(body, BatchLocation):
        reports = body.reports
    else:
        return []
    return [to_fix(report, seal_id=seal_id, profile=profile) for report in reports]
