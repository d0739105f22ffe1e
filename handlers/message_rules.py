"""The message rules, decided in memory for one batch.

``handlers.engagement`` locks the rule state of every member in the batch and
loads the evidence the rules need from earlier transactions (``Evidence``);
``decide`` then judges each message in arrival order and updates that
state, so messages of one batch see each other as if they came one by one.

Messages may arrive out of time order (redelivery, catch-up after downtime,
several processes on one database). The rules are stated in terms of the
messages' own times, so they hold whatever the arrival order: the cooldown
compares a message with every earning message of the member near it in
time, not just the latest; a message from a day before the member's latest
earning day is capped against that day's own points and leaves the streak
alone; the duplicate rule looks at copies on both sides of the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from handlers.campaigns.multiplier import MESSAGES, Rates
from handlers.context import Context
from storage.ledger import Posting
from storage.locks import RuleState
from storage.models import Reason

if TYPE_CHECKING:
    from handlers.engagement import IncomingMessage

DUPLICATE_WINDOW = timedelta(hours=24)


@dataclass
class Candidate:
    """One message of a batch, filled in as it is stored and judged."""

    ctx: Context
    message: IncomingMessage
    day: date
    member_id: int = 0
    row_id: int | None = None
    text_hash: str = ""
    length: int = 0
    points: int = 0
    refusal: str | None = None
    bonus: int = 0
    posting_count: int = 0


@dataclass
class Evidence:
    """What the rules know beyond the messages in hand."""

    states: dict[int, RuleState]
    copies: dict[tuple[int, str], datetime]
    # Campaign and tier multipliers for the batch (``handlers.campaigns.multiplier``).
    rates: Rates
    earned_times: dict[int, list[datetime]] = field(default_factory=dict)
    near: set[int] = field(default_factory=set)
    past_days: dict[tuple[int, date], int] = field(default_factory=dict)


def decide(item: Candidate, evidence: Evidence) -> list[Posting]:
    """Judge one message; on success update the evidence and return its postings."""
    state = evidence.states[item.member_id]
    item.refusal = _refusal(item, state, evidence)
    if item.refusal:
        return []
    rules, ctx, day = item.ctx.program.rules, item.ctx, item.day
    already = _day_points(item, state, evidence)
    worth = evidence.rates.apply(item.member_id, ctx.now, MESSAGES, rules.points_per_message)
    item.points = min(worth.points, rules.daily_cap - already)
    if state.day is None or day >= state.day:
        _advance(item, state, evidence)
        item.bonus = _streak(state, day, rules.streak_bonus)
    else:
        evidence.past_days[(item.member_id, day)] = already + item.points
    _remember(item, state, evidence)
    postings = [Posting(program_id=ctx.program.id, member_id=item.member_id, delta=item.points,
                        reason=Reason.MESSAGE, created_at=ctx.now,
                        idempotency_key=f"msg:{ctx.platform}:{ctx.community_id}:{item.message.message_id}",
                        reference=f"{ctx.platform}:message:{item.message.message_id}", note=worth.note)]
    if item.bonus:
        postings.append(Posting(program_id=ctx.program.id, member_id=item.member_id, delta=item.bonus,
                                reason=Reason.STREAK_BONUS, created_at=ctx.now, note=f"{state.streak}-day streak",
                                idempotency_key=f"streak:{ctx.program.id}:{item.member_id}:{day.isoformat()}",
                                reference=f"day:{day.isoformat()}"))
    postings += evidence.rates.first_action_bonus(item.member_id, ctx.now, MESSAGES)
    item.posting_count = len(postings)
    return postings


def _refusal(item: Candidate, state: RuleState, evidence: Evidence) -> str | None:
    rules, now = item.ctx.program.rules, item.ctx.now
    if state.frozen:
        return "frozen"
    if item.length < rules.min_message_length:
        return "too_short"
    if rules.cooldown_seconds and _too_soon(item, evidence, timedelta(seconds=rules.cooldown_seconds)):
        return "cooldown"
    last = evidence.copies.get((item.member_id, item.text_hash))
    if last is not None and last >= now - DUPLICATE_WINDOW:
        return "duplicate"
    if _day_points(item, state, evidence) >= rules.daily_cap:
        return "daily_cap"
    return None


def _too_soon(item: Candidate, evidence: Evidence, cooldown: timedelta) -> bool:
    if item.row_id in evidence.near:
        return True
    return any(abs(item.ctx.now - t) < cooldown for t in evidence.earned_times.get(item.member_id, ()))


def _day_points(item: Candidate, state: RuleState, evidence: Evidence) -> int:
    """Message points the member already has on the message's own day."""
    if state.day == item.day:
        return state.day_points
    if state.day is None or item.day > state.day:
        return 0
    return evidence.past_days.get((item.member_id, item.day), 0)


def _advance(item: Candidate, state: RuleState, evidence: Evidence) -> None:
    """Count the points on the state's day, moving it forward (and keeping the
    day it leaves in ``past_days`` for a later message of that day)."""
    if state.day != item.day:
        if state.day is not None:
            evidence.past_days[(item.member_id, state.day)] = state.day_points
        state.day, state.day_points = item.day, 0
    state.day_points += item.points


def _remember(item: Candidate, state: RuleState, evidence: Evidence) -> None:
    now = item.ctx.now
    state.last_earned_at = max(state.last_earned_at or now, now)
    evidence.earned_times.setdefault(item.member_id, []).append(now)
    key = (item.member_id, item.text_hash)
    evidence.copies[key] = max(evidence.copies.get(key, now), now)


def _streak(state: RuleState, today: date, bonus: int) -> int:
    if state.streak_day == today:
        return 0
    state.streak = state.streak + 1 if state.streak_day == today - timedelta(days=1) else 1
    state.streak_day = today
    return bonus if state.streak >= 2 and bonus else 0
