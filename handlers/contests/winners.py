"""Deciding winners and paying prizes: at the close, by a moderator's pick, by a reroll.

Every prize is one ledger entry keyed ``contest:{program}:{contest}:{entry}``
and every win one ``contest_winners`` row (an entry wins at most once), both
written in the transaction that moved the contest or added the place; so a
close that fires twice, concurrently or after a restart pays once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import tiers
from handlers.config_model import Program
from handlers.contests import draw, inputs, refs
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Notify, Reply, TierChanged
from storage import contests, ledger, locks, members
from storage.contests import CLOSED, MEMBERS, MODERATOR, RANDOM, Candidate, Contest
from storage.ledger import Posting
from storage.models import Reason


@dataclass(frozen=True)
class Win:
    place: int
    entry_id: int
    member_id: int
    name: str
    votes: int | None
    accounts: tuple[tuple[str, str], ...]
    tier_events: tuple[TierChanged, ...]


@dataclass(frozen=True)
class Closing:
    """What one close decided, for its announcement."""

    contest: Contest
    ranked: list[Candidate]
    wins: list[Win]


def prize_key(program_id: str, contest_id: int, entry_id: int) -> str:
    return f"contest:{program_id}:{contest_id}:{entry_id}"


def ranking(contest: Contest, candidates: list[Candidate]) -> list[Candidate]:
    if contest.voting == RANDOM and contest.seed is not None:
        return draw.draw_order(contest.seed, candidates)
    if contest.voting == MEMBERS:
        return draw.vote_order(candidates)
    return list(candidates)


def first_winners(contest: Contest, ranked: list[Candidate]) -> list[Candidate]:
    """Random draws: the first places of the draw order. Votes: the most voted entries that got a
    vote at all. Moderator picks and contests without voting decide nothing at the close."""
    if contest.voting == RANDOM:
        return ranked[: contest.winners]
    if contest.voting == MEMBERS:
        return [c for c in ranked if c.votes > 0][: contest.winners]
    return []


async def close(session: AsyncSession, program: Program, contest_id: int, now: datetime) -> Closing | None:
    """Close the contest if it is open and due; None when another caller already did (or it is not due)."""
    if not await contests.close_due(session, contest_id, now):
        return None
    contest = await contests.in_program(session, program.id, contest_id)
    assert contest is not None
    ranked = ranking(contest, await contests.candidates(session, contest))
    await contests.record_ranking(session, ranked)
    how = "draw" if contest.voting == RANDOM else "votes"
    wins = [await award(session, program, contest, c.entry_id, c.member_id, how, "system", now, c.votes)
            for c in first_winners(contest, ranked)]
    return Closing(contest, ranked, wins)


async def award(session: AsyncSession, program: Program, contest: Contest, entry_id: int, member_id: int,
                how: str, actor: str, now: datetime, votes: int | None) -> Win:
    """Give the entry the next place and pay its author the prize (to the member holding their points now)."""
    place = await contests.add_winner(session, contest.id, entry_id, how, actor, now)
    holder = (await locks.current_members(session, {member_id}))[member_id]
    events: tuple[TierChanged, ...] = ()
    if contest.prize:
        posted = await ledger.post(session, Posting(
            program_id=program.id, member_id=holder, delta=contest.prize, reason=Reason.CONTEST_WIN,
            idempotency_key=prize_key(program.id, contest.id, entry_id), actor=actor,
            reference=f"contest:{contest.id}:entry:{entry_id}", note=contest.title[:200], created_at=now))
        events = await tiers.change(session, program, holder, posted.old_lifetime, posted.lifetime)
    name = (await members.display_names(session, [holder])).get(holder, "?")
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, holder))
    return Win(place, entry_id, holder, name, votes, accounts, events)


def win_notice(locale: str, contest: Contest, win: Win) -> Notify:
    return Notify(win.accounts, translate("contest.won", locale, title=contest.title, id=contest.id,
                                          place=win.place, entry=win.entry_id, prize=contest.prize))


def _reply(ctx: Context, key: str, contest: Contest, win: Win) -> Reply:
    text = translate(key, ctx.locale, id=contest.id, entry=win.entry_id, name=win.name, place=win.place,
                     prize=contest.prize)
    return Reply(text, events=(win_notice(ctx.program.locale, contest, win), *win.tier_events))


async def pick(session: AsyncSession, ctx: Context, raw_contest: object, raw_entry: object) -> Reply:
    """A moderator names a winner of a moderator-pick contest, once it has ended."""
    contest = await refs.contest(session, ctx, raw_contest, lock=True)
    entry, owner = await refs.entry(session, ctx, raw_entry)
    if contest.voting != MODERATOR:
        raise UserError("contest.not_pick", id=contest.id)
    if contest.status != CLOSED:
        raise _not_closed(ctx, contest)
    if owner.id != contest.id:
        raise UserError("contest.entry_elsewhere", entry=entry.id, id=contest.id)
    took_part = contest.start_at <= entry.created_at < contest.end_at
    if not took_part or not await contests.entry_eligible(session, entry):
        raise UserError("contest.entry_not_eligible", entry=entry.id)
    chosen = await contests.winners(session, contest.id)
    if any(e.id == entry.id for _, e in chosen):
        raise UserError("contest.already_won", entry=entry.id, id=contest.id)
    if len(chosen) >= contest.winners:
        raise UserError("contest.places_full", id=contest.id, winners=contest.winners)
    win = await award(session, ctx.program, contest, entry.id, entry.member_id, "pick", ctx.actor.tag,
                      ctx.now, None)
    return _reply(ctx, "contest.picked", contest, win)


async def reroll(session: AsyncSession, ctx: Context, raw_contest: object) -> Reply:
    """One more winner, the next in the stored ranking that has not won and is still eligible
    (a winner disqualified since keeps its place; the reroll never picks it, or any earlier winner, again)."""
    contest = await refs.contest(session, ctx, raw_contest, lock=True)
    if contest.voting not in (RANDOM, MEMBERS):
        raise UserError("contest.reroll_unsupported", id=contest.id)
    if contest.status != CLOSED:
        raise _not_closed(ctx, contest)
    won = {e.id for _, e in await contests.winners(session, contest.id)}
    for entry in await contests.ranked(session, contest.id):
        if entry.id in won or (contest.voting == MEMBERS and not entry.votes):
            continue
        if await contests.entry_eligible(session, entry):
            win = await award(session, ctx.program, contest, entry.id, entry.member_id, "reroll",
                              ctx.actor.tag, ctx.now, entry.votes)
            return _reply(ctx, "contest.rerolled", contest, win)
    raise UserError("contest.no_more_entries", id=contest.id)


def _not_closed(ctx: Context, contest: Contest) -> UserError:
    if contest.status == contests.CANCELLED:
        return UserError("contest.cancelled", id=contest.id)
    return UserError("contest.not_ended", id=contest.id,
                     end=inputs.shown_time(contest.end_at, ctx.program.timezone))
