"""E-lock custody: seals, trips, alerts, routes, border verify-and-release."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["custody"])
