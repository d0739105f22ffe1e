"""Points for chat messages, with the anti-farming rules and daily streaks.

A message earns ``points_per_message`` unless (checked in this order) the
member is frozen, the text is shorter than ``min_message_length``, the member
earned less than ``cooldown_seconds`` ago, the same normalised text already
earned for the member in the last 24 hours, or the daily cap (in the program's
time zone) is reached; a message that would cross the cap earns the
remainder. The first earning message of a day extends a streak of
consecutive days; from the second day on it also pays ``streak_bonus``
(outside the cap). Every message is stored either way, pending sentiment.

In a campaign window, on a member day or for a tier with a multiplier, the
message earns ``points_per_message`` multiplied (``handlers.campaigns.multiplier``,
read once per batch); multiplied points count against the daily cap, which
stays the ceiling of a day's message points, and the member engagement
counters ``ledger verify`` rebuilds stay the sums of the message entries.
A member day's flat bonus is paid outside the cap, like the streak bonus.

Messages are handled in batches (a burst of chat is one transaction with
set-based reads and writes); a single message is a batch of one. The batch
locks its members (``storage.locks``) before it reads their rule state, so
processes sharing a database take turns per member; the rules themselves
are in ``handlers.message_rules``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import textnorm, tiers
from handlers.campaigns import multiplier
from handlers.config_model import Program
from handlers.context import Context
from handlers.message_rules import DUPLICATE_WINDOW, Candidate, Evidence, decide
from handlers.replies import TierChanged
from storage import engagement, ledger, locks, members
from storage.ledger import Posted


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
    """(hash of the normalised text, its length as the minimum-length rule
    counts it): invisible characters, case, width, spacing and punctuation do
    not make a copy-pasted message new (see handlers.textnorm)."""
    normal = textnorm.normalise(text)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest(), textnorm.length(normal)


def local_day(ctx: Context) -> date:
    return ctx.now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ctx.program.timezone)).date()


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """A local day as a naive-UTC [start, end) range."""
    zone, utc = ZoneInfo(timezone), ZoneInfo("UTC")
    start = datetime.combine(day, time(), zone).astimezone(utc).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(utc).replace(tzinfo=None)
    return start, end


async def on_messages(session: AsyncSession, batch: list[tuple[Context, IncomingMessage]]) -> list[MessageOutcome]:
    """Apply the rules to messages of one program, in order, in one transaction."""
    items = [Candidate(ctx, message, local_day(ctx)) for ctx, message in batch]
    program = items[0].ctx.program
    await _identify(session, items)
    await _store(session, items)
    fresh = [i for i in items if i.row_id is not None]
    if not fresh:
        return [MessageOutcome(i.member_id, 0, "already_seen") for i in items]
    evidence = await _evidence(session, program, fresh)
    loaded = {m: replace(s) for m, s in evidence.states.items()}
    postings = [p for item in fresh for p in decide(item, evidence)]
    posted = await ledger.post_many(session, program.id, postings) if postings else []
    await engagement.record_outcomes(session, [{"id": i.row_id, "points": i.points, "refusal": i.refusal} for i in fresh])
    await engagement.save_states(session, program.id, [s for m, s in evidence.states.items() if s != loaded[m]])
    return [await _outcome(session, program, item, posted) for item in items]


async def _identify(session: AsyncSession, items: list[Candidate]) -> None:
    """Member of each message, under a shared lock that a concurrent ``/link``
    waits for (and that follows a merge that committed first)."""
    accounts = [(i.ctx.actor.platform, i.ctx.actor.user_id, i.ctx.actor.display_name, i.ctx.actor.username)
                for i in items]
    member_ids = await members.resolve_many(session, accounts, items[0].ctx.now)
    current = await locks.current_members(session, member_ids.values())
    for item in items:
        item.member_id = current[member_ids[(item.ctx.actor.platform, item.ctx.actor.user_id)]]
        item.text_hash, item.length = fingerprint(item.message.text)


async def _store(session: AsyncSession, items: list[Candidate]) -> None:
    rows = [{"program_id": i.ctx.program.id, "platform": i.ctx.platform, "community_id": i.ctx.community_id,
             "channel_id": i.ctx.channel_id, "platform_message_id": i.message.message_id, "member_id": i.member_id,
             "text": textnorm.storable(i.message.text), "text_hash": i.text_hash, "created_at": i.ctx.now, "points": 0,
             "sentiment_status": "pending"} for i in items]
    stored = await engagement.store_messages(session, rows)
    for item in items:
        item.row_id = stored.pop((item.ctx.community_id, item.message.message_id), None)
        if item.row_id is None:
            item.refusal = "already_seen"


async def _evidence(session: AsyncSession, program: Program, fresh: list[Candidate]) -> Evidence:
    """Lock the members' rule state, then read what earlier transactions earned."""
    states = await engagement.states(session, program.id, {i.member_id for i in fresh})
    copies = await engagement.last_earned(session, program.id, {(i.member_id, i.text_hash) for i in fresh},
                                          min(i.ctx.now for i in fresh) - DUPLICATE_WINDOW)
    times = [i.ctx.now for i in fresh]
    rates = await multiplier.load(session, program, {i.member_id for i in fresh}, min(times), max(times))
    evidence = Evidence(states, copies, rates,
                        earned_times={m: [s.last_earned_at] for m, s in states.items() if s.last_earned_at})
    for item in fresh:
        await _late_evidence(session, program, item, evidence)
    return evidence


async def _late_evidence(session: AsyncSession, program: Program, item: Candidate, evidence: Evidence) -> None:
    """For a message older than the member's latest earning: earlier earnings
    near it in time, and the points already earned on its day."""
    state = evidence.states[item.member_id]
    cooldown = timedelta(seconds=program.rules.cooldown_seconds)
    now = item.ctx.now
    if cooldown and state.last_earned_at and now < state.last_earned_at and item.row_id is not None and \
            await engagement.earned_between(session, program.id, item.member_id, now - cooldown, now + cooldown):
        evidence.near.add(item.row_id)
    key = (item.member_id, item.day)
    if state.day and item.day < state.day and key not in evidence.past_days:
        evidence.past_days[key] = await engagement.message_points(
            session, program.id, item.member_id, *day_bounds(item.day, program.timezone))


async def _outcome(session: AsyncSession, program: Program, item: Candidate, posted: list[Posted]) -> MessageOutcome:
    if not item.posting_count:
        return MessageOutcome(item.member_id, 0, item.refusal)
    mine = posted[: item.posting_count]
    del posted[: item.posting_count]
    events = await tiers.change(session, program, item.member_id, mine[0].old_lifetime, mine[-1].lifetime)
    return MessageOutcome(item.member_id, item.points, None, item.bonus, events)
