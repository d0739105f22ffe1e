"""Discord objects -> neutral context and member references."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from handlers.config_model import Program
from handlers.context import Actor, Context, MemberRef
from handlers.i18n import negotiate


def utc_naive(moment: datetime) -> datetime:
    """Discord timestamps are aware; the core stores naive UTC."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def actor(user: discord.abc.User) -> Actor:
    return Actor("discord", str(user.id), getattr(user, "display_name", None) or user.name, user.name)


def member_ref(user: discord.abc.User) -> MemberRef:
    return MemberRef("discord", str(user.id), user.name, getattr(user, "display_name", user.name), verified=True)


def is_moderator(program: Program, user: discord.abc.User, permissions: discord.Permissions | None) -> bool:
    if str(user.id) in program.moderator_ids:
        return True
    if permissions is not None and (permissions.manage_guild or permissions.administrator):
        return True
    roles = {r.name for r in getattr(user, "roles", [])}
    return bool(roles & set(program.moderator_roles))


def permalink(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    """The link Discord's client opens: the message, or the channel where no message exists yet
    (a slash command's own answer is posted after the core runs)."""
    tail = f"/{message_id}" if message_id is not None else ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}{tail}"


def context(program: Program, guild_id: int, user: discord.abc.User, *, event_id: int | str, when: datetime,
            locale: str | None = None, moderator: bool = False, channel_id: int | None = None,
            message_id: int | None = None) -> Context:
    extra = {"permalink": permalink(guild_id, channel_id, message_id)} if channel_id else {}
    return Context(program=program, platform="discord", community_id=str(guild_id), actor=actor(user),
                   locale=negotiate(locale or program.locale), event_id=str(event_id), now=utc_naive(when),
                   is_moderator=moderator, channel_id=str(channel_id or ""), extra=extra)
