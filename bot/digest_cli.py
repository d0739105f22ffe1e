"""``engagebot digest``: a program's brand-team digest for a recent period, written as one HTML file.

The period ends now and reaches back ``--since`` (``24h``, ``7d``, ``30d``, ``2w``);
it is compared with the period of the same length before it. Mistakes (an unknown
program, a malformed ``--since``, an output folder that does not exist) end in one
line before the database is opened. The builder (jieba) and the renderer
(matplotlib) are imported only when the command runs, so every other command
starts as fast as before.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from bot import config as config_loader
from bot.cli_common import ConfigOption, fail, load_settings, program_named
from bot.config import Secrets
from handlers.clock import utcnow
from handlers.config_model import Program, Settings
from handlers.digest.model import Period
from storage import schema
from storage.database import Database

if TYPE_CHECKING:
    from handlers.digest.model import Digest

console = Console()
_SINCE = re.compile(r"(\d{1,4})([hdw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
LONGEST = timedelta(days=366)



def since(value: str) -> timedelta:
    """``24h``, ``7d``, ``2w``: a whole number of hours, days or weeks, up to 366 days."""
    match = _SINCE.fullmatch(value.strip().lower())
    length = int(match.group(1)) * _UNITS[match.group(2)] if match else None
    if length is None or not timedelta(0) < length <= LONGEST:
        raise fail(f"--since {value!r}: expected a number of hours, days or weeks up to 366 days, "
                    "e.g. 24h, 7d or 30d")
    return length


def _target(out: Path) -> Path:
    """Checked before the database is read, so a typo in --out costs nothing."""
    if out.is_dir():
        raise fail(f"--out {out} is a folder; name a file in it")
    if not out.parent.is_dir():
        raise fail(f"--out {out}: folder {out.parent} does not exist")
    return out


def _build(settings: Settings, program: Program, period: Period) -> Digest:
    from handlers.digest.build import build

    database = Database(config_loader.database_url(settings, Secrets.from_env()))

    async def main() -> Digest:
        try:
            await schema.ensure_current(database)
            async with database.unit_of_work(read_only=True) as session:
                return await build(session, program, period, period.end)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except schema.SchemaOutOfDate as exc:
        raise fail(str(exc)) from None


def digest(
    program: Annotated[str | None, typer.Option(
        help="Program id from config.yaml (default: the only one).")] = None,
    since_option: Annotated[str, typer.Option(
        "--since", help="Period ending now: 24h, 7d, 30d, 2w...")] = "7d",
    out: Annotated[Path | None, typer.Option(
        help="HTML file to write (default: digest-PROGRAM-DATE.html).")] = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Write a program's digest (activity, sentiment, terms, points, feature sections, with charts) as one
    HTML file that opens offline, compared with the period before."""
    from bot.reports.digest import file_stem, render
    from bot.reports.digest_text import bounds

    settings = load_settings(config)
    chosen = program_named(settings, program)
    length = since(since_option)
    target = _target(out) if out is not None else None
    end = utcnow()
    built = _build(settings, chosen, Period(end - length, end, chosen.timezone))
    rendered = render(built)
    target = target or Path(f"{file_stem(built)}.html")
    report = next(a for a in rendered.attachments if a.media_type == "text/html")
    try:
        target.write_bytes(report.data)
    except OSError as exc:
        raise fail(f"cannot write --out {target}: {exc.strerror or exc}") from None
    start, last = bounds(built.period)
    console.print(f"wrote the digest of {chosen.id}, {start} – {last} ({chosen.timezone}), to {target}",
                  highlight=False, markup=False, soft_wrap=True)
