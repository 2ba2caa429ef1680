"""Telemetry ingest: from MQTT or JT/T 808 to stored fixes, monitored trips and alerts."""
