"""`landport audit`: verify the hash chain, and keep signed checkpoints of it elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


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
            "each pins an entry to its hash, catching a chain rewritten with its head.",
        ),
    ] = None,
) -> None:
    """Walk the hash chain; exit 1 and name the first broken entry if anything was changed."""
    from landport.adapters.audit_checkpoints import read_checkpoints
    from landport.adapters.db.audit import verify_audit
    from landport.adapters.signing_keys import local_public_keys
    from landport.audit.checkpoint import CheckpointError, witnesses_of
    from landport.bootstrap import bootstrap
    from landport.settings import get_settings

    problems: tuple[str, ...] = ()
    witnesses: dict[int, str] = {}
    if checkpoints is not None:
        if not checkpoints.is_dir():
            err.print(
                f"error: --checkpoints {escape(str(checkpoints))} is not a folder "
                "/ 错误：--checkpoints 须为文件夹"
            )
            raise typer.Exit(code=2)
        found = read_checkpoints(checkpoints, local_public_keys())
        problems = found.problems
        try:
            witnesses = witnesses_of(found.checkpoints)
        except CheckpointError as e:
            problems += (str(e),)
    services = bootstrap(get_settings())
    try:
        report = verify_audit(services.read_engine, witnesses)
    finally:
        services.dispose()
    intact = report.intact and not problems
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "intact": intact,
                    "entries": report.entries,
                    "first_broken_seq": report.first_broken_seq,
                    "reason": report.reason,
                    "checkpoints": len(witnesses),
                    "checkpoint_problems": list(problems),
                }
            )
        )
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
    if not intact:
        raise typer.Exit(code=1)


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
    """Sign the chain head with the port's key and write it to a new file in `--out`."""
    from landport.adapters.audit_checkpoints import take_checkpoint, write_checkpoint
    from landport.adapters.signing_keys import SigningKeyMissing, signing_key
    from landport.audit.checkpoint import CheckpointError
    from landport.bootstrap import bootstrap
    from landport.settings import get_settings

    settings = get_settings()
    services = bootstrap(settings)
    try:
        key = signing_key(environment=settings.environment)
        taken = take_checkpoint(services.read_engine, key, services.clock.now())
        path = write_checkpoint(folder, taken)
    except (SigningKeyMissing, CheckpointError, OSError) as e:
        err.print(f"error: {escape(str(e))} / 错误：检查点未写入")
        raise typer.Exit(code=2) from None
    finally:
        services.dispose()
    if as_json:
        out.print_json(json.dumps({**taken.as_dict(), "file": str(path)}))
    else:
        out.print(f"checkpoint of entry {taken.seq} written to {escape(str(path))}")
