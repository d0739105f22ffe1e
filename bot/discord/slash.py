"""Slash commands generated from the core's single command declaration.

Each declared argument becomes a typed slash option: members use Discord's
own member picker, and integers (amounts, pages) are integer options with
the declared minimum and maximum, so Discord's client refuses "abc", "-5" or
a 5,000-digit number before it is sent. The core still validates every value
(a program's own maximum may be lower than the option's). Descriptions are
``locale_str`` keyed by the catalog, which ``CatalogTranslator`` renders in
Chinese for zh-CN clients.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from handlers.commands import COMMANDS, Arg, ArgType, Command
from handlers.i18n import CATALOG, translate

Invoke = Callable[[discord.Interaction, Command, dict[str, Any]], Awaitable[None]]

_ANNOTATIONS: dict[ArgType, Any] = {ArgType.MEMBER: discord.Member, ArgType.INTEGER: int, ArgType.TEXT: str}


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
    return _ANNOTATIONS[arg.type]


def _callback(spec: Command, invoke: Invoke) -> Callable[..., Awaitable[None]]:
    async def callback(interaction: discord.Interaction, **kwargs: Any) -> None:
        await invoke(interaction, spec, kwargs)

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    for arg in spec.args:
        annotation = _annotation(arg)
        params.append(inspect.Parameter(arg.name, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=annotation if arg.required else annotation | None,
                                        default=inspect.Parameter.empty if arg.required else None))
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return callback


def build(invoke: Invoke) -> list[app_commands.Command[Any, ..., None]]:
    """One discord.py app command per declared command."""
    out = []
    for spec in COMMANDS:
        callback = app_commands.describe(**{a.name: _describe(a.help_key) for a in spec.args})(
            _callback(spec, invoke))
        out.append(app_commands.Command(name=spec.name, description=_describe(spec.help_key), callback=callback,
                                        extras={"permission": str(spec.permission)}))
    return out
