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

from dataclasses import dataclass

from landport.seals.jt808.messages import BatchLocation, LocationReport, Message
from landport.seals.model import LockState, SealFix

# Seq numbers of fixes from a 0x0704 batch live above every 0x0200 serial (a WORD), so a
# single report and a batch item can never share one; serial and index are stable when a
# terminal retransmits the same unacknowledged message.
BATCH_SEQ_BASE = 1 << 16
BATCH_SEQ_STRIDE = 1000  # > the most reports a 1023-byte body can hold (34)


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


def to_fix(report: LocationReport, *, seal_id: str, seq: int, profile: VendorProfile) -> SealFix:
    reading = read_seal(report, profile)
    return SealFix(
        seal_id=seal_id,
        seq=seq,
        fix_time=report.fix_time,
        lat=report.lat,
        lon=report.lon,
        speed_kmh=report.speed_kmh,
        course=float(report.course),
        lock_state=reading.lock_state,
        tamper=reading.tamper,
        battery_pct=reading.battery_pct,
        source="jt808",
    )


def to_fixes(
    message: Message, *, seal_id: str, vendor: str, keep_unpositioned: bool = False
) -> list[SealFix]:
    """0x0200 / 0x0704 -> fixes; other messages give none.

    seq: a 0x0200 uses its message serial; item ``i`` of a 0x0704 with serial ``s`` gets
    ``BATCH_SEQ_BASE + s * 1000 + i``. Reports without a GNSS fix (status bit 1 clear)
    carry a stale or zero position and are left out unless ``keep_unpositioned``.
    """
    profile = vendor_profile(vendor)
    body = message.body
    serial = message.header.serial
    if isinstance(body, LocationReport):
        numbered = [(serial, body)]
    elif isinstance(body, BatchLocation):
        base = BATCH_SEQ_BASE + serial * BATCH_SEQ_STRIDE
        numbered = [(base + i, report) for i, report in enumerate(body.reports)]
    else:
        return []
    return [
        to_fix(report, seal_id=seal_id, seq=seq, profile=profile)
        for seq, report in numbered
        if keep_unpositioned or report.positioned
    ]
