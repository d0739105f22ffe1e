"""Chat messages that become submissions without a command.

A message posted in one of the program's ``ugc.channels``, or carrying one
of its ``ugc.hashtags``, is submitted as if its author had sent ``/submit``
with its text and its first file. Each such message is a deliberate post of
content, so a member who has not accepted the terms is asked privately every
time, and nothing at all is stored for them (not even that they were asked).
A message with nothing beyond the hashtag is left alone.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.context import Context
from handlers.media import Upload
from handlers.replies import Reply
from handlers.campaigns.birthdays import story_campaign
from handlers.ugc import draft, submit


def wanted(program: Program, channel_id: str, text: str) -> bool:
    """Whether the message is to be captured; adapters ask before downloading its files."""
    return channel_id in program.ugc.channels or draft.has_hashtag(text, program.ugc.hashtags) \
        or story_campaign(program, text) is not None


async def capture(session: AsyncSession, ctx: Context, text: str, uploads: tuple[Upload, ...],
                  permalink: str | None) -> Reply | None:
    """The submission's answer (the core sends it privately), or None when there is nothing to capture."""
    upload = uploads[0] if uploads else None
    if not wanted(ctx.program, ctx.channel_id, text) or not draft.has_content(ctx.program.ugc, text, upload):
        return None
    return await submit.submit(session, ctx, text, upload, None, permalink)
