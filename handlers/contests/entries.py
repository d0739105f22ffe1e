"""Entering a contest: ``/enter ID`` for plain contests, a UGC submission for content contests.

The window is the contest's own times (start <= now < end), not its status,
so a timer running late neither lets an entry in after the end nor keeps one
out after the start. ``check_open_for_ugc`` and ``record_ugc_entry`` are what
``/submit ... contest`` calls; such an entry takes part once its submission is
approved or featured (``storage.contests.candidates``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, validation
from handlers.contests import inputs, refs
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Button, Reply
from storage import contests
from storage.contests import CANCELLED, CLOSED, MEMBERS, PLAIN, UGC, Contest, ContestEntry


def check_window(ctx: Context, contest: Contest) -> None:
    """Refuse unless the contest takes entries at ``ctx.now``."""
    if contest.status == CANCELLED:
        raise UserError("contest.cancelled", id=contest.id)
    if ctx.now < contest.start_at:
        raise UserError("contest.not_started", id=contest.id,
                        start=inputs.shown_time(contest.start_at, ctx.program.timezone))
    if contest.status == CLOSED or ctx.now >= contest.end_at:
        raise UserError("contest.ended", id=contest.id)


async def _check_room(session: AsyncSession, ctx: Context, contest: Contest, member_id: int) -> None:
    limit = ctx.program.contests.entries_per_member
    held = await contests.member_entries(session, contest.id, member_id)
    if held >= limit:
        raise UserError("contest.already_entered", id=contest.id, limit=limit)


async def _open_contest(session: AsyncSession, ctx: Context, raw_id: object, entry_type: str) -> Contest:
    contest = await refs.contest(session, ctx, raw_id)
    if contest.entry_type != entry_type:
        key = "contest.use_submit" if contest.entry_type == UGC else "contest.use_enter"
        raise UserError(key, id=contest.id)
    check_window(ctx, contest)
    return contest


async def check_open_for_ugc(session: AsyncSession, ctx: Context, contest_id: object) -> Contest:
    """The UGC contest a submission is for, if the actor may still enter it; else a UserError."""
    contest = await _open_contest(session, ctx, contest_id, UGC)
    await _check_room(session, ctx, contest, await targets.actor_member(session, ctx))
    return contest


async def record_ugc_entry(session: AsyncSession, ctx: Context, contest_id: int, submission_id: int,
                           member_id: int) -> ContestEntry:
    """Enter a stored submission (checked again, in the submission's own unit of work)."""
    contest = await _open_contest(session, ctx, contest_id, UGC)
    await _check_room(session, ctx, contest, member_id)
    return await contests.add_entry(session, contest.id, member_id, ctx.now, submission_id)


def vote_button(locale: str, entry_id: int) -> Button:
    return Button(translate("contest.button.vote", locale, entry=entry_id), f"contest.vote:{entry_id}")


async def enter(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    """``/enter ID`` or the Enter button of a plain contest."""
    contest = await _open_contest(session, ctx, raw_id, PLAIN)
    member_id = await targets.actor_member(session, ctx)
    await _check_room(session, ctx, contest, member_id)
    entry = await contests.add_entry(session, contest.id, member_id, ctx.now)
    buttons = (vote_button(ctx.locale, entry.id),) if contest.voting == MEMBERS else ()
    text = translate("contest.entered", ctx.locale, name=validation.shown(ctx.actor.display_name, 64),
                     id=contest.id, title=contest.title, entry=entry.id)
    return Reply(text, buttons=buttons)
