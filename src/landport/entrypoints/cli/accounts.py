"""`landport users list|deactivate|reactivate|reset-password`: people's accounts after they
are created. Deactivating or resetting a password ends the tokens the person holds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from landport.adapters.db.queries import list_users
from landport.adapters.security import hash_password
from landport.enterprises.accounts import DeactivateUser, ReactivateUser, ResetPassword
from landport.entrypoints.cli.app import (
    cli_actor,
    command_services,
    out,
    refuse,
    run_command,
    users_app,
)

Reason = Annotated[str, typer.Option(help="Why (kept in the audit log).")]


def register(app: typer.Typer) -> None:
    """The commands join `landport users` (created in app.py with `users create`)."""
    users_app.command("list")(users_list)
    users_app.command("deactivate")(users_deactivate)
    users_app.command("reactivate")(users_reactivate)
    users_app.command("reset-password")(users_reset_password)


def users_list() -> None:
    """People and their roles, with whether each may log in."""
    services = command_services()
    try:
        rows = list_users(services.read_engine)
    finally:
        services.dispose()
    table = Table("username", "role", "bound to", "active", "created")
    for r in rows:
        bound = r["enterprise_uscc"] or r["port_id"] or ""
        table.add_row(
            r["username"],
            r["role"],
            bound,
            "yes" if r["active"] else "no",
            f"{r['created_at']:%Y-%m-%d}",
        )
    out.print(table)


def users_deactivate(
    username: Annotated[str, typer.Argument(help="The login name.")], reason: Reason
) -> None:
    """The person may no longer log in; every token they hold is refused from now on."""
    run_command(DeactivateUser(cli_actor(), username, reason))
    out.print(f"user {username} deactivated; their sessions are ended")


def users_reactivate(
    username: Annotated[str, typer.Argument(help="The login name.")], reason: Reason
) -> None:
    """The person may log in again (earlier tokens stay ended)."""
    run_command(ReactivateUser(cli_actor(), username, reason))
    out.print(f"user {username} reactivated")


def users_reset_password(
    username: Annotated[str, typer.Argument(help="The login name.")],
    reason: Reason,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="The new password (asked for when not given: it stays out of the shell's "
            "history).",
        ),
    ],
) -> None:
    """Set a new password; every token issued before it is refused from now on."""
    if len(password) < 8:
        raise refuse(
            "--password",
            "password_too_short",
            "--password must be at least 8 characters",
            "--password 至少 8 位",
        )
    run_command(ResetPassword(cli_actor(), username, hash_password(password), reason))
    out.print(f"password of {username} reset; their earlier sessions are ended")
