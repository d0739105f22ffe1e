"""Automatic UGC capture: chat messages in a ``ugc.channels`` channel or with a ``ugc.hashtags`` tag.

Runs after the message itself was handled (it earns like any message), once
per message: a message seen again (a gateway replay, or the catch-up after a
restart reading what already arrived live) is not captured again. The core
decides whether a message is wanted before anything is downloaded, so
ordinary chat costs no download. A thread, or a post in a forum channel (the
usual home of a Discord showcase), counts as its parent channel: the
submission records the channel that is configured. A reply from the core
(e.g. asking for consent) is private, so it goes by DM with its buttons,
which carry the guild for the press.
"""

from __future__ import annotations

import dataclasses

import discord
import structlog

from bot.discord import media
from bot.discord import translate as tr
from bot.discord.outlet import DiscordOutlet
from handlers.config_model import Program
from handlers.context import Context
from handlers.core import Core
from handlers.engagement import MessageOutcome

log = structlog.get_logger(__name__)


def _channels(channel: discord.abc.MessageableChannel) -> list[int]:
    parent = getattr(channel, "parent_id", None)
    return [channel.id] if parent is None else [channel.id, parent]


async def capture(core: Core, outlet: DiscordOutlet, program: Program, ctx: Context, message: discord.Message,
                  outcome: MessageOutcome) -> None:
    if message.guild is None or outcome.refusal == "already_seen":
        return
    wanted = [c for c in _channels(message.channel) if core.ugc_wanted(program, str(c), message.content)]
    if not wanted:
        return
    try:
        uploads = await media.uploads(message.attachments, program)
    except discord.HTTPException as exc:
        log.warning("ugc media download failed, message not captured", message=message.id, status=exc.status)
        return
    link = tr.permalink(message.guild.id, message.channel.id, message.id)
    in_channel = dataclasses.replace(ctx, channel_id=str(wanted[-1]))
    reply = await core.ugc_capture(in_channel, message.content, uploads, link)
    if reply is not None:
        await outlet.dm(message.author.id, reply.text, reply.buttons, message.guild.id)
