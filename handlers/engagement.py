"""Points for chat messages, with the anti-farming rules and daily streaks.

A message earns ``points_per_message`` unless (checked in this order) the
member is frozen, the text is shorter than ``min_message_length``, the member
earned less than ``cooldown_seconds`` ago, the same normalised text already
earned for the member in the last 24 hours, or the daily cap (in the program's time zone) is
reached; a message that would cross the cap earns the remainder. The first
earning message of a day extends a streak of consecutive days; from the second
day on it also pays ``streak_bonus`` (outside the cap).
Every message is stored either way, pending sentiment scoring.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import tiers
from handlers.context import Context
from handlers.replies import TierChanged
from storage import engagement, ledger, members
from storage.ledger import Posting
from storage.models import EngagementState, Reason

DUPLICATE_WINDOW = timedelta(hours=24)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class IncomingMessage:
    message_id: str
    text: str


@dataclass(frozen=True)
class MessageOutcome:
    """What a message earned; ``refusal`` names the rule that stopped it."""

    member_id: int
    points: int
    refusal: str | None
    streak_bonus: int = 0
    events: tuple[TierChanged, ...] = ()


def fingerprint(text: str) -> tuple[str, int]:
    """(hash of the normalised text, its length): case, width, spacing and
    punctuation do not make a copy-pasted message new."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = " ".join(_NOT_WORD.sub(" ", folded).split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest(), len(words)


def local_day(ctx: Context) -> date:
    return ctx.now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ctx.program.timezone)).date()


async def _refusal(session: AsyncSession, ctx: Context, state: EngagementState, message_row: int,
                   text_hash: str, length: int) -> str | None:
    rules = ctx.program.rules
    if state.frozen:
        return "frozen"
    if length < rules.min_message_length:
        return "too_short"
    if state.last_earned_at and ctx.now - state.last_earned_at < timedelta(seconds=rules.cooldown_seconds):
        return "cooldown"
    if await engagement.seen_recently(session, state.member_id, text_hash, ctx.now - DUPLICATE_WINDOW, message_row):
        return "duplicate"
    if state.day == local_day(ctx) and state.day_points >= rules.daily_cap:
        return "daily_cap"
    return None


async def _streak(session: AsyncSession, ctx: Context, state: EngagementState, today: date) -> int:
    if state.streak_day == today:
        return 0
    state.streak = state.streak + 1 if state.streak_day == today - timedelta(days=1) else 1
    state.streak_day = today
    bonus = ctx.program.rules.streak_bonus
    if state.streak < 2 or bonus == 0:
        return 0
    await ledger.post(session, Posting(
        program_id=ctx.program.id, member_id=state.member_id, delta=bonus, reason=Reason.STREAK_BONUS,
        idempotency_key=f"streak:{ctx.program.id}:{state.member_id}:{today.isoformat()}",
        reference=f"day:{today.isoformat()}", note=f"{state.streak}-day streak", created_at=ctx.now))
    return bonus


async def on_message(session: AsyncSession, ctx: Context, message: IncomingMessage) -> MessageOutcome:
    actor = ctx.actor
    member_id = await members.resolve(session, actor.platform, actor.user_id, actor.display_name,
                                      actor.username, ctx.now)
    text_hash, length = fingerprint(message.text)
    row = await engagement.store_message(
        session, program_id=ctx.program.id, platform=ctx.platform, community_id=ctx.community_id,
        channel_id=ctx.channel_id, platform_message_id=message.message_id, member_id=member_id,
        text=message.text, text_hash=text_hash, created_at=ctx.now, points=0, sentiment_status="pending")
    if row is None:
        return MessageOutcome(member_id, 0, "already_seen")
    state = await engagement.state(session, ctx.program.id, member_id)
    refusal = await _refusal(session, ctx, state, row, text_hash, length)
    if refusal:
        await engagement.record_outcome(session, row, 0, refusal)
        return MessageOutcome(member_id, 0, refusal)
    return await _earn(session, ctx, state, row, member_id, message)


async def _earn(session: AsyncSession, ctx: Context, state: EngagementState, row: int, member_id: int,
                message: IncomingMessage) -> MessageOutcome:
    rules, today = ctx.program.rules, local_day(ctx)
    if state.day != today:
        state.day, state.day_points = today, 0
    points = min(rules.points_per_message, rules.daily_cap - state.day_points)
    posted = await ledger.post(session, Posting(
        program_id=ctx.program.id, member_id=member_id, delta=points, reason=Reason.MESSAGE,
        idempotency_key=f"msg:{ctx.platform}:{ctx.community_id}:{message.message_id}",
        reference=f"{ctx.platform}:message:{message.message_id}", created_at=ctx.now))
    state.last_earned_at = ctx.now
    state.day_points += points
    bonus = await _streak(session, ctx, state, today)
    await engagement.record_outcome(session, row, points, None)
    events = await tiers.change(session, ctx.program, member_id, posted.old_lifetime, posted.lifetime + bonus)
    return MessageOutcome(member_id, points, None, bonus, events)
