"""An officer handles a custody alert; the trip's monitor state records a resolution too.

`HandleAlert` (seals/handlers.py) changes the alert row only. Seal openings, tamper alarms
and overdue arrivals never close by themselves, and the monitor state is what replays start
from: without the officer's finding stored there, a backfill replay would reopen the
question. So resolving one of those kinds also closes it in the stored `MonitorState`
(`close_alert`), which replays keep (`RESOLVED_BY_OFFICER` survives reconciliation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from landport.declarations.ports import ClearanceContext
from landport.seals.alerts import AlertKind, Resolution
from landport.seals.border_handlers import StoreFor
from landport.seals.commands import HandleAlert
from landport.seals.handlers import handle_alert
from landport.seals.model import SealState
from landport.seals.monitoring import close_alert
from landport.seals.ports import CustodyUnitOfWork

#: Kinds only an officer can close; the monitor keeps his finding so replays keep it closed.
OFFICER_CLOSED_KINDS = frozenset({AlertKind.SEAL_OPENED, AlertKind.TAMPER, AlertKind.OVERDUE})
_ALARM_KINDS = (AlertKind.SEAL_OPENED, AlertKind.TAMPER)


@dataclass(frozen=True)
class HandleTripAlert(HandleAlert):
    """`HandleAlert`, recorded in the trip's monitor state as well when it resolves."""


def handling_trip_alerts(store_for: StoreFor) -> Callable[..., dict[str, Any]]:
    """The handler of `HandleTripAlert`, bound to the monitor store of each unit of work."""

    def handle_trip_alert(
        cmd: HandleTripAlert, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        handle_alert(cmd, uow, ctx)  # role, reason, state, alert row, audit
        result = uow.alerts.get(cmd.alert_id)  # the row as it now stands
        assert result is not None
        if cmd.action != "resolve" or result.get("kind") not in OFFICER_CLOSED_KINDS:
            return result
        store = store_for(uow)
        trip_id, key = str(result["trip_id"]), str(result["key"])
        stored = store.load(trip_id)
        if stored is None:
            return result
        state = stored.state
        alert = state.alerts.get(key)
        if alert is None or alert.resolution is Resolution.RESOLVED_BY_OFFICER:
            return result
        details = {**alert.details, "officer_reason": cmd.reason.strip()[:500]}
        if not alert.is_open:  # e.g. overdue closed as arrived_late: the finding replaces it
            details["previous_resolution"] = alert.resolution.value if alert.resolution else None
            details["previously_closed_at"] = (
                alert.closed_at.isoformat() if alert.closed_at else None
            )
        state = state.clone()
        state.alerts[key] = replace(alert, closed_at=None, resolution=None, details=details)
        after, _ = close_alert(state, key, ctx.clock.now(), by=cmd.actor.username)
        store.save(trip_id, after, version=stored.version)
        _calm_seal(uow, str(result["seal_id"]), after.open_alerts())
        return result

    return handle_trip_alert


def _calm_seal(uow: CustodyUnitOfWork, seal_id: str, still_open: list[Any]) -> None:
    """An alarmed seal is armed again once no opening or tamper alarm is left open."""
    if any(a.kind in _ALARM_KINDS for a in still_open):
        return
    seal = uow.seals.get(seal_id)
    if seal is not None and seal.state is SealState.ALARM:
        seal.state = SealState.ARMED
        uow.seals.save(seal)
        uow.audit.append(
            actor="custody",
            action="seal.armed",
            entity_type="seal",
            entity_id=seal_id,
            before={"state": "alarm"},
            after={"state": "armed"},
            detail="no opening or tamper alarm left open",
        )
