"""The border checks on the trip and its custody chain: port, e-lock, track, gaps, alerts, arrival.

What the trip record, the seal and the monitor show between arming and the border, one reason
per check; `border.py` runs them first, in this order.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from landport.seals.alerts import KIND_ZH
from landport.seals.border_evidence import (
    BORDER_ZONE_KIND,
    BorderPolicy,
    Check,
    CustodyEvidence,
    Datum,
    Rule,
    SealEvent,
    SealEventKind,
)
from landport.seals.calendar import BEIJING
from landport.seals.model import LockState, SealState, TripState


def _trip_at_border(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """Only the monitor's own arrival (first fix in the border-port zone) opens the gate."""
    state = ev.trip.state
    ok = state is TripState.AT_BORDER
    return Check(
        "trip_at_border",
        ok,
        f"trip state {state.value}",
        "Trip is at the border port" if ok else f"Trip is {state.value}, not at the border port",
        "运输已抵达口岸" if ok else f"运输状态为「{_TRIP_ZH[state]}」，未抵达口岸",
        {"trip_state": state.value},
    )


def _officer_port(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """The goods were declared to exit via one port; only that port may release them."""
    port, due = ev.officer_port, ev.trip.exit_port
    ok = port == due
    (here_en, here_zh), (due_en, due_zh) = ev.port_name(port), ev.port_name(due)
    return Check(
        "officer_port",
        ok,
        f"{port} / {due}",
        f"Release at {due_en}, the declared exit port"
        if ok
        else f"Officer's port {here_en} is not the trip's exit port {due_en}",
        f"在申报出境口岸{due_zh}放行"
        if ok
        else f"关员所在口岸{here_zh}不是本次运输的出境口岸{due_zh}",
        {"officer_port": port, "exit_port": due},
    )


def _seal_identity(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """The e-lock on the container (and the scanned certificate) must be this trip's."""
    p, trip = ev.presented, ev.trip
    seal_ok = p.seal_id.strip().upper() == trip.seal_id.strip().upper()
    trip_ok = p.trip_id is None or p.trip_id == trip.id
    ok = seal_ok and trip_ok
    en, zh = [], []
    if not seal_ok:
        en.append(f"seal {p.seal_id} presented, trip's seal is {trip.seal_id}")
        zh.append(f"现场关锁 {p.seal_id}，本次运输关锁为 {trip.seal_id}")
    if not trip_ok:
        en.append(f"certificate is for trip {p.trip_id}, not {trip.id}")
        zh.append(f"证书所载运输 {p.trip_id} 与本次运输 {trip.id} 不符")
    return Check(
        "seal_identity",
        ok,
        f"seal {p.seal_id}",
        f"E-lock {trip.seal_id} is this trip's" if ok else "Wrong e-lock: " + "; ".join(en),
        f"关锁 {trip.seal_id} 属于本次运输" if ok else "关锁不符：" + "；".join(zh),
        {"presented_seal_id": p.seal_id, "trip_seal_id": trip.seal_id, "qr_trip_id": p.trip_id},
    )


def _seal_armed(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """A seal that is not armed (or was removed away from the destination) guards nothing."""
    state = ev.seal_state
    removed_at_border = state is SealState.DISARMED and bool(_border_openings(ev))
    ok = state in {SealState.ARMED, SealState.ALARM} or removed_at_border
    return Check(
        "seal_armed",
        ok,
        f"seal state {state.value}",
        f"E-lock is {state.value}" if ok else f"E-lock is {state.value}, not armed",
        f"关锁状态为「{_SEAL_ZH[state]}」" if ok else f"关锁状态为「{_SEAL_ZH[state]}」，未施封",
        {"seal_state": state.value},
    )


def _seal_locked(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """ISO 18185 seal status: locked from arming to the border; opening only in the border zone."""
    bad = [e for e in _openings(ev) if not _allowed(e, ev)]
    allowed = _border_openings(ev)
    open_now_unexplained = ev.lock_state_now is LockState.OPENED and not allowed
    ok = ev.locked_throughout and not bad and not open_now_unexplained
    n = len(bad)
    figure = f"{n} opening(s) en route, lock now {ev.lock_state_now.value}"
    if ok:
        where = f"; opened in the border-port zone at {_t(allowed[0].at)}" if allowed else ""
        where_zh = f"；于 {_t(allowed[0].at)} 在口岸区域开锁" if allowed else ""
        en, zh = (
            "E-lock locked from arming to the border" + where,
            "关锁自施封至口岸全程闭锁" + where_zh,
        )
    elif bad:
        first = bad[0]
        en = (
            f"E-lock opened {n} time(s) before the border port, first at {_t(first.at)} "
            f"({_pos(first)}{_zone_en(first)})"
        )
        zh = f"关锁在抵达口岸前开锁 {n} 次，首次于 {_t(first.at)}（{_pos(first)}{_zone_zh(first)}）"
    else:
        en = "E-lock did not report locked throughout, and no opening explains it"
        zh = "关锁途中未持续报告闭锁，且无开锁记录可解释"
    return Check(
        "seal_locked",
        ok,
        figure,
        en,
        zh,
        {
            "locked_throughout": ev.locked_throughout,
            "lock_state_now": ev.lock_state_now.value,
            "openings_en_route": n,
            "openings_at_border": len(allowed),
        },
    )


def _no_tamper(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """A tamper alarm is never part of a normal removal, wherever it happens."""
    events = [e for e in _custody_events(ev) if e.kind is SealEventKind.TAMPER]
    ok = not events
    if ok:
        en, zh = "No tamper alarm from the e-lock", "关锁无防拆报警"
    else:
        f = events[0]
        en = f"{len(events)} tamper alarm(s), first at {_t(f.at)} ({_pos(f)})"
        zh = f"防拆报警 {len(events)} 次，首次于 {_t(f.at)}（{_pos(f)}）"
    return Check("no_tamper", ok, f"{len(events)} tamper alarm(s)", en, zh, {"tamper": len(events)})


def _corridor_share(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """The track is the custody record: the truck must have kept to the approved corridor."""
    n, share, need = ev.fixes_count, ev.share_inside, policy.min_share_inside
    ok = n > 0 and share >= need
    shown = _pct(share)  # rounded down, so a refusal never displays the threshold itself
    figure = f"{shown} of {n:,} fixes inside the corridor"
    return Check(
        "corridor_share",
        ok,
        figure,
        (f"{shown} of {n:,} fixes inside the corridor (at least {_pct(need)} required)")
        if n
        else "No fixes: the journey has no custody record",
        (f"{n:,} 个定位中 {shown} 在批准通道内（要求不低于 {_pct(need)}）")
        if n
        else "无定位记录，途中监管无据可查",
        {"fixes": n, "share_inside": share, "min_share_inside": need},
    )


def _longest_gap(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """Custody is only proven while the seal reports; a backfill along the route fills a gap."""
    spans = [(max(0.0, ((g.end or now) - g.start).total_seconds() / 60.0), g) for g in ev.gaps]
    unexplained = [m for m, g in spans if not g.explained_by_backfill]
    longest = max((m for m, _ in spans), default=0.0)
    worst = max(unexplained, default=0.0)
    limit = policy.max_unexplained_gap_minutes
    ok = worst <= limit
    figure = f"longest unexplained gap {worst:.0f} min (longest {longest:.0f} min)"
    note_en = f"; a {longest:.0f} min gap is explained by backfill" if longest > worst else ""
    note_zh = f"；{longest:.0f} 分钟的中断已由补传定位证明" if longest > worst else ""
    return Check(
        "longest_gap",
        ok,
        figure,
        f"Longest unexplained gap in fixes {worst:.0f} min (limit {limit:.0f} min){note_en}",
        f"最长未解释定位中断 {worst:.0f} 分钟（上限 {limit:.0f} 分钟）{note_zh}",
        {
            "longest_gap_minutes": round(longest, 1),
            "longest_unexplained_gap_minutes": round(worst, 1),
            "max_unexplained_gap_minutes": limit,
        },
    )


def _no_open_alerts(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """An open alert is a question about custody nobody has answered yet."""
    blocking = sorted(
        (a for a in ev.open_alerts if a.kind not in policy.ignored_alert_kinds),
        key=lambda a: (a.opened_at, a.kind),
    )
    ignored = len(ev.open_alerts) - len(blocking)
    ok = not blocking
    kinds = ", ".join(a.kind for a in blocking)
    extra_en = f" ({ignored} ignored by policy)" if ignored else ""
    extra_zh = f"（{ignored} 条按规定不影响放行）" if ignored else ""
    return Check(
        "no_open_alerts",
        ok,
        f"{len(blocking)} open alert(s)",
        (f"No open alerts{extra_en}" if ok else f"{len(blocking)} open alert(s): ")
        + "; ".join(f"{a.kind} since {_t(a.opened_at)}: {a.message_en}" for a in blocking),
        (f"无未处置告警{extra_zh}" if ok else f"未处置告警 {len(blocking)} 条：")
        + "；".join(
            f"{KIND_ZH.get(a.kind, a.kind)}（{_t(a.opened_at)} 起）：{a.message_zh}"
            for a in blocking
        ),
        {"open_alerts": len(blocking), "ignored_alerts": ignored, "kinds": kinds or None},
    )


def _arrival_window(ev: CustodyEvidence, now: datetime, policy: BorderPolicy) -> Check:
    """Late is a custody question (where was it?) unless an officer resolved the overdue alert."""
    trip, at = ev.trip, ev.border_arrival_at
    window = f"{_t(trip.window_start)} – {_t(trip.window_end)}"
    data: dict[str, Datum] = {
        "arrived_at": at.isoformat() if at else None,
        "window_start": trip.window_start.isoformat(),
        "window_end": trip.window_end.isoformat(),
        "overdue_resolved_by": ev.overdue_resolved_by,
    }
    if at is None:
        en, zh = f"Not yet seen in the border-port zone (window {window})", "尚未进入口岸区域"
        return Check("arrival_window", False, "not arrived", en, zh + f"（时限 {window}）", data)
    if at > trip.window_end:
        late = _minutes(at - trip.window_end)
        by = ev.overdue_resolved_by
        ok = by is not None
        en = f"Arrived {late} min after the window closed ({window})"
        zh = f"晚于时限 {late} 分钟抵达（时限 {window}）"
        en += f"; overdue alert resolved by {by}" if ok else ""
        zh += f"；超时告警已由 {by} 处置" if ok else ""
        return Check("arrival_window", ok, f"{late} min late", en, zh, data)
    if at < trip.window_start:
        early = _minutes(trip.window_start - at)
        ok = not policy.refer_early_arrival
        en = f"Arrived {early} min before the earliest expected time ({window})"
        zh = f"早于最早预计时间 {early} 分钟抵达（时限 {window}）"
        return Check("arrival_window", ok, f"{early} min early", en, zh, data)
    en, zh = f"Arrived {_t(at)}, within the window ({window})", f"于 {_t(at)} 在时限内抵达"
    return Check("arrival_window", True, "on time", en, zh + f"（{window}）", data)


CUSTODY_CHECKS: tuple[Rule, ...] = (
    _trip_at_border,
    _officer_port,
    _seal_identity,
    _seal_armed,
    _seal_locked,
    _no_tamper,
    _corridor_share,
    _longest_gap,
    _no_open_alerts,
    _arrival_window,
)


# --- helpers ---------------------------------------------------------------------------------


def _custody_events(ev: CustodyEvidence) -> list[SealEvent]:
    """Events since arming, in time order (what happened in the yard before does not count)."""
    return sorted((e for e in ev.seal_events if e.at >= ev.trip.armed_at), key=lambda e: e.at)


def _openings(ev: CustodyEvidence) -> list[SealEvent]:
    return [e for e in _custody_events(ev) if e.kind is SealEventKind.OPENED]


def _allowed(e: SealEvent, ev: CustodyEvidence) -> bool:
    """Opening at the end: inside the destination border-port zone, after arriving there."""
    arrived = ev.border_arrival_at
    return e.zone_kind == BORDER_ZONE_KIND and arrived is not None and e.at >= arrived


def _border_openings(ev: CustodyEvidence) -> list[SealEvent]:
    return [e for e in _openings(ev) if _allowed(e, ev)]


def _pos(e: SealEvent) -> str:
    return "position unknown" if e.lat is None or e.lon is None else f"{e.lat:.5f}, {e.lon:.5f}"


def _zone_en(e: SealEvent) -> str:
    return (
        f", in permitted zone {e.zone_id or e.zone_kind}" if e.zone_kind else ", outside any zone"
    )


def _zone_zh(e: SealEvent) -> str:
    return f"，位于许可区域 {e.zone_id or e.zone_kind}" if e.zone_kind else "，不在任何许可区域内"


_TRIP_ZH = {
    TripState.IN_YARD: "在场",
    TripState.DEPARTED: "已出发",
    TripState.EN_ROUTE: "在途",
    TripState.AT_BORDER: "抵达口岸",
    TripState.VERIFIED: "已核验",
    TripState.EXITED: "已出境",
    TripState.REFERRED: "已转查验",
    TripState.UNSEALED: "场内撤封",
}
_SEAL_ZH = {
    SealState.AVAILABLE: "待用",
    SealState.ARMED: "已施封",
    SealState.ALARM: "报警",
    SealState.DISARMED: "已解封",
    SealState.MAINTENANCE: "维修",
}


def _pct(share: float) -> str:
    return f"{math.floor(share * 1000 + 1e-9) / 10:.1f}%"


def _minutes(delta: timedelta) -> int:
    return math.ceil(delta.total_seconds() / 60.0)


def _t(at: datetime) -> str:
    """A moment as the border post reads its clocks: Beijing time (the consoles' time)."""
    return f"{at.astimezone(BEIJING):%Y-%m-%d %H:%M} (UTC+8)"
