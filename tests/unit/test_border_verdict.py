"""The border releases without a second inspection only when every link of custody holds."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from landport.declarations.model import DeclarationStatus
from landport.enterprises.model import Actor, Role
from landport.seals.alerts import KIND_ZH, AlertKind
from landport.seals.border import border_verdict
from landport.seals.border_evidence import (
    BorderPolicy,
    CustodyEvidence,
    DeclarationSummary,
    FixGap,
    OpenAlert,
    Presented,
    SealEvent,
    SealEventKind,
)
from landport.seals.border_handlers import judged_as
from landport.seals.model import LockState, SealState, TransitTrip, TripState

ARMED = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
ARRIVED = ARMED + timedelta(hours=14)
NOW = ARRIVED + timedelta(minutes=20)
DIGEST = "ab" * 32
PLATE = "藏B12345"
BOXES = ("MSKU1234565", "TGHU7654321")
ALL_CHECKS = {
    "trip_at_border",
    "officer_port",
    "seal_identity",
    "seal_armed",
    "seal_locked",
    "no_tamper",
    "corridor_share",
    "longest_gap",
    "no_open_alerts",
    "arrival_window",
    "declaration_released",
    "plate_matches",
    "containers_match",
    "passport_digest",
}


def trip(**changes: Any) -> TransitTrip:
    base = TransitTrip(
        id="trip-1",
        seal_id="EL-0042",
        declaration_id="decl-1",
        vehicle_plate=PLATE,
        containers=BOXES,
        route_id="shigatse-gyirong",
        exit_port="gyirong",
        passport_digest=DIGEST,
        armed_at=ARMED,
        armed_by="officer.tsering",
        window_start=ARMED + timedelta(hours=9),
        window_end=ARMED + timedelta(hours=30),
        state=TripState.AT_BORDER,
    )
    return replace(base, **changes)


def evidence(**changes: Any) -> CustodyEvidence:
    """A clean journey: every link holds. Tests change only what they are about."""
    base = CustodyEvidence(
        trip=trip(),
        declaration=DeclarationSummary(
            "decl-1", "650120260000123456", DeclarationStatus.RELEASED, PLATE, BOXES, DIGEST
        ),
        seal_state=SealState.ARMED,
        lock_state_now=LockState.LOCKED,
        locked_throughout=True,
        seal_events=(),
        fixes_count=2812,
        share_inside=0.964,
        gaps=(FixGap(ARMED + timedelta(hours=3), ARMED + timedelta(hours=3, minutes=40)),),
        open_alerts=(),
        border_arrival_at=ARRIVED,
        overdue_resolved_by=None,
        recomputed_passport_digest=DIGEST,
        presented=Presented(PLATE, BOXES, "EL-0042", "trip-1"),
        officer_port="gyirong",
    )
    return replace(base, **changes)


def failing(ev: CustodyEvidence, policy: BorderPolicy | None = None) -> set[str]:
    verdict = border_verdict(ev, now=NOW, policy=policy)
    assert verdict.verdict == ("pass" if not verdict.referred_for else "refer")
    return {c.code for c in verdict.referred_for}


def opened(at: datetime, zone_kind: str | None, zone_id: str | None = None) -> SealEvent:
    return SealEvent(SealEventKind.OPENED, at, 29.1, 85.3, zone_kind, zone_id)


def test_a_clean_trip_passes_with_every_check_ok_and_both_languages() -> None:
    verdict = border_verdict(evidence(), now=NOW)
    assert verdict.verdict == "pass"
    assert {c.code for c in verdict.checks} == ALL_CHECKS
    assert all(c.ok and c.message_en and c.message_zh and c.figure for c in verdict.checks)
    assert verdict.check("corridor_share").figure == "96.4% of 2,812 fixes inside the corridor"


def test_the_verdict_is_deterministic_and_serialisable() -> None:
    first = border_verdict(evidence(), now=NOW).as_dict()
    second = border_verdict(evidence(), now=NOW).as_dict()
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)
    assert first["schema"] == "landport.border-verdict/1"
    assert first["verdict"] == "pass" and first["referred_for"] == []


def test_a_seal_opened_en_route_refers() -> None:
    at_rest_stop = opened(ARMED + timedelta(hours=5), "rest_stop", "lhatse")
    ev = evidence(seal_events=(at_rest_stop,), locked_throughout=False)
    assert failing(ev) == {"seal_locked"}
    check = border_verdict(ev, now=NOW).check("seal_locked")
    assert "lhatse" in check.message_en and "lhatse" in check.message_zh


def test_a_seal_opened_outside_any_zone_refers_even_if_reported_locked_throughout() -> None:
    ev = evidence(seal_events=(opened(ARMED + timedelta(hours=5), None),))
    assert failing(ev) == {"seal_locked"}


def test_a_seal_opened_in_the_border_zone_after_arrival_passes() -> None:
    at_border = opened(ARRIVED + timedelta(minutes=10), "border_port", "gyirong-port")
    ev = evidence(seal_events=(at_border,), lock_state_now=LockState.OPENED)
    assert failing(ev) == set()


def test_a_seal_removed_at_the_border_still_counts_as_armed_for_the_verdict() -> None:
    at_border = opened(ARRIVED + timedelta(minutes=10), "border_port", "gyirong-port")
    ev = evidence(
        seal_events=(at_border,), lock_state_now=LockState.OPENED, seal_state=SealState.DISARMED
    )
    assert failing(ev) == set()


def test_a_seal_disarmed_without_a_border_opening_refers() -> None:
    assert failing(evidence(seal_state=SealState.DISARMED)) == {"seal_armed"}


def test_a_seal_open_now_without_any_recorded_opening_refers() -> None:
    assert failing(evidence(lock_state_now=LockState.OPENED)) == {"seal_locked"}


def test_a_tamper_event_refers_even_in_the_border_zone() -> None:
    tamper = SealEvent(
        SealEventKind.TAMPER, ARRIVED + timedelta(minutes=5), 28.4, 85.3, "border_port"
    )
    assert failing(evidence(seal_events=(tamper,))) == {"no_tamper"}


def test_ninety_percent_inside_the_corridor_refers_at_the_default_policy() -> None:
    ev = evidence(share_inside=0.90)
    assert failing(ev) == {"corridor_share"}
    assert failing(ev, BorderPolicy(min_share_inside=0.85)) == set()


def test_a_share_just_under_the_threshold_never_displays_as_the_threshold() -> None:
    check = border_verdict(evidence(share_inside=0.94999), now=NOW).check("corridor_share")
    assert not check.ok
    assert check.figure.startswith("94.9%")


def test_a_trip_without_fixes_refers() -> None:
    assert failing(evidence(fixes_count=0, share_inside=1.0)) == {"corridor_share"}


def test_a_long_gap_explained_by_backfill_passes() -> None:
    long_gap = FixGap(ARMED + timedelta(hours=4), ARMED + timedelta(hours=8), True)
    verdict = border_verdict(evidence(gaps=(long_gap,)), now=NOW)
    assert verdict.verdict == "pass"
    assert verdict.check("longest_gap").data["longest_gap_minutes"] == 240.0


def test_a_long_unexplained_gap_refers() -> None:
    long_gap = FixGap(ARMED + timedelta(hours=4), ARMED + timedelta(hours=6, minutes=1))
    assert failing(evidence(gaps=(long_gap,))) == {"longest_gap"}


def test_a_seal_silent_until_now_counts_as_an_open_gap() -> None:
    silent = FixGap(NOW - timedelta(hours=3), None)
    assert failing(evidence(gaps=(silent,))) == {"longest_gap"}


def test_an_unresolved_alert_refers_and_low_battery_is_ignored_by_default() -> None:
    deviation = OpenAlert("route_deviation", ARMED + timedelta(hours=6), "Left", "偏离")
    battery = OpenAlert("low_battery", ARMED + timedelta(hours=7), "Battery", "电量")
    assert failing(evidence(open_alerts=(deviation, battery))) == {"no_open_alerts"}
    assert failing(evidence(open_alerts=(battery,))) == set()
    strict = BorderPolicy(ignored_alert_kinds=frozenset())
    assert failing(evidence(open_alerts=(battery,)), strict) == {"no_open_alerts"}


def test_a_wrong_plate_refers() -> None:
    ev = evidence(presented=Presented("藏B54321", BOXES, "EL-0042"))
    assert failing(ev) == {"plate_matches"}


def test_a_plate_written_with_a_separator_still_matches() -> None:
    assert failing(evidence(presented=Presented("藏B·12345", BOXES, "EL-0042"))) == set()


def test_a_plate_changed_on_the_declaration_refers() -> None:
    decl = replace(evidence().declaration, vehicle_plate="藏B99999")
    assert failing(evidence(declaration=decl)) == {"plate_matches"}


def test_missing_or_swapped_containers_refer() -> None:
    one_missing = Presented(PLATE, BOXES[:1], "EL-0042")
    swapped = Presented(PLATE, (BOXES[0], "CSQU3054383"), "EL-0042")
    assert failing(evidence(presented=one_missing)) == {"containers_match"}
    assert failing(evidence(presented=swapped)) == {"containers_match"}


def test_a_car_carrier_declared_without_containers_passes_with_none_presented() -> None:
    declaration = replace(evidence().declaration, containers=())
    ev = evidence(
        trip=trip(containers=()), declaration=declaration, presented=Presented(PLATE, (), "EL-0042")
    )
    verdict = border_verdict(ev, now=NOW)
    check = next(c for c in verdict.checks if c.code == "containers_match")
    assert check.ok and verdict.verdict == "pass"
    assert "No container" in check.message_en and "无集装箱" in check.message_zh


def test_a_container_where_none_was_declared_or_none_where_one_was_refers() -> None:
    declaration = replace(evidence().declaration, containers=())
    extra = evidence(
        trip=trip(containers=()),
        declaration=declaration,
        presented=Presented(PLATE, BOXES[:1], "EL-0042"),
    )
    assert failing(extra) == {"containers_match"}
    nothing = Presented(PLATE, (), "EL-0042")
    assert failing(evidence(trip=trip(containers=()), presented=nothing)) == {"containers_match"}
    assert failing(evidence(presented=nothing)) == {"containers_match"}


def test_containers_read_in_another_order_match() -> None:
    reversed_order = Presented(PLATE, tuple(reversed(BOXES)), "EL-0042")
    assert failing(evidence(presented=reversed_order)) == set()


def test_a_passport_digest_mismatch_refers() -> None:
    assert failing(evidence(recomputed_passport_digest="cd" * 32)) == {"passport_digest"}
    assert failing(evidence(recomputed_passport_digest=None)) == {"passport_digest"}
    assert failing(evidence(trip=trip(passport_digest="cd" * 32))) == {"passport_digest"}


def test_a_declaration_held_after_release_refers() -> None:
    decl = replace(evidence().declaration, status=DeclarationStatus.HELD)
    assert failing(evidence(declaration=decl)) == {"declaration_released"}


def test_a_wrong_port_refers() -> None:
    assert failing(evidence(officer_port="zhangmu")) == {"officer_port"}


def test_another_seal_or_another_trips_certificate_refers() -> None:
    assert failing(evidence(presented=Presented(PLATE, BOXES, "EL-0043"))) == {"seal_identity"}
    other_qr = Presented(PLATE, BOXES, "EL-0042", "trip-2")
    assert failing(evidence(presented=other_qr)) == {"seal_identity"}


def test_a_trip_still_en_route_refers() -> None:
    ev = evidence(trip=trip(state=TripState.EN_ROUTE), border_arrival_at=None)
    assert failing(ev) == {"trip_at_border", "arrival_window"}


def test_late_arrival_refers_unless_an_officer_resolved_the_overdue_alert() -> None:
    late = ARMED + timedelta(hours=31)
    ev = evidence(border_arrival_at=late)
    assert failing(ev) == {"arrival_window"}
    assert border_verdict(ev, now=NOW).check("arrival_window").figure == "60 min late"
    assert failing(evidence(border_arrival_at=late, overdue_resolved_by="officer.dawa")) == set()


def test_early_arrival_passes_by_default_and_refers_when_the_policy_says_so() -> None:
    early = ARMED + timedelta(hours=8)
    assert failing(evidence(border_arrival_at=early)) == set()
    strict = BorderPolicy(refer_early_arrival=True)
    assert failing(evidence(border_arrival_at=early), strict) == {"arrival_window"}


def test_every_reason_is_listed_at_once() -> None:
    ev = evidence(share_inside=0.5, officer_port="lizi", recomputed_passport_digest="00" * 32)
    assert failing(ev) == {"corridor_share", "officer_port", "passport_digest"}


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        border_verdict(evidence(), now=datetime(2026, 5, 1, 12, 0))  # noqa: DTZ001


def test_a_border_officer_is_judged_as_his_own_port_whatever_he_asks() -> None:
    border = Actor("pemba", Role.BORDER_OFFICER, port_id="zhangmu-port")
    officer = Actor("li.na", Role.CUSTOMS_OFFICER)
    assert judged_as(border, "gyirong-port") == "zhangmu-port"
    assert judged_as(Actor("new", Role.BORDER_OFFICER), None) == ""  # no port: matches none
    assert judged_as(officer, "gyirong-port") == "gyirong-port"
    assert judged_as(officer, None) is None  # the trip's exit port


def test_the_verdict_gives_its_times_as_the_border_post_reads_its_clocks() -> None:
    """Beijing time, as everywhere else on the consoles, in both languages."""
    at_rest_stop = opened(ARMED + timedelta(hours=5), "rest_stop", "lhatse")
    check = border_verdict(evidence(seal_events=(at_rest_stop,), locked_throughout=False), now=NOW)
    beijing = (
        (ARMED + timedelta(hours=5, minutes=0))
        .astimezone(timezone(timedelta(hours=8)))
        .strftime("%Y-%m-%d %H:%M (UTC+8)")
    )
    opened_check = check.check("seal_locked")
    assert beijing in opened_check.message_en and beijing in opened_check.message_zh
    assert " UTC" not in opened_check.message_zh.replace("(UTC+8)", "")


def test_open_alerts_are_named_in_chinese_as_the_consoles_name_them() -> None:
    """One name per kind: the verdict's Chinese sentence and the consoles' label agree."""
    labels = json.loads(
        (
            Path(__file__).resolve().parents[2]
            / "src/landport/entrypoints/web/ui/i18n/common.zh-CN.json"
        ).read_text(encoding="utf-8")
    )
    assert {k: labels[f"alert_kind.{k}"] for k in KIND_ZH} == KIND_ZH
    assert set(KIND_ZH) == {kind.value for kind in AlertKind}
    alert = OpenAlert("seal_opened", ARMED + timedelta(hours=5), "lock opened", "关锁被打开")
    check = border_verdict(evidence(open_alerts=(alert,)), now=NOW).check("no_open_alerts")
    assert "关锁开启" in check.message_zh and "seal_opened" not in check.message_zh
