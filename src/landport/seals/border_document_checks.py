"""The border checks on the papers: what stands at the gate against the trip and declaration.

Declaration status, plate, containers and the inspection passport, one reason per check;
`border.py` runs them after the custody checks, in this order.
"""

from __future__ import annotations

import re
from datetime import datetime

from landport.declarations.model import STATUS_ZH, DeclarationStatus
from landport.seals.border_evidence import BorderPolicy, Check, CustodyEvidence, Rule
from landport.shared.identifiers import normalise_plate


def _declaration_released(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """Only goods the land port released (and nobody has held since) may leave."""
    d = ev.declaration
    same = d.id == ev.trip.declaration_id
    ok = same and d.status is DeclarationStatus.RELEASED
    number = d.number or d.id
    if not same:
        en = f"Declaration {d.id} is not the trip's ({ev.trip.declaration_id})"
        zh = f"报关单 {d.id} 与本次运输的报关单 {ev.trip.declaration_id} 不符"
    else:
        en = f"Declaration {number} is {d.status.value}"
        zh = f"报关单 {number} 状态为「{STATUS_ZH[d.status]}」"
    return Check(
        "declaration_released",
        ok,
        d.status.value,
        en,
        zh,
        {"declaration_id": d.id, "number": d.number, "status": d.status.value},
    )


def _plate(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """The truck at the gate must be the one that was sealed and declared."""
    seen, trip, decl = ev.presented.plate, ev.trip.vehicle_plate, ev.declaration.vehicle_plate
    ok = normalise_plate(seen) == normalise_plate(trip) == normalise_plate(decl)
    return Check(
        "plate_matches",
        ok,
        f"{seen} / {trip} / {decl}",
        f"Plate {seen} matches trip and declaration"
        if ok
        else f"Plate {seen} presented; trip has {trip}, declaration has {decl}",
        f"车牌 {seen} 与运输及报关单一致"
        if ok
        else f"现场车牌 {seen}，运输登记 {trip}，报关单 {decl}",
        {"presented": seen, "trip": trip, "declaration": decl},
    )


def _containers(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """Every container sealed at the land port, and no other, must be on the truck. A car
    carrier (or any load declared without containers) matches when none is on the trip and
    none is presented; a declared container that is missing never matches."""
    seen = _norm_containers(ev.presented.containers)
    trip = _norm_containers(ev.trip.containers)
    decl = _norm_containers(ev.declaration.containers)
    ok = seen == trip == decl  # equal to a non-empty declaration means present
    s, t, d = (", ".join(x) or "none" for x in (seen, trip, decl))
    if ok and not decl:
        en, zh = "No container declared, on the trip or presented", "报关单、运输及现场均无集装箱"
    elif ok:
        en, zh = f"Containers {s} match trip and declaration", f"集装箱 {s} 与运输及报关单一致"
    else:
        en = f"Containers presented {s}; trip has {t}, declaration has {d}"
        zh = f"现场集装箱 {s}，运输登记 {t}，报关单 {d}"
    return Check(
        "containers_match",
        ok,
        f"{s} / {t} / {d}",
        en,
        zh,
        {"presented": s, "trip": t, "declaration": d},
    )


def _passport(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """Compare instead of re-inspect: the inspection passport must be the one the seal carries."""
    now_d = (ev.recomputed_passport_digest or "").lower()
    rec = (ev.declaration.passport_digest or "").lower()
    car = ev.trip.passport_digest.lower()
    ok = bool(now_d) and now_d == rec == car
    short = " / ".join(x[:12] or "none" for x in (now_d, rec, car))
    return Check(
        "passport_digest",
        ok,
        short,
        "Inspection passport unchanged since release"
        if ok
        else f"Inspection passport differs (now / at release / on the trip: {short})",
        "查验护照自放行以来未变"
        if ok
        else f"查验护照摘要不一致（现算／放行时／运输所载：{short}）",
        {"recomputed": now_d or None, "recorded": rec or None, "carried": car},
    )


DOCUMENT_CHECKS: tuple[Rule, ...] = (
    _declaration_released,
    _plate,
    _containers,
    _passport,
)


def _norm_containers(numbers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({re.sub(r"[\s\-]", "", n).upper() for n in numbers}))
