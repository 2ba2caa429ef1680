"""The land port's certificate signing key (until `CustodySettings` carries it), and the
trip certificates it signs.

- `LANDPORT_CUSTODY__SIGNING_KEY`: the Ed25519 private key, as a file path or the value
  itself (PEM or raw base64); always used when set.
- otherwise, development and tests get the key `load_or_create_dev_key` keeps under
  `var/keys` (or `LANDPORT_CUSTODY__DEV_KEY_DIR`); production (`LANDPORT_ENVIRONMENT`, or the
  environment the caller passes) refuses it: a dev key must never sign a real certificate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, select

from landport.adapters.certificate_content import CustodySummary, TripCertificate
from landport.adapters.certificates import (
    DEV_KEY_FILE,
    DEV_PUBLIC_KEY_FILE,
    key_id,
    load_or_create_dev_key,
    load_private_key,
    load_public_key,
    public_key_b64,
    public_key_pem,
    sign_certificate,
)
from landport.adapters.db import tables as t
from landport.adapters.db.custody import trip_from_row
from landport.seals.alerts import AlertKind, Resolution
from landport.seals.certificate_rules import certificate_refusal
from landport.seals.monitor_state import MonitorState
from landport.shared.errors import Conflict

SIGNING_KEY_ENV = "LANDPORT_CUSTODY__SIGNING_KEY"
DEV_KEY_DIR_ENV = "LANDPORT_CUSTODY__DEV_KEY_DIR"
ENVIRONMENT_ENV = "LANDPORT_ENVIRONMENT"
DEFAULT_DEV_KEY_DIR = Path("var/keys")


class SigningKeyMissing(RuntimeError):
    """Production without a configured key: refuse rather than sign with a dev key."""

    def __init__(self) -> None:
        super().__init__(
            f"{SIGNING_KEY_ENV} must be set in production (a dev key never signs certificates) "
            f"/ 生产环境须配置 {SIGNING_KEY_ENV}，不得使用开发密钥签发证书"
        )


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def dev_key_dir(environ: Mapping[str, str] | None = None) -> Path:
    return Path(_env(environ).get(DEV_KEY_DIR_ENV) or DEFAULT_DEV_KEY_DIR)


def signing_key(
    environ: Mapping[str, str] | None = None, *, environment: str | None = None
) -> Ed25519PrivateKey:
    """The configured key, else (never in production) the development key."""
    env = _env(environ)
    configured = env.get(SIGNING_KEY_ENV, "").strip()
    if configured:
        return _configured(configured)
    if "production" in {environment, env.get(ENVIRONMENT_ENV)}:
        raise SigningKeyMissing()
    return _dev(str(dev_key_dir(env).resolve()))


def public_keys(
    environ: Mapping[str, str] | None = None, *, environment: str | None = None
) -> list[Ed25519PublicKey]:
    """The keys certificates are verified with (today: the signing key's public half)."""
    return [signing_key(environ, environment=environment).public_key()]


def local_public_keys(environ: Mapping[str, str] | None = None) -> list[Ed25519PublicKey]:
    """For offline verification without --public-key: the configured key's public half, or
    the dev public key if one exists here. Never creates a key."""
    env = _env(environ)
    configured = env.get(SIGNING_KEY_ENV, "").strip()
    if configured:
        return [_configured(configured).public_key()]
    folder = dev_key_dir(env)
    if (folder / DEV_PUBLIC_KEY_FILE).is_file():
        return [load_public_key(folder / DEV_PUBLIC_KEY_FILE)]
    if (folder / DEV_KEY_FILE).is_file():
        return [load_private_key(folder / DEV_KEY_FILE).public_key()]
    return []


def public_key_view(key: Ed25519PublicKey) -> dict[str, str]:
    """How a border post caches a key: its id, PEM and raw base64."""
    return {
        "key_id": key_id(key),
        "algorithm": "Ed25519",
        "public_key_pem": public_key_pem(key).decode("ascii"),
        "public_key_b64": public_key_b64(key),
    }


@lru_cache(maxsize=8)
def _configured(value: str) -> Ed25519PrivateKey:
    return load_private_key(value)


@lru_cache(maxsize=8)
def _dev(folder: str) -> Ed25519PrivateKey:
    return load_or_create_dev_key(folder)


# --- the certificate -------------------------------------------------------------------------


class NoCertificate(Exception):
    """No certificate is issued for the trip now (`seals.certificate_rules`): `refusal` says why;
    the enterprises tell whom the refusal may be shown to (others get a 404)."""

    def __init__(self, refusal: Conflict, enterprise: str, agent: str | None) -> None:
        super().__init__(refusal.message_en)
        self.refusal, self.enterprise, self.agent = refusal, enterprise, agent


def trip_certificate(
    engine: Engine, trip_id: str, private_key: Ed25519PrivateKey
) -> tuple[str, str | None, dict[str, Any]] | None:
    """(the consignor, the customs broker that lodged the declaration as agent or None, the
    signed certificate file) as of the trip's latest custody record; `NoCertificate` when
    the rules issue none now (ended, or not yet out of the yard).

    `issued_at` is the time of that record (the last fix, or arming), so the same trip state
    always gives the same bytes (Ed25519 is deterministic): file and QR fetched apart agree."""
    query = select(
        t.trips,
        t.declarations.c.number,
        t.declarations.c.enterprise_uscc,
        t.declarations.c.declaring_agent_uscc,
    ).join_from(t.trips, t.declarations, t.trips.c.declaration_id == t.declarations.c.id)
    with engine.connect() as conn:
        r = conn.execute(query.where(t.trips.c.id == trip_id)).mappings().one_or_none()
        if r is None:
            return None
        alerts = conn.execute(
            select(t.alerts.c.kind, t.alerts.c.details).where(t.alerts.c.trip_id == trip_id)
        ).all()
    trip = trip_from_row(r)
    consignor, agent = str(r["enterprise_uscc"]), r["declaring_agent_uscc"]
    refusal = certificate_refusal(trip.id, trip.state)
    if refusal is not None:
        raise NoCertificate(refusal, consignor, agent)
    st = MonitorState.from_dict(r["monitor"]) if r["monitor"] else MonitorState(trip.id)
    counted = [  # GNSS noise and alerts a replay withdrew say nothing of the journey
        kind
        for kind, details in alerts
        if kind != AlertKind.IMPLAUSIBLE_JUMP
        and (details or {}).get("resolution") != Resolution.SUPERSEDED_BY_REPLAY
    ]
    custody = CustodySummary(
        fixes=st.fixes,
        share_inside=st.inside / st.fixes if st.fixes else 0.0,
        longest_gap_minutes=st.longest_gap_s / 60.0,
        alerts=len(counted),
    )
    certificate = TripCertificate.for_trip(
        trip,
        declaration_number=r["number"],
        issued_at=max(trip.armed_at, st.last_fix_time or trip.armed_at),
        custody=custody,
        issuer=key_id(private_key.public_key()),
    )
    return consignor, agent, sign_certificate(certificate, private_key)
