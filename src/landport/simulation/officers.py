"""Monitoring officers of the twin: they watch the alert list and handle what appears.

The telemetry monitor raises alerts and closes some by itself (back in the corridor, moved
on), but custody questions need a person: an officer acknowledges an alert (seen, being
handled), finds out what happened, and resolves it with a finding, through the same
`HandleTripAlert` command an officer sends from the big screen. A seal opening or a tamper
alarm is confirmed and referred, never explained away; the border still sees the seal events.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from landport.enterprises.model import Actor, Role
from landport.seals.alert_handling import HandleTripAlert
from landport.shared.errors import Conflict, DomainError

if TYPE_CHECKING:
    from landport.simulation.twin import Twin

log = logging.getLogger(__name__)
MONITOR = Actor("twin.monitoring", Role.CUSTOMS_OFFICER)
Process = Generator[simpy.Event, Any, None]
OpenAlerts = Callable[[], list[dict[str, Any]]]

#: What an officer finds, by alert kind: (finding, what he writes as the reason).
FINDINGS: dict[str, tuple[str, str]] = {
    "route_deviation": ("explained", "driver reached by phone: detour, seal intact"),
    "unscheduled_stop": ("explained", "driver reached by phone: stop checked, seal intact"),
    "signal_lost": ("escalated", "e-lock silent: border port asked to verify custody"),
    "low_battery": ("escalated", "e-lock battery failing: border port asked to verify custody"),
    "seal_opened": ("confirmed", "lock opened on the road: referred for inspection at the border"),
    "tamper": ("confirmed", "tamper alarm on the road: referred for inspection at the border"),
    "overdue": ("escalated", "trip overdue: border port and patrol informed"),
    "implausible_jump": ("explained", "position jump checked: receiver fault, track consistent"),
}
ACKNOWLEDGED = "being handled by the monitoring desk"


class MonitoringDesk:
    """`officers` monitoring officers polling the open alerts every `poll_s` seconds."""

    def __init__(self, twin: Twin, open_alerts: OpenAlerts, *, poll_s: float = 60.0) -> None:
        self.twin, self.open_alerts, self.poll_s = twin, open_alerts, poll_s
        self.officers = simpy.Resource(twin.env, max(1, twin.s.monitoring_officers))
        self.taken: set[int] = set()
        self.ack_min: list[float] = []  # from the alert reaching the desk to acknowledgement
        self.resolve_min: list[float] = []  # from the alert reaching the desk to resolution
        self.outcomes: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.draws = random.Random(f"officers-{twin.seed}")  # a stream of the desk's own

    def start(self) -> None:
        self.twin.env.process(self._watch())

    def _watch(self) -> Process:
        while True:
            yield self.twin.env.timeout(self.poll_s)
            try:
                rows = self.open_alerts()
            except Exception:
                if not self.twin.opts.tolerate_errors:
                    raise
                log.exception("the monitoring desk could not read the alerts; it looks again")
                continue
            for row in sorted(rows, key=lambda r: int(r["id"])):
                alert_id = int(row["id"])
                if alert_id not in self.taken:
                    self.taken.add(alert_id)
                    self.twin.env.process(self._case(alert_id, str(row["kind"])))

    def _tri(self, triangle: tuple[float, float, float]) -> float:
        low, mode, high = triangle
        return self.draws.triangular(low, high, mode) * 60.0

    def _case(self, alert_id: int, kind: str) -> Process:
        env, s = self.twin.env, self.twin.s
        seen = env.now
        with self.officers.request() as req:
            yield req
            yield env.timeout(self._tri(s.acknowledge_minutes))
            if not self._send(alert_id, "acknowledge", ACKNOWLEDGED):
                self.outcomes["closed_before_acknowledged"] += 1
                return
        self.ack_min.append((env.now - seen) / 60.0)
        yield env.timeout(self._tri(s.resolve_minutes))
        finding, text = FINDINGS.get(kind, ("explained", "checked by the monitoring desk"))
        with self.officers.request() as req:
            yield req
            if not self._send(alert_id, "resolve", f"{finding}: {text}"):
                self.outcomes["closed_before_resolved"] += 1
                return
        self.resolve_min.append((env.now - seen) / 60.0)
        self.findings[finding] += 1

    def _send(self, alert_id: int, action: str, reason: str) -> bool:
        """False when the track closed the alert first (the officer has nothing to add)."""
        try:
            self.twin.bus.handle(HandleTripAlert(MONITOR, alert_id, action, reason))
        except Conflict:  # already closed by the track
            return False
        except DomainError as exc:
            self.outcomes[f"refused:{type(exc).__name__}"] += 1
            return False
        except Exception:
            if not self.twin.opts.tolerate_errors:
                raise
            log.exception("an officer's alert command failed; the twin goes on")
            return False
        self.outcomes["acknowledged" if action == "acknowledge" else "resolved"] += 1
        return True
