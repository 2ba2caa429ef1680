"""`landport audit`: verify the hash chain, and keep signed checkpoints of it elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from landport.entrypoints.cli.app import err, out, refuse

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="Folder of checkpoints kept outside the database (`audit checkpoint`): "
            "each pins an entry to its hash, catching a chain rewritten with its head. "
            "A folder with no valid checkpoint fails the check.",
        ),
    ] = None,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            help="Public key the checkpoints were signed with (PEM file or base64); repeat "
            "for keys retired since. Default: the local signing key's public half."
        ),
    ] = None,
) -> None:
    """Walk the hash chain; exit 1 and name the first broken entry if anything was changed."""
    from landport.adapters.db.audit import verify_audit
    from landport.bootstrap import bootstrap
    from landport.settings import get_settings

    witnesses: dict[int, str] = {}
    problems: tuple[str, ...] = ()
    if checkpoints is not None:
        witnesses, problems = _witnesses(checkpoints, public_key)
    services = bootstrap(get_settings())
    try:
        report = verify_audit(services.read_engine, witnesses)
    finally:
        services.dispose()
    answer = report.as_dict(list(problems))
    if as_json:
        out.print_json(json.dumps({**answer, "checkpoints": len(witnesses)}))
    else:
        if report.intact:
            kept = f", {len(witnesses)} checkpoints agree" if checkpoints is not None else ""
            out.print(f"audit log intact: {report.entries} entries{kept}")
        else:
            err.print(
                f"audit log BROKEN at entry {report.first_broken_seq}: "
                f"{escape(report.reason or '')} / 审计日志在第 {report.first_broken_seq} 条被篡改"
            )
        for problem in problems:
            err.print(f"checkpoint problem: {escape(problem)} / 检查点无效")
    if not answer["intact"]:
        raise typer.Exit(code=1)


def _witnesses(
    folder: Path, public_key: list[str] | None
) -> tuple[dict[int, str], tuple[str, ...]]:
    """seq -> hash from the folder's checkpoints, and every problem with them. An empty
    folder (deleted files, a wrong path in a cron job) is a problem: it proves nothing."""
    from landport.adapters.audit_checkpoints import read_checkpoints
    from landport.audit.checkpoint import CheckpointError, witnesses_of
    from landport.entrypoints.cli.keys import verifying_keys

    if not folder.is_dir():
        raise refuse(
            "--checkpoints",
            "not_a_folder",
            f"--checkpoints {folder} is not a folder",
            f"--checkpoints {folder} 不是文件夹",
        )
    found = read_checkpoints(folder, verifying_keys(public_key))
    problems = found.problems
    if not found.checkpoints:
        problems += (f"no valid checkpoint in {folder}",)
    try:
        return witnesses_of(found.checkpoints), problems
    except CheckpointError as e:
        return {}, (*problems, str(e))


@audit_app.command("checkpoint")
def audit_checkpoint(
    folder: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder outside the database (another host, write-once storage) to keep it in.",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the checkpoint as JSON.")] = False,
) -> None:
    """Verify the chain (against the checkpoints already in `--out`), then sign its head with
    the port's key into a new file there. Exit 1 when the chain or a kept checkpoint fails:
    a checkpoint is never signed over a broken chain."""
    from landport.adapters.audit_checkpoints import (
        read_checkpoints,
        take_checkpoint,
        write_checkpoint,
    )
    from landport.adapters.signing_keys import SigningKeyMissing, signing_key
    from landport.audit.checkpoint import CheckpointError, witnesses_of
    from landport.bootstrap import bootstrap
    from landport.settings import get_settings

    settings = get_settings()
    try:
        key = signing_key(environment=settings.environment)
    except SigningKeyMissing as e:
        err.print(f"error: {escape(str(e))} / 错误：检查点未写入")
        raise typer.Exit(code=2) from None
    kept = read_checkpoints(folder, [key.public_key()]) if folder.is_dir() else None
    if kept is not None and kept.problems:
        for problem in kept.problems:
            err.print(f"checkpoint problem: {escape(problem)} / 检查点无效")
        raise typer.Exit(code=1)
    services = bootstrap(settings)
    try:
        witnesses = witnesses_of(kept.checkpoints) if kept is not None else {}
        taken = take_checkpoint(services.read_engine, key, services.clock.now(), witnesses)
        path = write_checkpoint(folder, taken)
    except CheckpointError as e:
        err.print(f"error: {escape(str(e))} / 错误：审计日志校验失败，检查点未写入")
        raise typer.Exit(code=1) from None
    except OSError as e:
        err.print(f"error: {escape(str(e))} / 错误：检查点未写入")
        raise typer.Exit(code=2) from None
    finally:
        services.dispose()
    if as_json:
        out.print_json(json.dumps({**taken.as_dict(), "file": str(path)}))
    else:
        out.print(f"checkpoint of entry {taken.seq} written to {escape(str(path))}")
