"""Where a channel's catch-up starts: the newest message already stored for it.

Platform message ids are stored as text, so "newest" cannot be ``max()`` over
the column ("99" > "100" as text). Discord ids are snowflakes whose high bits
are the creation time, and a message's ``created_at`` is that time, so the
newest message is found through the (platform, community, channel,
created_at) index in one index probe; the few rows sharing that millisecond
are compared as integers. If a message's ``created_at`` ever came from
elsewhere, the answer is still an id that was stored, at worst an older one,
and a catch-up that starts earlier only re-reads messages that count once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Message


async def last_message_id(session: AsyncSession, platform: str, community_id: str, channel_id: str) -> int | None:
    """Numerically highest message id stored for the channel, or None if none is."""
    in_channel = (Message.platform == platform, Message.community_id == community_id,
                  Message.channel_id == channel_id)
    newest = (select(Message.created_at).where(*in_channel).order_by(Message.created_at.desc()).limit(1)
              .scalar_subquery())
    ids = await session.scalars(select(Message.platform_message_id).where(*in_channel,
                                                                          Message.created_at == newest))
    numeric = [int(i) for i in ids if i.isdigit()]
    return max(numeric) if numeric else None
