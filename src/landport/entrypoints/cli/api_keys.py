"""`landport api-keys`: issue, list and revoke the API keys of machine clients."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column, Table

from landport.adapters.db.api_keys import list_api_keys, new_api_key
from landport.enterprises.api_keys import ApiKey, IssueApiKey, RevokeApiKey
from landport.enterprises.model import Role
from landport.entrypoints.cli.app import cli_actor, command_services, out, run_command

api_keys_app = typer.Typer(
    help="API keys of machine clients (gate cameras, scanners, weighbridges).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app (once, however often it is called)."""
    if not any(group.typer_instance is api_keys_app for group in app.registered_groups):
        app.add_typer(api_keys_app, name="api-keys")


@api_keys_app.command("create")
def api_keys_create(
    name: Annotated[str, typer.Option(help="Unique name, e.g. gate-in-1-camera.")],
    role: Annotated[Role, typer.Option(help="Role the device acts with.")],
    resource: Annotated[
        str | None, typer.Option(help="Resource the key is bound to, e.g. gate-in-1.")
    ] = None,
) -> None:
    """Issue a key and print it once: only its hash is stored."""
    key, key_hash = new_api_key()
    issued: ApiKey = run_command(IssueApiKey(cli_actor(), name, role.value, resource, key_hash))
    out.print(
        f"API key '{issued.name}' issued (role {issued.role.value}, "
        f"resource {issued.resource_id or '-'}); it is shown only once / 密钥仅显示一次:",
        highlight=False,
    )
    typer.echo(key)  # plain, last line: easy to copy or to capture in a provisioning script


@api_keys_app.command("revoke")
def api_keys_revoke(
    name: Annotated[str, typer.Option(help="Name of the key.")],
    reason: Annotated[str, typer.Option(help="Why the key is revoked (audited).")],
) -> None:
    """Revoke a key: the device is refused within seconds; the record stays."""
    run_command(RevokeApiKey(cli_actor(), name, reason))
    out.print(f"API key '{name}' revoked")


@api_keys_app.command("list")
def api_keys_list() -> None:
    """Every key issued, without the keys themselves."""
    services = command_services()
    try:
        keys = list_api_keys(services.read_engine)
    finally:
        services.dispose()
    table = Table(
        Column("name", no_wrap=True), "role", "resource", "active", "created", "by", "revoked"
    )
    for k in keys:
        table.add_row(
            k.name,
            k.role.value,
            k.resource_id or "-",
            "yes" if k.active else "no",
            k.created_at.isoformat(timespec="seconds"),
            k.created_by,
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "-",
        )
    out.print(table)
