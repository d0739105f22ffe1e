"""The ``engagebot`` command line (typer + rich)."""

from __future__ import annotations

import asyncio
import signal
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession
from typer.core import TyperGroup

from bot import app as app_module
from bot import config as config_loader
from bot import errors, logs, sentiment_export
from bot import export as export_module
from bot.cli_common import ConfigOption, fail, load_settings, program_named
from bot.config import ConfigError, Secrets
from bot.contest_cli import app as contest_app
from bot.demo.sample import MESSAGES as DEMO_MESSAGES
from bot.digest_cli import digest as digest_command
from bot.experiments_cli import app as experiments_app
from bot.sentiment_cli import app as sentiment_app
from bot.ugc_cli import app as ugc_app
from handlers.churn import score as churn_score
from handlers.clock import utcnow
from handlers.config_model import Settings
from handlers.i18n import translate
from storage import checkpoint, schema
from storage import members as member_store
from storage.database import Database
from storage.schema import SchemaOutOfDate
from storage.verify import verify

T = TypeVar("T")
_global_options = {"debug": False}
errors.install_thread_hook()
console = Console()
err = Console(stderr=True)


class _OneLineErrors(TyperGroup):
    """A person's mistake or a network problem ends in one line and exit 1, never a traceback;
    ``--debug`` adds the traceback, redacted like the logs."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:  # noqa: BLE001 - the point: whatever it was, one line (traceback with --debug)
            if ctx.params.get("debug"):
                err.print(logs.redact(traceback.format_exc()), markup=False, highlight=False, soft_wrap=True)
            raise fail(errors.explain(exc), 1) from None


app = typer.Typer(help="engagebot: community loyalty bot for Discord and Telegram.", no_args_is_help=True,
                  cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]},
                  pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
ledger_app = typer.Typer(help="Points ledger commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(sentiment_app, name="sentiment")
app.add_typer(contest_app, name="contest")
app.add_typer(ugc_app, name="ugc")
app.command("digest")(digest_command)
app.add_typer(experiments_app, name="experiments")
TEMPLATE = Path(__file__).resolve().parent / "templates" / "config.yaml"

def _debug() -> bool:
    """Whether the global ``--debug`` was given (the callback below records it before any command runs)."""
    return _global_options["debug"]


def _show_version(value: bool) -> None:
    if value:
        console.print(f"engagebot {metadata.version('engagebot')}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and HTTP debug logs (secrets stay "
                                                            "redacted).")] = False,
         version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """engagebot: community loyalty bot for Discord and Telegram."""
    _global_options["debug"] = debug



def _ledger_key() -> bytes | None:
    try:
        return config_loader.ledger_key(Secrets.from_env())
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _read(settings: Settings, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one read-only query on an up-to-date database, or exit with the fix."""
    database = Database(config_loader.database_url(settings, Secrets.from_env()), ledger_key=_ledger_key())

    async def main() -> T:
        try:
            await schema.ensure_current(database)
            async with database.unit_of_work(read_only=True) as session:
                return await query(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except SchemaOutOfDate as exc:
        raise fail(str(exc)) from None


def _database(path: Path) -> Database:
    return Database(config_loader.database_url(load_settings(path), Secrets.from_env()))


@app.command()
def init(path: Annotated[Path, typer.Argument()] = Path("config.yaml"),
         force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False) -> None:
    """Write a commented config.yaml to start from."""
    if path.exists() and not force:
        raise fail(f"{path} already exists; pass --force to overwrite it")
    path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    console.print(f"wrote {path}; edit it, then run `engagebot db upgrade` and `engagebot run`")


@app.command()
def run(config: ConfigOption = Path("config.yaml")) -> None:
    """Start every platform adapter whose token is set in the environment; SIGTERM or Ctrl-C stops it
    cleanly (exit 0) within shutdown_grace_seconds."""
    settings = load_settings(config)
    logs.configure(settings.log_level, debug=_debug())
    secrets = Secrets.from_env()
    if not (secrets.discord_token or secrets.telegram_token):
        raise fail(app_module.missing_tokens_message())

    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, app_module.request_stop, stopping, signum.name)
        await app_module.serve(config, secrets, stopping)

    try:
        asyncio.run(main())
    except (SchemaOutOfDate, ConfigError) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        console.print("stopped")


@app.command()
def demo(config: ConfigOption = TEMPLATE,
         out: Annotated[Path, typer.Option(help="Folder for the demo database and report.")] = Path("demo-output"),
         seed: Annotated[int, typer.Option(help="Seed of the sample community.")] = 7,
         messages: Annotated[int, typer.Option(min=1, max=1_000_000,
                                               help="Chat messages to generate.")] = DEMO_MESSAGES,
         ) -> None:
    """Replay a sample month of a community through the real core, offline.

    Uses a fresh SQLite file in --out, or ENGAGEBOT_DATABASE_URL (an empty database) when it is set."""
    from bot.demo.run import DemoError, run_demo

    settings = load_settings(config)
    logs.configure("warning", debug=_debug())
    try:
        result = asyncio.run(run_demo(settings, out, seed=seed, messages=messages,
                                      database_url=Secrets.from_env().database_url))
    except DemoError as exc:
        raise fail(str(exc)) from None
    for table in result.report.tables():
        console.print(table)
        console.print()
    console.print(f"report written to {result.report_path} (database: {result.database})", soft_wrap=True,
                  highlight=False)
    console.print(f"digest (HTML with charts) written to {result.digest_path}", soft_wrap=True, highlight=False)
    if not result.verified:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = Path("config.yaml")) -> None:
    """Create or migrate the database schema to this version's head."""
    database = _database(config)

    async def main() -> str | None:
        try:
            await schema.upgrade(database)
            return await schema.current_revision(database)
        finally:
            await database.dispose()

    console.print(f"database at schema revision {asyncio.run(main())}")


@ledger_app.command("verify")
def ledger_verify(config: ConfigOption = Path("config.yaml"),
                  checkpoints: Annotated[list[Path] | None, typer.Option(
                      "--checkpoint", help="Checkpoint file, or folder of them (repeatable).")] = None) -> None:
    """Check the hash chain, balances, checkpoints and derived state; name the first bad entry."""
    settings = load_settings(config)
    try:
        anchors = checkpoint.read(checkpoints or [])
    except checkpoint.CheckpointError as exc:
        raise fail(str(exc)) from None
    zones = {p.id: p.timezone for p in settings.programs}
    checks = _read(settings, lambda session: verify(session, tuple(zones), checkpoints=anchors, timezones=zones))
    if _ledger_key() is None:
        err.print(f"[yellow]note:[/] {config_loader.UNKEYED_LEDGER_WARNING}", highlight=False, soft_wrap=True)
    if not anchors:
        err.print("[yellow]note:[/] no --checkpoint given: removing the newest entries (and fixing the head) "
                  "or a whole program's ledger cannot be detected", highlight=False, soft_wrap=True)
    bad = 0
    for check in checks:
        status = "[green]OK[/]" if check.ok else "[red]BROKEN[/]"
        anchored = "" if check.anchored_at is None else f", anchored by a checkpoint at seq {check.anchored_at}"
        console.print(f"{check.program_id}: {check.entries} entries{anchored} {status}")
        if check.first_bad_entry:
            console.print(f"  first bad entry: {check.first_bad_entry}", highlight=False, markup=False, soft_wrap=True)
        lines = [*check.anchor_problems, *check.balance_mismatches[:20], *check.derived_mismatches,
                 *(["rank histogram does not match balances"] if check.rank_mismatch else []),
                 *(f"note: {note}" for note in check.notes)]
        for line in lines:
            console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
        bad += 0 if check.ok else 1
    if bad:
        raise typer.Exit(1)


@ledger_app.command("checkpoint")
def ledger_checkpoint(config: ConfigOption = Path("config.yaml"),
                      program: Annotated[str | None, typer.Option(help="Program id (default: every program).")] = None,
                      out: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
                      ) -> None:
    """Write a checkpoint of each program's ledger (JSON, signed with ENGAGEBOT_LEDGER_KEY) to keep elsewhere."""
    settings = load_settings(config)
    configured = [p.id for p in settings.programs]
    if program is not None and program not in configured:
        raise fail(f"unknown program {program!r}; configured programs: {configured}")
    if _ledger_key() is None:
        err.print(f"[yellow]note:[/] checkpoint not signed: {config_loader.ENV_LEDGER_KEY} is not set",
                  highlight=False, soft_wrap=True)

    async def take_all(session: AsyncSession) -> list[checkpoint.Checkpoint]:
        return [await checkpoint.take(session, program_id) for program_id in ([program] if program else configured)]

    try:
        taken = _read(settings, take_all)
    except checkpoint.CheckpointError as exc:
        raise fail(str(exc)) from None
    if out is None:
        typer.echo(checkpoint.dumps(taken), nl=False)
        return
    checkpoint.write(out, taken)
    for cp in taken:
        err.print(f"{cp.program_id}: checkpoint at seq {cp.seq} written to {out}", highlight=False)


@app.command()
def churn(program: Annotated[str | None, typer.Option(help="Program id from config.yaml (default: the only one).")]
          = None,
          top: Annotated[int, typer.Option(min=1, max=10_000, help="How many members to list.")] = 20,
          config: ConfigOption = Path("config.yaml")) -> None:
    """List the members most at risk of churning now, with the factors behind each score."""
    settings = load_settings(config)
    chosen = program_named(settings, program)
    now = utcnow()

    async def query(session: AsyncSession) -> list[tuple[str, str, str, str]]:
        ranked = (await churn_score.risks(session, chosen, now))[:top]
        names = await member_store.display_names(session, [r.member_id for r in ranked])
        return [(names.get(r.member_id, f"#{r.member_id}"), f"{r.score * 100:.0f}%",
                 r.last_active.strftime("%Y-%m-%d %H:%M"), r.explain(chosen.locale) or "-") for r in ranked]

    found = _read(settings, query)
    if not found:
        console.print(translate("cli.churn.none", chosen.locale, program=chosen.name, weeks=churn_score.LOOKBACK_WEEKS))
        return
    table = Table(title=translate("cli.churn.title", chosen.locale, program=chosen.name,
                                  at=now.strftime("%Y-%m-%d %H:%M UTC")), title_justify="left")
    table.add_column("member")
    table.add_column("risk", justify="right")
    table.add_column("last active (UTC)")
    table.add_column("top factors")
    for row in found:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)


@app.command()
def export(program: Annotated[str, typer.Option(help="Program id from config.yaml.")],
           fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
           out: Annotated[Path, typer.Option(help="Output folder.")] = Path("export"),
           since: Annotated[datetime | None, typer.Option(help="Messages from this UTC time on.")] = None,
           until: Annotated[datetime | None, typer.Option(help="Messages before this UTC time.")] = None,
           config: ConfigOption = Path("config.yaml")) -> None:
    """Export a program's members (one row per person, with tier and rank), balances, ledger, referral
    funnel, redemptions and messages with their sentiment."""
    settings = load_settings(config)
    if fmt not in ("csv", "json"):
        raise fail(f"--format must be csv or json, got {fmt!r}")
    chosen = next((p for p in settings.programs if p.id == program), None)
    if chosen is None:
        raise fail(f"unknown program {program!r}; configured programs: {[p.id for p in settings.programs]}")
    start, end = sentiment_export.naive_utc(since), sentiment_export.naive_utc(until)
    if start is not None and end is not None and start >= end:
        raise fail(f"--since {since} must be before --until {until}")
    data = _read(settings, lambda session: export_module.collect(session, chosen, start, end))
    for path in export_module.write(data, program, fmt, out):
        console.print(f"wrote {path}")
