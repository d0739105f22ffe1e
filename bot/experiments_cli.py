"""``engagebot experiments report``: each A/B experiment's results as a table per experiment.

Reading results records the conversions due so far (``handlers.experiments.conversions``), so the
report needs an up-to-date schema and writes only those conversion events.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from bot import config as config_loader
from bot.cli_common import ConfigOption, fail, load_settings
from bot.config import Secrets
from handlers.clock import utcnow
from handlers.config_model import Program, Settings
from handlers.experiments import report
from storage import schema
from storage.database import Database
from storage.schema import SchemaOutOfDate

app = typer.Typer(help="A/B experiment commands.", no_args_is_help=True)
console = Console()
LOCALE = "en"

def _programs(settings: Settings, program_id: str | None) -> list[Program]:
    if program_id is None:
        return list(settings.programs)
    try:
        return [settings.program(program_id)]
    except KeyError:
        raise fail(f"unknown program {program_id!r}; configured programs: "
                    f"{[p.id for p in settings.programs]}") from None


async def _collect(database: Database, programs: list[Program]) -> list[tuple[Program, report.Results]]:
    await schema.ensure_current(database)
    now = utcnow()
    found = []
    async with database.unit_of_work() as session:
        for program in programs:
            for experiment in program.experiments:
                results = await report.results(session, program, experiment.id, now)
                if results is not None:
                    found.append((program, results))
    return found


def _load(settings: Settings, programs: list[Program]) -> list[tuple[Program, report.Results]]:
    database = Database(config_loader.database_url(settings, Secrets.from_env()))

    async def main() -> list[tuple[Program, report.Results]]:
        try:
            return await _collect(database, programs)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except SchemaOutOfDate as exc:
        raise fail(str(exc)) from None


def table(program: Program, results: report.Results) -> Table:
    """One experiment: a row per variant, the conclusion as the caption."""
    drawn = Table(title=f"{program.id}: {report.title(results.experiment, LOCALE)}", title_justify="left",
                  caption=report.notes(results, LOCALE), caption_justify="left", box=box.SIMPLE, pad_edge=False,
                  highlight=False)
    for i, column in enumerate(report.columns(LOCALE)):
        if 1 <= i <= 5:
            drawn.add_column(column, justify="right")
        else:
            drawn.add_column(column, min_width=8 if i == 0 else 11)
    for row in report.table_rows(results, LOCALE):
        drawn.add_row(*row)
    return drawn


@app.command("report")
def report_command(
        program: Annotated[str | None, typer.Option(help="Program id (default: every program).")] = None,
        config: ConfigOption = Path("config.yaml")) -> None:
    """Per variant: exposed, still in window, converted, rate; against the control: difference, 95% CI,
    p-value and the verdict."""
    settings = load_settings(config)
    programs = _programs(settings, program)
    if not any(p.experiments for p in programs):
        console.print(f"no experiments configured in {', '.join(p.id for p in programs)} "
                      f"(programs[].experiments in {config})", highlight=False, soft_wrap=True)
        return
    for owner, results in _load(settings, programs):
        console.print(table(owner, results))
