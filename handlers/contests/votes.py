"""Members' votes: stored rows (never platform reaction counts), one per member per entry.

A member cannot vote for their own entry (their accounts merged by /link
count as them), nor after the contest's end, nor before they have been
around for ``contests.min_member_days_to_vote`` days: the earliest evidence
of them (``storage.contests.first_seen``) must be that old, so accounts made
for the vote do not count.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets
from handlers.contests import inputs, refs
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply
from storage import contests, locks
from storage.contests import CANCELLED, CLOSED, MEMBERS, ContestEntry


async def _old_enough(session: AsyncSession, ctx: Context, member_id: int) -> None:
    days = ctx.program.contests.min_member_days_to_vote
    if not days:
        return
    seen = await contests.first_seen(session, ctx.program.id, member_id) or ctx.now
    if ctx.now - seen < timedelta(days=days):
        raise UserError("contest.too_new", days=days,
                        when=inputs.shown_time(seen + timedelta(days=days), ctx.program.timezone))


async def _own(session: AsyncSession, entry: ContestEntry, voter: int) -> bool:
    holders = await locks.current_members(session, {entry.member_id, voter})
    return holders[entry.member_id] == holders[voter]


async def vote(session: AsyncSession, ctx: Context, raw_entry: object) -> Reply:
    """``/vote ENTRY`` or a Vote button."""
    entry, contest = await refs.entry(session, ctx, raw_entry)
    if contest.voting != MEMBERS:
        raise UserError("contest.no_member_votes", id=contest.id)
    if contest.status == CANCELLED:
        raise UserError("contest.cancelled", id=contest.id)
    if contest.status == CLOSED or ctx.now >= contest.end_at:
        raise UserError("contest.voting_over", id=contest.id)
    voter = await targets.actor_member(session, ctx)
    if await _own(session, entry, voter):
        raise UserError("contest.own_entry", entry=entry.id)
    if not await contests.entry_eligible(session, entry):
        raise UserError("contest.entry_not_eligible", entry=entry.id)
    await _old_enough(session, ctx, voter)
    if await contests.has_voted(session, entry.id, voter):
        raise UserError("contest.already_voted", entry=entry.id)
    await contests.add_vote(session, entry, voter, ctx.now)
    return Reply(translate("contest.voted", ctx.locale, entry=entry.id, id=contest.id, title=contest.title),
                 private=True)
