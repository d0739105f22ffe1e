"""Slash commands generated from the core's single command declaration.

Each declared argument becomes a typed slash option: members use Discord's
own member picker, and integers (amounts, pages) are integer options with
the declared minimum and maximum, so Discord's client refuses "abc", "-5" or
a 5,000-digit number before it is sent. The core still validates every value
(a program's own maximum may be lower than the option's). Files are
attachment options and choices are Discord pickers. A command named with a
space (``"ugc approve"``) becomes a subcommand of a slash command group, as
Discord allows only one level of name per command. Descriptions are
``locale_str`` keyed by the catalog, which ``CatalogTranslator`` renders in
Chinese for zh-CN clients.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import discord
from discord import app_commands

from handlers.commands import COMMANDS, GROUPS, Arg, ArgType, Command
from handlers.i18n import CATALOG, translate

Invoke = Callable[[discord.Interaction, Command, dict[str, Any]], Awaitable[None]]

_ANNOTATIONS: dict[ArgType, Any] = {ArgType.MEMBER: discord.Member, ArgType.INTEGER: int, ArgType.TEXT: str,
                                     ArgType.ATTACHMENT: discord.Attachment}
AppCommand = app_commands.Command[Any, ..., None] | app_commands.Group


class CatalogTranslator(app_commands.Translator):
    """Serves command and option descriptions from the shared catalog."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        key = string.extras.get("key")
        if key in CATALOG and locale in (discord.Locale.chinese,):
            return translate(key, "zh-CN")
        return None


def _describe(key: str) -> app_commands.locale_str:
    return app_commands.locale_str(translate(key, "en"), key=key)


def _annotation(arg: Arg) -> Any:
    """The parameter type discord.py turns into the option's type and bounds."""
    if arg.type is ArgType.INTEGER and (arg.min_value is not None or arg.max_value is not None):
        return app_commands.Range[int, arg.min_value, arg.max_value]
    if arg.type is ArgType.CHOICE:
        return Literal[arg.choices]
    return _ANNOTATIONS[arg.type]


def _callback(spec: Command, invoke: Invoke) -> Callable[..., Awaitable[None]]:
    async def callback(interaction: discord.Interaction, **kwargs: Any) -> None:
        await invoke(interaction, spec, kwargs)

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    # Discord refuses a command whose optional options come before required ones; values go by name.
    for arg in sorted(spec.args, key=lambda a: not a.required):
        annotation = _annotation(arg)
        params.append(inspect.Parameter(arg.name, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=annotation if arg.required else annotation | None,
                                        default=inspect.Parameter.empty if arg.required else None))
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return callback


def _command(spec: Command, invoke: Invoke) -> app_commands.Command[Any, ..., None]:
    described = app_commands.describe(**{a.name: _describe(a.help_key) for a in spec.args})
    callback = described(_callback(spec, invoke))
    return app_commands.Command(name=spec.leaf, description=_describe(spec.help_key), callback=callback,
                                extras={"permission": str(spec.permission)})


def build(invoke: Invoke) -> list[AppCommand]:
    """One discord.py app command per top-level command, one group per declared group."""
    by_group = {g.name: app_commands.Group(name=g.name, description=_describe(g.help_key)) for g in GROUPS}
    out: list[AppCommand] = []
    for spec in COMMANDS:
        if spec.group is None:
            out.append(_command(spec, invoke))
        else:
            by_group[spec.group].add_command(_command(spec, invoke))
    return out + [g for g in by_group.values() if g.commands]
