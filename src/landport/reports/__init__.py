"""Figures computed from the event record: time-release study segments."""
