"""The ``engagebot`` command line (typer + rich)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from bot import app as app_module
from bot import config as config_loader
from bot import export as export_module
from bot import logs
from bot.config import ConfigError, Secrets
from bot.sentiment_cli import app as sentiment_app
from handlers.config_model import Settings
from storage import schema
from storage.database import Database
from storage.schema import SchemaOutOfDate
from storage.verify import verify

T = TypeVar("T")
app = typer.Typer(help="engagebot: community loyalty bot for Discord and Telegram.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
ledger_app = typer.Typer(help="Points ledger commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(sentiment_app, name="sentiment")
console = Console()
err = Console(stderr=True)
TEMPLATE = Path(__file__).resolve().parent / "templates" / "config.yaml"
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _settings(path: Path) -> Settings:
    try:
        return config_loader.load(path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _read(settings: Settings, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one read-only query on an up-to-date database, or exit with the fix."""
    database = Database(config_loader.database_url(settings, Secrets.from_env()))

    async def main() -> T:
        try:
            await schema.ensure_current(database)
            async with database.unit_of_work() as session:
                return await query(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except SchemaOutOfDate as exc:
        raise _fail(str(exc)) from None


def _database(path: Path) -> Database:
    return Database(config_loader.database_url(_settings(path), Secrets.from_env()))


@app.command()
def init(path: Annotated[Path, typer.Argument()] = Path("config.yaml"),
         force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False) -> None:
    """Write a commented config.yaml to start from."""
    if path.exists() and not force:
        raise _fail(f"{path} already exists; pass --force to overwrite it")
    shutil.copyfile(TEMPLATE, path)
    console.print(f"wrote {path}; edit it, then run `engagebot db upgrade` and `engagebot run`")


@app.command()
def run(config: ConfigOption = Path("config.yaml")) -> None:
    """Start every platform adapter whose token is set in the environment."""
    settings = _settings(config)
    logs.configure(settings.log_level)
    secrets = Secrets.from_env()
    if not (secrets.discord_token or secrets.telegram_token):
        raise _fail(app_module.missing_tokens_message())

    async def main() -> None:
        await app_module.run(await app_module.build(config, secrets))

    try:
        asyncio.run(main())
    except (SchemaOutOfDate, ConfigError) as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        console.print("stopped")


@app.command()
def demo(config: ConfigOption = TEMPLATE,
         out: Annotated[Path, typer.Option(help="Folder for the demo database and report.")] = Path("demo-output"),
         seed: Annotated[int, typer.Option(help="Seed of the sample community.")] = 7,
         messages: Annotated[int, typer.Option(min=2000, help="Chat messages to generate.")] = 2400) -> None:
    """Replay a sample month of a community through the real core, offline."""
    from bot.demo.run import run_demo

    settings = _settings(config)
    logs.configure("warning")
    result = asyncio.run(run_demo(settings, out, seed=seed, messages=messages))
    console.print(result.report, markup=False, highlight=False, soft_wrap=True)
    console.print(f"report written to {result.report_path} (database: {result.database_path})", soft_wrap=True)
    if not result.verified:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = Path("config.yaml")) -> None:
    """Create or migrate the database schema to this version's head."""
    database = _database(config)

    async def main() -> str | None:
        await schema.upgrade(database)
        revision = await schema.current_revision(database)
        await database.dispose()
        return revision

    console.print(f"database at schema revision {asyncio.run(main())}")


@ledger_app.command("verify")
def ledger_verify(config: ConfigOption = Path("config.yaml")) -> None:
    """Recompute every balance and the hash chain; name the first bad entry."""
    settings = _settings(config)
    checks = _read(settings, lambda session: verify(session, tuple(p.id for p in settings.programs)))
    bad = 0
    for check in checks:
        status = "[green]OK[/]" if check.ok else "[red]BROKEN[/]"
        console.print(f"{check.program_id}: {check.entries} entries {status}")
        if check.first_bad_entry:
            console.print(f"  first bad entry: {check.first_bad_entry}", highlight=False)
        for line in check.balance_mismatches[:20]:
            console.print(f"  {line}", highlight=False)
        if check.rank_mismatch:
            console.print("  rank histogram does not match balances")
        bad += 0 if check.ok else 1
    if bad:
        raise typer.Exit(1)


@app.command()
def export(program: Annotated[str, typer.Option(help="Program id from config.yaml.")],
           fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
           out: Annotated[Path, typer.Option(help="Output folder.")] = Path("export"),
           config: ConfigOption = Path("config.yaml")) -> None:
    """Export a program's members, balances and ledger."""
    settings = _settings(config)
    if fmt not in ("csv", "json"):
        raise _fail(f"--format must be csv or json, got {fmt!r}")
    if program not in {p.id for p in settings.programs}:
        raise _fail(f"unknown program {program!r}; configured programs: {[p.id for p in settings.programs]}")
    data = _read(settings, lambda session: export_module.collect(session, program))
    for path in export_module.write(data, program, fmt, out):
        console.print(f"wrote {path}")
