"""Chat messages captured as content: in a ``ugc.channels`` chat or topic, or with a hashtag.

Such a message still earns like any message; in addition its media is
downloaded (before any unit of work opens) and handed to the core with the
text and a link to the message. The earning and the capture are two units of
work, and only the second marks the inbox update done: after a crash between
them the update is handled again, the message (same id) does not pay twice
and the capture happens once.
"""

from __future__ import annotations

from dataclasses import replace

from telegram import Bot, Message

from bot.telegram import media
from handlers.config_model import Program
from handlers.context import Context
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.replies import Reply


def channels(message: Message) -> tuple[str, ...]:
    """The ids ``ugc.channels`` may name for this message: the chat, and its forum topic."""
    if message.is_topic_message and message.message_thread_id is not None:
        return str(message.chat.id), str(message.message_thread_id)
    return (str(message.chat.id),)


def wanted_channel(core: Core, program: Program, message: Message, text: str) -> str | None:
    """The channel id under which the message is captured (its topic, if that is the one listed);
    None when it is not to be captured."""
    return next((c for c in reversed(channels(message)) if core.ugc_wanted(program, c, text)), None)


async def capture(core: Core, bot: Bot, ctx: Context, message: Message, text: str) -> Reply | None:
    """Earn for the message, then submit it (``ctx.channel_id`` is the capturing channel); the
    core's answer (e.g. asking for consent) if any."""
    uploads = await media.uploads(bot, ctx.program, message)
    if text:
        earning = replace(ctx, inbox_id=None, channel_id=str(message.chat.id))
        await core.message(earning, IncomingMessage(str(message.message_id), text))
    return await core.ugc_capture(ctx, text, uploads, media.permalink(message))
