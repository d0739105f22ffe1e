"""The rewards commands, declared once for both platforms (gathered by ``handlers.commands``).

Naming: a group name cannot also be a top-level command (``Command.group``
is the first word), so members use the top-level ``/rewards`` (the list) and
``/redeem REWARD``; moderators use the group ``/reward add|edit|retire``, the
top-level ``/redemptions [STATUS]`` (pending by default, oldest first) and
the group ``/redemption fulfil|reject``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.command_types import Arg, ArgType, Command, Group, Permission
from handlers.context import Context
from handlers.replies import Reply
from handlers.rewards import catalog, fulfilment, inputs, redeem
from storage.rewards import STATUSES


async def _listing(session: AsyncSession, ctx: Context) -> Reply:
    return await catalog.listing(session, ctx)


async def _redeem(session: AsyncSession, ctx: Context, reward: object) -> Reply:
    return await redeem.redeem(session, ctx, reward)


async def _retire(session: AsyncSession, ctx: Context, reward: object) -> Reply:
    return await catalog.retire(session, ctx, reward)


async def _redemptions(session: AsyncSession, ctx: Context, status: object = None) -> Reply:
    return await fulfilment.listing(session, ctx, status)


async def _fulfil(session: AsyncSession, ctx: Context, redemption: object, note: object = None) -> Reply:
    return await fulfilment.fulfil(session, ctx, redemption, note)


async def _reject(session: AsyncSession, ctx: Context, redemption: object, reason: object) -> Reply:
    return await fulfilment.reject(session, ctx, redemption, reason)


REWARD = Arg("reward", ArgType.TEXT, "arg.reward")
REDEMPTION = Arg("redemption", ArgType.INTEGER, "arg.redemption", min_value=1, max_value=validation.RECORD_ID_MAX)
COST = Arg("cost", ArgType.INTEGER, "arg.reward_cost", min_value=1, max_value=inputs.COST_MAX)


def _details(required_cost: bool) -> tuple[Arg, ...]:
    """The arguments ``/reward add`` and ``/reward edit`` share; only ``add`` requires a name and cost."""
    return (
        Arg("name", ArgType.TEXT, "arg.reward_name", required_cost),
        COST if required_cost else Arg("cost", ArgType.INTEGER, "arg.reward_cost", False, min_value=1,
                                       max_value=inputs.COST_MAX),
        Arg("stock", ArgType.TEXT, "arg.reward_stock", False),
        Arg("tier", ArgType.TEXT, "arg.reward_tier", False),
        Arg("limit", ArgType.TEXT, "arg.reward_limit", False),
        Arg("description", ArgType.TEXT, "arg.reward_description", False),
    )


REWARD_GROUPS: tuple[Group, ...] = (Group("reward", "group.reward"), Group("redemption", "group.redemption"))

REWARD_COMMANDS: tuple[Command, ...] = (
    Command("rewards", "cmd.rewards", _listing, private=True),
    Command("redeem", "cmd.redeem", _redeem, (REWARD,), private=True),
    Command("reward add", "cmd.reward.add", catalog.add, _details(True), Permission.MODERATOR),
    Command("reward edit", "cmd.reward.edit", catalog.edit, (REWARD, *_details(False)), Permission.MODERATOR),
    Command("reward retire", "cmd.reward.retire", _retire, (REWARD,), Permission.MODERATOR),
    Command("redemptions", "cmd.redemptions", _redemptions,
            (Arg("status", ArgType.CHOICE, "arg.redemption_status", False, choices=STATUSES),),
            Permission.MODERATOR, private=True),
    Command("redemption fulfil", "cmd.redemption.fulfil", _fulfil,
            (REDEMPTION, Arg("note", ArgType.TEXT, "arg.redemption_note", False)), Permission.MODERATOR),
    Command("redemption reject", "cmd.redemption.reject", _reject,
            (REDEMPTION, Arg("reason", ArgType.TEXT, "arg.redemption_reason")), Permission.MODERATOR),
)
