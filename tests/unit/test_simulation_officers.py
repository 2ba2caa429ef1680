"""The monitoring desk's findings: every alert kind has one, and breaches are confirmed."""

from __future__ import annotations

from landport.seals.alerts import AlertKind
from landport.simulation.officers import FINDINGS


def test_every_alert_kind_has_a_finding_with_a_reason() -> None:
    assert set(FINDINGS) == {k.value for k in AlertKind}
    for finding, reason in FINDINGS.values():
        assert finding in {"explained", "escalated", "confirmed"}
        assert reason.strip()


def test_a_seal_opening_or_tamper_alarm_is_confirmed_not_explained_away() -> None:
    assert FINDINGS["seal_opened"][0] == "confirmed"
    assert FINDINGS["tamper"][0] == "confirmed"
    assert "referred" in FINDINGS["seal_opened"][1]
