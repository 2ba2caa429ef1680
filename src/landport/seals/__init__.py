"""E-lock custody: seals, transit trips, telemetry, corridor monitoring, border release."""
