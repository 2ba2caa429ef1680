"""Who may do what on the custody broker: Mosquitto's dynamic-security file.

Positions are customs data and the live screens trust the alerts the workers publish, so the
broker admits only named logins, each with one role. Mosquitto's plain ACL file is not
enough: it filters what a client receives but lets anyone subscribe, so a client that joins
the ingest workers' shared subscription takes a share of the telemetry that then reaches
nobody. The dynamic-security plugin refuses the subscription itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TELEMETRY = "landport/v1/seals/+/telemetry"
EVENTS = "landport/v1/events/#"
#: PBKDF2-SHA512 rounds of a stored password (Mosquitto checks it at each connection).
ITERATIONS = 20_000


#: Where the deployed configuration names the plugin (Debian's path).
DEPLOYED_PLUGIN = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"


def dynamic_security_plugin() -> str:
    """Where this system keeps Mosquitto's dynamic-security plugin (the deployed path if it
    finds none): a broker started from deploy/ on another layout is pointed at it."""
    found = sorted(Path("/usr/lib").glob("**/mosquitto_dynamic_security.so"))
    return str(found[0]) if found else DEPLOYED_PLUGIN


def _allow(acltype: str, topic: str) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "priority": 0, "allow": True}


def roles(group: str) -> dict[str, list[dict[str, Any]]]:
    """The roles a login can have. `group`: the ingest workers' shared subscription group."""
    return {
        # An e-lock, or a vendor's gateway relaying its locks: publishes telemetry, reads
        # nothing. Each message is signed with its lock's own secret, so a lock that publishes
        # under another's name is refused by the ingest (bad_signature).
        "telemetry-publisher": [_allow("publishClientSend", TELEMETRY)],
        # The ingest workers: the telemetry (as one shared group, or alone) and the events
        # they publish for the screens after each commit.
        "ingest-worker": [
            _allow("subscribePattern", f"$share/{group}/{TELEMETRY}"),
            _allow("subscribePattern", TELEMETRY),
            _allow("publishClientSend", EVENTS),
        ],
        # The web server: hears the workers' events for the live screens and consoles.
        "event-reader": [_allow("subscribePattern", EVENTS)],
    }


def _stored_password(password: str) -> dict[str, Any]:
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS, 64)
    return {
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": ITERATIONS,
    }


def security_document(
    logins: Mapping[str, tuple[str, str]], *, group: str = "landport-ingest"
) -> dict[str, Any]:
    """The plugin's file: `logins` maps a user name to (password, role). Nothing is allowed
    that a role does not grant; a client without a login is refused at the door."""
    known = roles(group)
    for user, (_, role) in logins.items():
        if role not in known:
            raise ValueError(f"login {user}: unknown role {role!r} (one of {', '.join(known)})")
    return {
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,  # what a client may subscribe to, it may receive
            "subscribe": False,
            "unsubscribe": True,
        },
        "clients": [
            {"username": user, **_stored_password(password), "roles": [{"rolename": role}]}
            for user, (password, role) in sorted(logins.items())
        ],
        "groups": [],
        "roles": [{"rolename": name, "acls": acls} for name, acls in known.items()],
    }


def write_security_file(
    path: Path,
    logins: Mapping[str, tuple[str, str]],
    *,
    group: str = "landport-ingest",
    mode: int = 0o600,
) -> None:
    """Write the file for the broker (it holds password hashes: give it to the broker's user,
    who also writes it back when logins are changed with `mosquitto_ctrl dynsec`)."""
    path.write_text(json.dumps(security_document(logins, group=group), indent=2))
    os.chmod(path, mode)
