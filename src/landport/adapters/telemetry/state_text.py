"""A trip's monitoring state as the JSON text the trips row stores, written from parts.

The ingest rewrites every monitored trip's state once per batch, and most of it is as it was:
the 64 recent fix keys (only a few are new), the alerts (immutable) and most UTC times. This
writer remembers the text of those parts, so a batch pays for what changed. The text reads
back with `json.loads` as `MonitorState.as_dict()`; the core knows nothing of the caching.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from landport.seals.alerts import Alert
from landport.seals.monitor_state import MonitorState

#: `json.dumps` without the spaces: what the trips row stores.
_JSON = json.JSONEncoder(separators=(",", ":"))
_TIMES_MAX = 50_000
_TRIPS_MAX = 20_000
_ALERTS_MAX = 5_000  # an alert's text is a few hundred bytes: fewer of them


def _recent_json(key: tuple[int, float]) -> str:
    seq, at = key
    if type(seq) is int and type(at) is float and math.isfinite(at):
        return f"[{seq},{at!r}]"  # what the encoder writes for these exact types
    return _JSON.encode([seq, at])


class StateText:
    """`MonitorState` to stored JSON, remembering the parts that stay the same between
    batches. One per ingestor; each memory is cleared when it grows large."""

    def __init__(self) -> None:
        # per trip: the recent keys last written, each one's JSON length, and their JSON joined
        self._recent: dict[str, tuple[list[tuple[int, float]], list[int], str]] = {}
        self._times: dict[datetime, str] = {}
        self._alerts: dict[int, tuple[Alert, str]] = {}  # by id(): the alert is kept alive

    def __call__(self, state: MonitorState) -> str:
        if len(self._times) > _TIMES_MAX:
            self._times.clear()
        if len(self._alerts) > _ALERTS_MAX:
            self._alerts.clear()
        recent = self._recent_text(state.trip_id, state.recent)
        head = state.head(self._iso)
        head["lock_events"] = state.lock_events
        alerts = ",".join(map(self._alert_json, state.alerts.values()))
        return f'{_JSON.encode(head)[:-1]},"alerts":[{alerts}],"recent":[{recent}]}}'

    def _iso(self, value: datetime | None) -> str | None:
        """ISO text, remembered for UTC times (equal UTC times are written alike, others not)."""
        if not value:
            return None
        if value.tzinfo is not UTC or type(value) is not datetime:
            return value.isoformat()
        text = self._times.get(value)
        if text is None:
            text = self._times[value] = value.isoformat()
        return text

    def _alert_json(self, alert: Alert) -> str:
        known = self._alerts.get(id(alert))
        if known is not None and known[0] is alert:
            return known[1]
        text = _JSON.encode(alert.as_dict())
        self._alerts[id(alert)] = (alert, text)
        return text

    def _recent_text(self, trip_id: str, recent: list[tuple[int, float]]) -> str:
        """The recent keys as JSON list items: the text last written for this trip, less the
        keys that dropped out, plus the new ones. The kept keys are compared with the new
        list (equal keys read back equal), so any other list is simply written in full."""
        kept, lengths, start = "", [], 0
        known = self._recent.get(trip_id)
        if known is not None and recent:
            keys, sizes, text = known
            try:
                drop = keys.index(recent[0])
            except ValueError:
                drop = -1
            if drop >= 0 and recent[: len(keys) - drop] == keys[drop:]:
                kept, lengths = text[sum(sizes[:drop]) + drop :], sizes[drop:]
                start = len(keys) - drop
        new = [_recent_json(key) for key in recent[start:]]
        if new:
            kept = ",".join([kept, *new]) if kept else ",".join(new)
            lengths = [*lengths, *map(len, new)]
        if len(self._recent) > _TRIPS_MAX:
            self._recent.clear()
        self._recent[trip_id] = (list(recent), lengths, kept)
        return kept
