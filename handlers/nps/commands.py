"""NPS's command and button, gathered in ``handlers.commands`` and ``handlers.actions``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command_types import Action, Arg, ArgType, Command
from handlers.context import Context
from handlers.nps import survey
from handlers.replies import Reply


async def _nps(session: AsyncSession, ctx: Context, why: object = None) -> Reply:
    """``/nps`` asks (or shows the open ask again); ``/nps REASON`` explains the latest answer."""
    if why is None or str(why).strip() == "":
        return await survey.ask(session, ctx)
    return await survey.explain(session, ctx, why)


async def _answer(session: AsyncSession, ctx: Context, argument: str) -> Reply:
    return await survey.answer(session, ctx, argument)


NPS_COMMANDS: tuple[Command, ...] = (
    Command("nps", "cmd.nps", _nps, (Arg("why", ArgType.TEXT, "arg.why", required=False),), private=True),
)
NPS_ACTIONS: tuple[Action, ...] = (Action(survey.ACTION, _answer),)
