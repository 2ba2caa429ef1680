"""The link a truck's driver opens: its pass is keyed with the site's secret."""

from __future__ import annotations

from typing import Any

from landport.yard.driver_guide import driver_pass


def pass_key(services: Any) -> bytes:
    """The key of the drivers' passes (rotating the site secret revokes every link)."""
    secret: str = services.settings.auth.secret_key.get_secret_value()
    return secret.encode()


def driver_link(services: Any, visit_id: str) -> str:
    """The page a visit's driver opens, relative to the site."""
    return f"/driver/{driver_pass(pass_key(services), visit_id)}"
