"""Catch up on messages posted while the bot was away.

The gateway replays nothing from before a fresh IDENTIFY (RESUME covers only a
short disconnect), so after each one the bot reads every text channel of each
configured guild after the newest message it stored there, and feeds what it
finds through the live message handler: the same rules and refusals, with each
message stamped with its own creation time, so cooldowns and daily caps apply
as if it had arrived live. A message seen both ways counts once (the messages
table is unique on the platform message id). History is read through
discord.py's HTTP client, which waits out rate limits; channels are read one
after the other and messages oldest first, bounded by a maximum age and a
maximum count per channel. Each page of history is handed over the way a
burst arrives live, all at once and in order, so the core writes it in a few
batched transactions instead of one per message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import discord
import structlog

from handlers.config_model import DiscordSettings
from handlers.engagement import MessageOutcome
from storage.catchup import last_message_id
from storage.database import Database

log = structlog.get_logger(__name__)

PAGE = 100  # messages per history request, Discord's maximum

Handler = Callable[[discord.Message], Awaitable[MessageOutcome | None]]


@dataclass(frozen=True)
class ChannelCatchUp:
    """What one channel's catch-up did: ``caught_up`` messages were new to the
    bot (stored now, earning or refused by the rules) out of ``read``."""

    guild_id: int
    channel_id: int
    after: int
    read: int
    caught_up: int
    failed: int
    limit_reached: bool


async def catch_up(guilds: Iterable[discord.Guild], db: Database, settings: DiscordSettings, handle: Handler,
                   now: datetime) -> list[ChannelCatchUp]:
    """Catch up every text channel of ``guilds``, one channel at a time."""
    if not settings.catchup_max_age_hours or not settings.catchup_max_messages:
        return []
    floor = discord.utils.time_snowflake(now - timedelta(hours=settings.catchup_max_age_hours), high=True)
    started = time.perf_counter()
    reports = []
    for guild in guilds:
        for channel in guild.text_channels:
            reports.append(await catch_up_channel(channel, db, handle, floor, settings.catchup_max_messages))
    log.info("discord catch-up finished", channels=len(reports), caught_up=sum(r.caught_up for r in reports),
             seconds=round(time.perf_counter() - started, 2))
    return reports


async def catch_up_channel(channel: discord.TextChannel, db: Database, handle: Handler, floor: int,
                           limit: int) -> ChannelCatchUp:
    """Feed the channel's messages after the newest stored one (but no older
    than ``floor``, at most ``limit``) to ``handle``, oldest first."""
    async with db.unit_of_work() as session:
        stored = await last_message_id(session, "discord", str(channel.guild.id), str(channel.id))
    after = max(stored or 0, floor)
    read = caught_up = failed = 0
    page: list[discord.Message] = []
    try:
        async for message in channel.history(after=discord.Object(id=after), oldest_first=True, limit=limit):
            page.append(message)
            if len(page) == PAGE:
                new, bad = await _feed(channel, page, handle)
                read, caught_up, failed, page = read + len(page), caught_up + new, failed + bad, []
    except discord.HTTPException as exc:
        log.warning("could not read channel history", guild=channel.guild.id, channel=channel.id,
                    status=exc.status, error=exc.text)
    if page:
        new, bad = await _feed(channel, page, handle)
        read, caught_up, failed = read + len(page), caught_up + new, failed + bad
    report = ChannelCatchUp(channel.guild.id, channel.id, after, read, caught_up, failed, read >= limit)
    # Reaching the limit means newer messages of the gap were left unread: worth a warning.
    (log.warning if report.limit_reached else log.info)(
        "discord channel caught up", guild=report.guild_id, channel=report.channel_id, caught_up=report.caught_up,
        read=report.read, failed=report.failed, limit_reached=report.limit_reached)
    return report


async def _feed(channel: discord.TextChannel, page: list[discord.Message], handle: Handler) -> tuple[int, int]:
    """Handle a page of messages concurrently, started in order (as discord.py
    starts live events), so they queue for the core in order. Returns how many
    were new and how many failed; a failure is logged and skips only its message."""
    outcomes = await asyncio.gather(*(handle(message) for message in page), return_exceptions=True)
    new = failed = 0
    for message, outcome in zip(page, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            failed += 1
            log.error("caught-up message failed", guild=channel.guild.id, channel=channel.id, message=message.id,
                      error=repr(outcome))
        elif outcome is not None and outcome.refusal != "already_seen":
            new += 1
    return new, failed
