"""Slash option values -> the core's argument values.

Members become ``MemberRef``s the platform vouches for; attachments become
``Upload``s, downloaded here, before the core runs (see ``bot.discord.media``).
Everything else (text, integers, choices) goes as Discord sent it; the core
validates it.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.discord import media
from bot.discord import translate as tr
from handlers.commands import Command
from handlers.config_model import Program


async def convert(program: Program, spec: Command, given: dict[str, Any]) -> dict[str, Any]:
    return {a.name: await _value(program, given.get(a.name)) for a in spec.args}


async def _value(program: Program, value: Any) -> Any:
    if isinstance(value, discord.abc.User):
        return tr.member_ref(value)
    if isinstance(value, discord.Attachment):
        return await media.upload(value, program)
    return value
