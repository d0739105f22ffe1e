"""What every ``engagebot`` command shares: the --config option, one-line errors, the validated
config and the program a command is about."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot import config as config_loader
from bot import logs
from bot.config import ConfigError
from handlers.config_model import Program, Settings

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one redacted ``error:`` line; the caller raises the returned exit."""
    Console(stderr=True).print(f"[bold red]error:[/] {escape(logs.redact(message))}", highlight=False,
                               soft_wrap=True)
    return typer.Exit(code)


def load_settings(path: Path) -> Settings:
    """The validated config; its database password joins the secrets that output never shows."""
    try:
        settings = config_loader.load(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    logs.protect([logs.url_password(settings.database_url)])
    return settings


def program_named(settings: Settings, program_id: str | None) -> Program:
    """The named program, or the only one when there is just one."""
    configured = [p.id for p in settings.programs]
    if program_id is None:
        if len(settings.programs) == 1:
            return settings.programs[0]
        raise fail(f"name the program with --program; configured programs: {configured}")
    try:
        return settings.program(program_id)
    except KeyError:
        raise fail(f"unknown program {program_id!r}; configured programs: {configured}") from None
