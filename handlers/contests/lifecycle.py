"""Moderators' contest commands (create, close, cancel) and everyone's (list, show).

Creating, closing and cancelling only write the contest row and report
``TimersChanged``: the start and end themselves (announcements, winners,
prizes) always run from the scheduler's timer (``handlers.contests.schedule``),
so there is one path that closes a contest however its end came about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.contests import announcements, draw, inputs, refs
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply, TimersChanged
from storage import contests, members
from storage.contests import CANCELLED, CLOSED, ENTRY_TYPES, RANDOM, SCHEDULED, VOTING, Contest

TITLE_MAX = 100
DESCRIPTION_MAX = 1000
WINNERS_MAX = 100
PRIZE_MAX = 1_000_000
LIST_MAX = 20
ENTRIES_SHOWN = 20


@dataclass(frozen=True)
class Draft:
    title: str
    description: str
    start_at: datetime
    end_at: datetime
    entry_type: str
    voting: str
    winners: int
    prize: int


def _blank(raw: object) -> bool:
    return raw is None or str(raw).strip() == ""


def draft(ctx: Context, title: object, description: object, start: object, end: object, entry_type: object,
          voting: object, winners: object, prize: object) -> Draft:
    """Every argument of ``/contest create`` checked, in the order the command lists them."""
    program = ctx.program
    name = inputs.text_field(title, "title", TITLE_MAX, one_line=True)
    about = inputs.text_field(description, "description", DESCRIPTION_MAX, one_line=False)
    start_at, end_at = inputs.window(start, end, ctx.now, ctx.program.timezone, "contest.start_past",
                                     "contest.end_before_start")
    kind = inputs.choice(entry_type, "entry_type", ENTRY_TYPES)
    how = inputs.choice(voting, "voting", VOTING)
    places = program.contests.default_winners if _blank(winners) else inputs.whole(
        winners, "winners", 1, WINNERS_MAX, "contest.zero_winners")
    points = program.rules.contest_win_points if _blank(prize) else inputs.whole(
        prize, "prize", 0, PRIZE_MAX, "contest.negative_prize")
    return Draft(name, about, start_at, end_at, kind, how, places, points)


async def create(session: AsyncSession, ctx: Context, title: object, description: object, start: object,
                 end: object, entry_type: object, voting: object, winners: object = None,
                 prize: object = None) -> Reply:
    d = draft(ctx, title, description, start, end, entry_type, voting, winners, prize)
    source = f"{ctx.platform}:{ctx.event_id}"
    if await contests.by_source_event(session, ctx.program.id, source) is not None:
        return Reply(translate("duplicate_event", ctx.locale))
    seed = draw.new_seed() if d.voting == RANDOM else None
    contest = Contest(program_id=ctx.program.id, title=d.title, description=d.description,
                      entry_type=d.entry_type, voting=d.voting, winners=d.winners, prize=d.prize,
                      start_at=d.start_at, end_at=d.end_at,
                      status=SCHEDULED, seed=seed, commitment=draw.commitment(seed) if seed else None,
                      created_by=ctx.actor.tag, source_event=source, created_at=ctx.now)
    session.add(contest)
    await session.flush()
    zone = ctx.program.timezone
    head = translate("contest.created", ctx.locale, id=contest.id, title=contest.title,
                     start=inputs.shown_time(contest.start_at, zone),
                     end=inputs.shown_time(contest.end_at, zone))
    text = "\n".join([head, *announcements.rules(ctx.locale, ctx.program, contest)])
    return Reply(text, events=(TimersChanged(),))


async def listing(session: AsyncSession, ctx: Context) -> Reply:
    rows = await contests.listed(session, ctx.program.id, LIST_MAX)
    if not rows:
        return Reply(translate("contest.list_empty", ctx.locale))
    lines = [translate("contest.list_head", ctx.locale)]
    lines += [announcements.summary(ctx.locale, ctx.program, c) for c in rows]
    return Reply("\n".join(lines))


async def show(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    contest = await refs.contest(session, ctx, raw_id)
    locale, zone = ctx.locale, ctx.program.timezone
    lines = [translate("contest.show_head", locale, id=contest.id, title=contest.title,
                       status=translate(f"contest.status.{contest.status}", locale)),
             contest.description,
             translate("contest.period", locale, start=inputs.shown_time(contest.start_at, zone),
                       end=inputs.shown_time(contest.end_at, zone)),
             *announcements.rules(locale, ctx.program, contest)]
    taking_part = await contests.candidates(session, contest)
    names = await members.display_names(session, [c.member_id for c in taking_part])
    lines.append(translate("contest.show_entries", locale, count=len(taking_part)))
    lines += [translate("contest.entry_line", locale, entry=c.entry_id, name=names.get(c.member_id, "?"),
                        votes=c.votes) for c in taking_part[:ENTRIES_SHOWN]]
    chosen = await contests.winners(session, contest.id)
    if chosen:
        won_names = await members.display_names(session, [e.member_id for _, e in chosen])
        lines.append(translate("contest.winners", locale))
        lines += [translate("contest.winner_line", locale, place=w.place,
                            name=won_names.get(e.member_id, "?"), entry=e.id) for w, e in chosen]
    if contest.voting == RANDOM and contest.status == CLOSED:
        lines.append(translate("contest.seed_line", locale, seed=contest.seed or ""))
    buttons = announcements.show_buttons(locale, contest, [c.entry_id for c in taking_part],
                                         ctx.now < contest.end_at)
    return Reply("\n".join(lines), buttons=buttons)


def _over(ctx: Context, contest: Contest) -> UserError:
    return UserError("contest.already_over", id=contest.id,
                     status=translate(f"contest.status.{contest.status}", ctx.locale))


async def close(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    """End an open contest now: its timer then closes it, decides winners and announces them."""
    contest = await refs.contest(session, ctx, raw_id, lock=True)
    if contest.status == SCHEDULED:
        raise UserError("contest.close_not_started", id=contest.id)
    if contest.status in (CLOSED, CANCELLED):
        raise _over(ctx, contest)
    await contests.end_now(session, contest.id, ctx.now)
    return Reply(translate("contest.closing", ctx.locale, id=contest.id, title=contest.title),
                 events=(TimersChanged(),))


async def cancel(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    """Call a scheduled or open contest off: no winners, no prizes."""
    contest = await refs.contest(session, ctx, raw_id, lock=True)
    if contest.status in (CLOSED, CANCELLED):
        raise _over(ctx, contest)
    await contests.cancel(session, contest.id, ctx.now)
    return Reply(translate("contest.cancelled_done", ctx.locale, id=contest.id, title=contest.title),
                 events=(TimersChanged(),))
