"""Points for chat messages, with the anti-farming rules and daily streaks.

A message earns ``points_per_message`` unless (checked in this order) the
member is frozen, the text is shorter than ``min_message_length``, the member
earned less than ``cooldown_seconds`` ago, the same normalised text already
earned for the member in the last 24 hours, or the daily cap (in the program's
time zone) is reached; a message that would cross the cap earns the
remainder. The first earning message of a day extends a streak of
consecutive days; from the second day on it also pays ``streak_bonus``
(outside the cap). Every message is stored either way, pending sentiment.

Messages are handled in batches (a burst of chat is one transaction with
set-based reads and writes); a single message is a batch of one. Rules run
in arrival order over in-memory state, so messages in the same batch see
each other exactly as if they had come one by one.
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
from handlers.config_model import Program
from handlers.context import Context
from handlers.replies import TierChanged
from storage import engagement, ledger, members
from storage.ledger import Posted, Posting
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


@dataclass
class _Item:
    ctx: Context
    message: IncomingMessage
    member_id: int = 0
    row_id: int | None = None
    text_hash: str = ""
    length: int = 0
    points: int = 0
    refusal: str | None = None
    bonus: int = 0
    posting_count: int = 0


def fingerprint(text: str) -> tuple[str, int]:
    """(hash of the normalised text, its length): case, width, spacing and
    punctuation do not make a copy-pasted message new."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = " ".join(_NOT_WORD.sub(" ", folded).split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest(), len(words)


def local_day(ctx: Context) -> date:
    return ctx.now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ctx.program.timezone)).date()


async def on_messages(session: AsyncSession, batch: list[tuple[Context, IncomingMessage]]) -> list[MessageOutcome]:
    """Apply the rules to messages of one program, in order, in one transaction."""
    items = [_Item(ctx, message) for ctx, message in batch]
    program = items[0].ctx.program
    await _identify_and_store(session, items)
    fresh = [i for i in items if i.row_id is not None]
    if fresh:
        states = await engagement.states(session, program.id, {i.member_id for i in fresh})
        earned = await engagement.last_earned(session, {(i.member_id, i.text_hash) for i in fresh},
                                              min(i.ctx.now for i in fresh) - DUPLICATE_WINDOW)
        postings = [p for item in fresh for p in _apply_rules(item, states[item.member_id], earned)]
        posted = await ledger.post_many(session, program.id, postings) if postings else []
        await engagement.record_outcomes(session, [{"row_id": i.row_id, "p": i.points, "r": i.refusal} for i in fresh])
        return [await _outcome(session, program, item, posted) for item in items]
    return [MessageOutcome(i.member_id, 0, "already_seen") for i in items]


async def _identify_and_store(session: AsyncSession, items: list[_Item]) -> None:
    accounts = [(i.ctx.actor.platform, i.ctx.actor.user_id, i.ctx.actor.display_name, i.ctx.actor.username)
                for i in items]
    member_ids = await members.resolve_many(session, accounts, items[0].ctx.now)
    rows = []
    for item in items:
        item.member_id = member_ids[(item.ctx.actor.platform, item.ctx.actor.user_id)]
        item.text_hash, item.length = fingerprint(item.message.text)
        rows.append({"program_id": item.ctx.program.id, "platform": item.ctx.platform,
                     "community_id": item.ctx.community_id, "channel_id": item.ctx.channel_id,
                     "platform_message_id": item.message.message_id, "member_id": item.member_id,
                     "text": item.message.text, "text_hash": item.text_hash, "created_at": item.ctx.now,
                     "points": 0, "sentiment_status": "pending"})
    stored = await engagement.store_messages(session, rows)
    for item in items:
        item.row_id = stored.pop((item.ctx.community_id, item.message.message_id), None)
        if item.row_id is None:
            item.refusal = "already_seen"


def _refusal(item: _Item, state: EngagementState, earned: dict[tuple[int, str], datetime]) -> str | None:
    rules, now = item.ctx.program.rules, item.ctx.now
    if state.frozen:
        return "frozen"
    if item.length < rules.min_message_length:
        return "too_short"
    if state.last_earned_at and now - state.last_earned_at < timedelta(seconds=rules.cooldown_seconds):
        return "cooldown"
    last = earned.get((item.member_id, item.text_hash))
    if last is not None and last >= now - DUPLICATE_WINDOW:
        return "duplicate"
    if state.day == local_day(item.ctx) and state.day_points >= rules.daily_cap:
        return "daily_cap"
    return None


def _apply_rules(item: _Item, state: EngagementState, earned: dict[tuple[int, str], datetime]) -> list[Posting]:
    """Decide one message against (and update) the in-memory state."""
    item.refusal = _refusal(item, state, earned)
    if item.refusal:
        return []
    ctx, rules, today = item.ctx, item.ctx.program.rules, local_day(item.ctx)
    if state.day != today:
        state.day, state.day_points = today, 0
    item.points = min(rules.points_per_message, rules.daily_cap - state.day_points)
    state.last_earned_at, state.day_points = ctx.now, state.day_points + item.points
    earned[(item.member_id, item.text_hash)] = ctx.now
    postings = [Posting(program_id=ctx.program.id, member_id=item.member_id, delta=item.points,
                        reason=Reason.MESSAGE, created_at=ctx.now,
                        idempotency_key=f"msg:{ctx.platform}:{ctx.community_id}:{item.message.message_id}",
                        reference=f"{ctx.platform}:message:{item.message.message_id}")]
    bonus = _streak(state, today, rules.streak_bonus)
    if bonus:
        item.bonus = bonus
        postings.append(Posting(program_id=ctx.program.id, member_id=item.member_id, delta=bonus,
                                reason=Reason.STREAK_BONUS, created_at=ctx.now, note=f"{state.streak}-day streak",
                                idempotency_key=f"streak:{ctx.program.id}:{item.member_id}:{today.isoformat()}",
                                reference=f"day:{today.isoformat()}"))
    item.posting_count = len(postings)
    return postings


def _streak(state: EngagementState, today: date, bonus: int) -> int:
    if state.streak_day == today:
        return 0
    state.streak = state.streak + 1 if state.streak_day == today - timedelta(days=1) else 1
    state.streak_day = today
    return bonus if state.streak >= 2 and bonus else 0


async def _outcome(session: AsyncSession, program: Program, item: _Item, posted: list[Posted]) -> MessageOutcome:
    if not item.posting_count:
        return MessageOutcome(item.member_id, 0, item.refusal)
    mine = posted[: item.posting_count]
    del posted[: item.posting_count]
    events = await tiers.change(session, program, item.member_id, mine[0].old_lifetime, mine[-1].lifetime)
    return MessageOutcome(item.member_id, item.points, None, item.bonus, events)
