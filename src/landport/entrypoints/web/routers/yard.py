"""The inspection yard: gate events, truck visits, holds, parking, container moves."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["yard"])
