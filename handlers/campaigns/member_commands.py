"""The commands and button of birthdays and win-back nudges (gathered by ``handlers.commands`` and
``handlers.actions``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.campaigns import birthdays, winback
from handlers.command_types import Action, Arg, ArgType, Command
from handlers.context import Context
from handlers.errors import UserError
from handlers.replies import Reply

WINBACK_CHOICES = ("on", "off")


async def _birthday(session: AsyncSession, ctx: Context, date: object = None) -> Reply:
    return await birthdays.command(session, ctx, date)


async def _winback(session: AsyncSession, ctx: Context, choice: object) -> Reply:
    chosen = str(choice).strip().casefold()
    if chosen not in WINBACK_CHOICES:
        raise UserError("error.winback_choice", value=validation.shown(choice, 20))
    return await winback.set_opt_out(session, ctx, chosen == "off")


MEMBER_CAMPAIGN_COMMANDS: tuple[Command, ...] = (
    Command(
        "birthday",
        "cmd.birthday",
        _birthday,
        (Arg("date", ArgType.TEXT, "arg.birthday_date", required=False),),
        private=True,
    ),
    Command(
        "winback",
        "cmd.winback",
        _winback,
        (Arg("choice", ArgType.CHOICE, "arg.winback_choice", choices=WINBACK_CHOICES),),
        private=True,
    ),
)

MEMBER_CAMPAIGN_ACTIONS: tuple[Action, ...] = (Action(winback.STOP_ACTION, winback.stop),)
