"""The tamper-evident audit log: every state change, hash-chained."""
