"""``engagebot ugc``: a program's user-generated content as CSV, JSON or an HTML gallery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot import config as config_loader
from bot import ugc_export
from bot.cli_common import ConfigOption, fail, load_settings, program_named
from bot.config import Secrets
from bot.reports.gallery import ugc_gallery
from handlers.config_model import Settings
from handlers.ugc.media_store import MediaStore
from storage import schema
from storage.database import Database

app = typer.Typer(help="User-generated content commands.", no_args_is_help=True)
console = Console()
FORMATS = ("csv", "json", "html")
DEFAULT_STATUSES = ("approved", "featured")

def _statuses(given: list[str] | None) -> tuple[str, ...]:
    """``--status`` may be repeated or comma-separated; the default is what a brand team may publish."""
    chosen = {part.strip() for value in given or [] for part in value.split(",") if part.strip()}
    unknown = sorted(chosen - set(ugc_export.STATUSES))
    if unknown:
        raise fail(f"--status {', '.join(unknown)}: expected {', '.join(ugc_export.STATUSES)}")
    return tuple(s for s in ugc_export.STATUSES if s in chosen) or DEFAULT_STATUSES


def _target(out: Path | None, program_id: str, fmt: str) -> Path:
    """Checked before the database is read, so a typo in --out costs nothing."""
    target = out or Path(f"{program_id}-ugc.{fmt}")
    if target.is_dir():
        raise fail(f"--out {target} is a folder; name a file in it")
    if not target.parent.is_dir():
        raise fail(f"--out {target}: folder {target.parent} does not exist")
    return target


def _collect(settings: Settings, program_id: str, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    database = Database(config_loader.database_url(settings, Secrets.from_env()))

    async def main() -> list[dict[str, Any]]:
        try:
            await schema.ensure_current(database)
            async with database.unit_of_work() as session:
                return await ugc_export.collect(session, program_id, statuses)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except schema.SchemaOutOfDate as exc:
        raise fail(str(exc)) from None


@app.command("export")
def export(
    program: Annotated[str, typer.Option(help="Program id from config.yaml.")],
    status: Annotated[list[str] | None, typer.Option(
        help="approved, featured, pending or rejected; repeat it or separate with commas "
             "(default: approved,featured).")] = None,
    fmt: Annotated[str, typer.Option("--format",
                                     help="csv, json or html (a gallery that opens from disk).")] = "csv",
    out: Annotated[Path | None, typer.Option(help="File to write (default: PROGRAM-ugc.FORMAT).")] = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Write a program's submissions with their author, media, sentiment, status and link."""
    settings = load_settings(config)
    chosen = program_named(settings, program)
    statuses = _statuses(status)
    if fmt not in FORMATS:
        raise fail(f"--format must be csv, json or html, got {fmt!r}")
    target = _target(out, program, fmt)
    rows = _collect(settings, program, statuses)
    try:
        if fmt == "html":
            page = ugc_gallery(rows, chosen, statuses, MediaStore(settings.media_dir), datetime.now(UTC))
            target.write_text(page, encoding="utf-8")
        else:
            ugc_export.write(rows, fmt, target)
    except OSError as exc:
        raise fail(f"cannot write --out {target}: {exc.strerror or exc}") from None
    console.print(f"wrote {len(rows)} submissions to {target}", highlight=False, soft_wrap=True)
