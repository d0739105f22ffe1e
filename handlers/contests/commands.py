"""The contest commands and buttons, declared once for both platforms (gathered by
``handlers.commands`` and ``handlers.actions``).

Moderators run ``/contest create|close|cancel|pick|reroll``; everyone can
``/contest list|show``, ``/enter`` a plain contest and ``/vote``; the start
announcement's Enter button and the Vote buttons under entries run the same
use cases as the commands.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command_types import Action, Arg, ArgType, Command, Permission
from handlers import validation
from handlers.contests import entries, lifecycle, votes, winners
from handlers.context import Context
from handlers.replies import Reply
from storage.contests import ENTRY_TYPES, VOTING


async def _show(session: AsyncSession, ctx: Context, contest: object) -> Reply:
    return await lifecycle.show(session, ctx, contest)


async def _close(session: AsyncSession, ctx: Context, contest: object) -> Reply:
    return await lifecycle.close(session, ctx, contest)


async def _cancel(session: AsyncSession, ctx: Context, contest: object) -> Reply:
    return await lifecycle.cancel(session, ctx, contest)


async def _pick(session: AsyncSession, ctx: Context, contest: object, entry: object) -> Reply:
    return await winners.pick(session, ctx, contest, entry)


async def _reroll(session: AsyncSession, ctx: Context, contest: object) -> Reply:
    return await winners.reroll(session, ctx, contest)


async def _enter(session: AsyncSession, ctx: Context, contest: object) -> Reply:
    return await entries.enter(session, ctx, contest)


async def _vote(session: AsyncSession, ctx: Context, entry: object) -> Reply:
    return await votes.vote(session, ctx, entry)


ID_MAX = validation.RECORD_ID_MAX
CONTEST = Arg("contest", ArgType.INTEGER, "arg.contest", min_value=1, max_value=ID_MAX)
ENTRY = Arg("entry", ArgType.INTEGER, "arg.entry", min_value=1, max_value=ID_MAX)

CONTEST_COMMANDS: tuple[Command, ...] = (
    Command("contest create", "cmd.contest.create", lifecycle.create, (
        Arg("title", ArgType.TEXT, "arg.title"),
        Arg("description", ArgType.TEXT, "arg.description"),
        Arg("start", ArgType.TEXT, "arg.start"),
        Arg("end", ArgType.TEXT, "arg.end"),
        Arg("entry_type", ArgType.CHOICE, "arg.entry_type", choices=ENTRY_TYPES),
        Arg("voting", ArgType.CHOICE, "arg.voting", choices=VOTING),
        Arg("winners", ArgType.INTEGER, "arg.winners", False, min_value=1, max_value=lifecycle.WINNERS_MAX),
        Arg("prize", ArgType.INTEGER, "arg.prize", False, min_value=0, max_value=lifecycle.PRIZE_MAX),
    ), Permission.MODERATOR),
    Command("contest list", "cmd.contest.list", lifecycle.listing),
    Command("contest show", "cmd.contest.show", _show, (CONTEST,)),
    Command("contest close", "cmd.contest.close", _close, (CONTEST,), Permission.MODERATOR),
    Command("contest cancel", "cmd.contest.cancel", _cancel, (CONTEST,), Permission.MODERATOR),
    Command("contest pick", "cmd.contest.pick", _pick, (CONTEST, ENTRY), Permission.MODERATOR),
    Command("contest reroll", "cmd.contest.reroll", _reroll, (CONTEST,), Permission.MODERATOR),
    Command("enter", "cmd.enter", _enter, (CONTEST,)),
    Command("vote", "cmd.vote", _vote, (ENTRY,), private=True),
)

CONTEST_ACTIONS: tuple[Action, ...] = (
    Action("contest.enter", entries.enter),
    Action("contest.vote", votes.vote),
)
