"""`landport`: serve the API, migrate, manage enterprises, users, rules; verify the audit log."""

from __future__ import annotations

import getpass
import json
import math
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from landport.adapters.db.migrate import upgrade
from landport.adapters.db.queries import list_authorisations
from landport.adapters.security import hash_password
from landport.bootstrap import Services, bootstrap, ensure_reference_data
from landport.enterprises.agency import (
    RecordAgencyAuthorisation,
    RevokeAgencyAuthorisation,
    authorisation_snapshot,
)
from landport.enterprises.handlers import CreateUser, RecordExportHistory, RegisterEnterprise
from landport.enterprises.model import Actor, CreditRating, Role
from landport.risk.handlers import PublishRuleset
from landport.settings import Settings, get_settings, setting_problems
from landport.shared.clock import FIRST_DAY, LAST_DAY
from landport.shared.errors import DomainError, InvalidInput, Violation, os_error_text

app = typer.Typer(
    help="Landport: the open platform of an inland land port.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
enterprises_app = typer.Typer(help="Trading enterprises.", no_args_is_help=True)
users_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
risk_app = typer.Typer(help="Selectivity (risk) rules.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(enterprises_app, name="enterprises")
app.add_typer(users_app, name="users")
app.add_typer(risk_app, name="risk")

out = Console()
err = Console(stderr=True, soft_wrap=True)  # a refusal quotes paths and values whole


def cli_actor() -> Actor:
    """Whoever holds the shell and the database URL acts as a port administrator."""
    return Actor(f"cli:{getpass.getuser()}", Role.PORT_ADMIN)


def command_services() -> Services:
    settings = get_settings()
    upgrade(settings.database.url)
    services = bootstrap(settings)
    ensure_reference_data(services)
    return services


def refusal(exc: DomainError) -> typer.Exit:
    """Print a refusal in English and Chinese (as text: a message may quote brackets that the
    console would take for markup) and give the exit to raise."""
    en, zh = escape(exc.message_en), escape(exc.message_zh)
    err.print(f"[red]error:[/red] {en}\n[red]错误：[/red]{zh}")
    if isinstance(exc, InvalidInput):
        for v in exc.violations:
            err.print(f"  - {escape(v.field)}: {escape(v.message_en)} / {escape(v.message_zh)}")
    return typer.Exit(code=2)


def refuse(option: str, code: str, en: str, zh: str) -> typer.Exit:
    """A value given on the command line that breaks a rule, refused through `refusal` before
    anything is read or changed: the messages name the option in both languages."""
    return refusal(InvalidInput([Violation(option, code, en, zh)]))


def whole_number(option: str, low: int | None, high: int | None) -> Callable[[Any], int]:
    """The parser of a whole-number option within bounds, `None` for no bound on that side
    (the option parser's own refusal is English only, and an unbounded number can overflow
    what it feeds). Text that is no whole number is told apart from one out of range."""
    if low is not None and high is not None:
        span_en, span_zh = f" from {low} to {high}", f" {low} 至 {high} 之间的"
    elif low is not None:
        span_en, span_zh = f" of at least {low}", f"不小于 {low} 的"
    elif high is not None:
        span_en, span_zh = f" of at most {high}", f"不大于 {high} 的"
    else:
        span_en = span_zh = ""

    def parse(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise refuse(
                option,
                "not_a_whole_number",
                f"{option} must be a whole number{span_en}; {value!r} is not a whole number",
                f"{option} 须为{span_zh}整数；{value!r} 不是整数",
            ) from None
        if (low is not None and number < low) or (high is not None and number > high):
            raise refuse(
                option,
                "out_of_range",
                f"{option} must be a whole number{span_en} (got {value!r})",
                f"{option} 须为{span_zh}整数（收到 {value!r}）",
            )
        return number

    return parse


def decimal_number(option: str, low: float, high: float) -> Callable[[Any], float]:
    """The parser of a number option within bounds; NaN and infinity are refused (they pass
    any comparison with the bounds unnoticed). Text that is no number is told apart from a
    number out of range."""

    def parse(value: Any) -> float:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
        if math.isnan(number):
            raise refuse(
                option,
                "not_a_number",
                f"{option} must be a number from {low:g} to {high:g}; {value!r} is not a number",
                f"{option} 须为 {low:g} 至 {high:g} 之间的数；{value!r} 不是数字",
            )
        if not (math.isfinite(number) and low <= number <= high):
            raise refuse(
                option,
                "out_of_range",
                f"{option} must be a number from {low:g} to {high:g} (got {value!r})",
                f"{option} 须为 {low:g} 至 {high:g} 之间的数（收到 {value!r}）",
            )
        return number

    return parse


def day_option(option: str, text: str) -> date:
    """A YYYY-MM-DD option between FIRST_DAY and LAST_DAY, or a refusal naming it."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise refuse(
            option,
            "invalid_date",
            f"{option} must be a day from {FIRST_DAY} to {LAST_DAY}, as YYYY-MM-DD (got {text!r})",
            f"{option} 须为 {FIRST_DAY} 至 {LAST_DAY} 之间的日期，格式为 YYYY-MM-DD"
            f"（收到 {text!r}）",
        )
    return day


#: What a JSON document other than an object is, in both languages.
_JSON_KINDS: dict[type, tuple[str, str]] = {
    list: ("an array [...]", "数组 [...]"),
    str: ("a string", "字符串"),
    int: ("a number", "数字"),
    float: ("a number", "数字"),
    bool: ("true or false", "布尔值"),
    type(None): ("null", "null"),
}


def json_object_file(name: str, path: Path) -> dict[str, Any]:
    """A file holding one JSON object, read whole before anything is changed; a file that
    cannot be read, is not UTF-8, is not JSON or is not an object is refused naming it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        en, zh = os_error_text(exc)
        code, en, zh = "unreadable", f"cannot be read ({en})", f"无法读取（{zh}）"
    except UnicodeDecodeError as exc:
        code = "not_utf8"
        en, zh = f"is not UTF-8 text (byte {exc.start})", f"不是 UTF-8 文本（第 {exc.start} 字节）"
    except json.JSONDecodeError as exc:
        code = "not_json"
        en = f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        zh = f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）"
    except RecursionError:
        code, en, zh = "not_json", "is JSON nested too deeply", "JSON 嵌套层数过多"
    else:
        if isinstance(document, dict):
            return document
        code = "not_an_object"
        kind_en, kind_zh = _JSON_KINDS.get(type(document), ("a value", "其他值"))
        en = f"must hold one JSON object {{...}}, not {kind_en}"
        zh = f"须为一个 JSON 对象 {{...}}，而不是{kind_zh}"
    raise refuse(name, code, f"{name} {path} {en}", f"{name} {path} {zh}")


def run_command(command: object) -> Any:
    services = command_services()
    try:
        return services.bus.handle(command).result
    except DomainError as exc:
        raise refusal(exc) from None
    finally:
        services.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(parser=whole_number("--port", 1, 65535), metavar="INTEGER", help="TCP port."),
    ] = 8000,
) -> None:
    """Migrate the database and serve the API (docs at /docs)."""
    import uvicorn

    from landport.entrypoints.web.app import create_app

    services = command_services()
    out.print(f"Landport API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        create_app(services=services),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,  # open big-screen streams must not hold Ctrl-C for long
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (LANDPORT_DATABASE__URL) to the latest schema."""
    url = get_settings().database.url
    upgrade(url)
    services = bootstrap(get_settings())
    added = ensure_reference_data(services)
    services.dispose()
    out.print("database is at the latest schema")
    if added["ruleset_version"]:
        out.print(f"default risk ruleset published as version {added['ruleset_version']}")
    routes = added["routes_added"]
    if isinstance(routes, list) and routes:
        out.print(f"approved routes added (approximate): {', '.join(routes)}")


@enterprises_app.command("create")
def enterprises_create(
    uscc: Annotated[str, typer.Option(help="Unified social credit code (18 characters).")],
    name_zh: Annotated[str, typer.Option(help="Registered name in Chinese.")],
    name_en: Annotated[str, typer.Option(help="Name in English.")],
    province: Annotated[str, typer.Option(help="Province id, e.g. zhejiang, tibet.")],
    rating: Annotated[CreditRating, typer.Option(help="Customs credit rating.")],
    customs_code: Annotated[str | None, typer.Option(help="10-character customs code.")] = None,
    exports_here_since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="First export through this port (YYYY-MM-DD), from earlier records: "
            "the enterprise is then not a first-time exporter.",
        ),
    ] = None,
) -> None:
    """Register an enterprise with customs at this port."""
    since = exports_here_since.date() if exports_here_since else None
    run_command(
        RegisterEnterprise(
            cli_actor(),
            uscc,
            name_zh,
            name_en,
            province,
            rating.value,
            customs_code=customs_code,
            exports_here_since=since,
        )
    )
    out.print(f"enterprise {uscc} registered")


@enterprises_app.command("history")
def enterprises_history(
    uscc: Annotated[str, typer.Option(help="Unified social credit code (18 characters).")],
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="First export through this port (YYYY-MM-DD); leave out to clear it.",
        ),
    ] = None,
) -> None:
    """Record a registered enterprise's export history at this port, from earlier records."""
    day = since.date() if since else None
    run_command(RecordExportHistory(cli_actor(), uscc, day))
    out.print(f"enterprise {uscc}: exports here since {day or 'unknown'}")


@enterprises_app.command("authorise")
def enterprises_authorise(
    consignor: Annotated[str, typer.Option(help="USCC of the consignor giving the authorisation.")],
    agent: Annotated[str, typer.Option(help="USCC of the customs broker authorised to declare.")],
    valid_from: Annotated[str, typer.Option(help="First date (YYYY-MM-DD).")],
    valid_to: Annotated[str, typer.Option(help="Last date (YYYY-MM-DD), included.")],
) -> None:
    """Record a consignor's authorisation of a customs broker (代理报关委托书)."""
    first, last = day_option("--valid-from", valid_from), day_option("--valid-to", valid_to)
    cmd = RecordAgencyAuthorisation(cli_actor(), consignor, agent, first, last)
    recorded = run_command(cmd)
    out.print(
        f"authorisation {recorded.id}: {agent} may declare for {consignor} "
        f"from {recorded.valid_from} to {recorded.valid_to}"
    )


@enterprises_app.command("authorisations")
def enterprises_authorisations(
    consignor: Annotated[str | None, typer.Option(help="Only this consignor's.")] = None,
    agent: Annotated[str | None, typer.Option(help="Only this broker's.")] = None,
) -> None:
    """List agency authorisations (revoked ones too) as JSON lines, the newest first."""
    services = command_services()
    try:
        found = list_authorisations(
            services.read_engine, consignor_uscc=consignor, agent_uscc=agent
        )
    finally:
        services.dispose()
    for a in found:
        out.print_json(json.dumps(authorisation_snapshot(a), ensure_ascii=False))


@enterprises_app.command("revoke-authorisation")
def enterprises_revoke_authorisation(
    authorisation_id: Annotated[str, typer.Argument(help="The authorisation's id.")],
    reason: Annotated[str, typer.Option(help="Why it is revoked (audited).")],
) -> None:
    """Revoke an agency authorisation: the broker may no longer declare for the consignor."""
    run_command(RevokeAgencyAuthorisation(cli_actor(), authorisation_id, reason))
    out.print(f"authorisation {authorisation_id} revoked")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Login name.")],
    password: Annotated[str, typer.Option(help="Password (stored as an Argon2 hash).")],
    role: Annotated[Role, typer.Option(help="Role.")],
    enterprise: Annotated[str | None, typer.Option(help="USCC, for declarants.")] = None,
    port: Annotated[str | None, typer.Option(help="Border port id, for border officers.")] = None,
) -> None:
    """Create a user; declarants need --enterprise, border officers --port."""
    if len(password) < 8:
        err.print("error: password must be at least 8 characters / 错误：密码至少 8 位")
        raise typer.Exit(code=2)
    run_command(
        CreateUser(cli_actor(), username, hash_password(password), role.value, enterprise, port)
    )
    out.print(f"user {username} created ({role.value})")


@risk_app.command("publish")
def risk_publish(
    file: Annotated[Path, typer.Argument(help="Ruleset JSON file (one object).")],
    comment: Annotated[str | None, typer.Option(help="Why the rules change.")] = None,
) -> None:
    """Publish a ruleset file as the next version."""
    document = json_object_file("FILE", file)
    version = run_command(PublishRuleset(cli_actor(), document, comment))
    out.print(f"ruleset published as version {version}")


@risk_app.command("show")
def risk_show() -> None:
    """Print the active ruleset as JSON."""
    services = command_services()
    with services.uow_factory() as uow:
        version, document = uow.rulesets.current()
    services.dispose()
    sys.stdout.write(
        json.dumps({"version": version, "document": document}, ensure_ascii=False, indent=1) + "\n"
    )


def main() -> None:
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from landport.entrypoints.cli import (
        accounts,
        api_keys,
        appointments,
        audit,
        custody,
        demo,
        reports,
        simulate,
        telemetry,
        yard,
    )

    demo.register(app)
    accounts.register(app)
    api_keys.register(app)
    audit.register(app)
    reports.register(app)
    custody.register(app)
    telemetry.register(app)
    yard.register(app)
    appointments.register(app)
    simulate.register(app)
    try:
        app()
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        problems = [
            Violation(variable, "bad_setting", f"{variable} {why}", f"{variable} 取值无效：{why}")
            for variable, why in setting_problems(exc)
        ]
        raise SystemExit(refusal(InvalidInput(problems)).exit_code) from None
    except (OperationalError, ProgrammingError) as exc:
        err.print(
            f"error: the database cannot be used ({exc.orig}); check LANDPORT_DATABASE__URL "
            "and run 'landport db upgrade'\n"
            "错误：数据库不可用，请检查 LANDPORT_DATABASE__URL 并执行 'landport db upgrade'"
        )
        raise SystemExit(2) from None
