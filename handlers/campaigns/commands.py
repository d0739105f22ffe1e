"""The campaign commands, declared once for both platforms (gathered by ``handlers.commands``).

Moderators run ``/campaign create multiplier``, ``/campaign list``,
``/campaign end ID`` and ``/campaign stats ID``; everyone can ``/campaigns``.
``create`` takes the kind as its first argument, so Telegram members type
``/campaign create multiplier | +1h | +2d | 2 | all | Double weekend`` and
Discord shows it as a choice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.campaigns import listing, windows
from handlers.command_types import Arg, ArgType, Command, Group, Permission
from handlers.config_model import CAMPAIGN_SCOPES
from handlers.context import Context
from handlers.replies import Reply


async def _end(session: AsyncSession, ctx: Context, campaign: object) -> Reply:
    return await windows.end(session, ctx, campaign)


async def _stats(session: AsyncSession, ctx: Context, campaign: object) -> Reply:
    return await listing.stats(session, ctx, campaign)


CAMPAIGN = Arg("campaign", ArgType.INTEGER, "arg.campaign", min_value=1, max_value=validation.RECORD_ID_MAX)

CAMPAIGN_GROUPS: tuple[Group, ...] = (Group("campaign", "group.campaign"),)
CAMPAIGN_COMMANDS: tuple[Command, ...] = (
    Command("campaign create", "cmd.campaign.create", windows.create, (
        Arg("kind", ArgType.CHOICE, "arg.campaign_kind", choices=windows.KINDS),
        Arg("start", ArgType.TEXT, "arg.start"),
        Arg("end", ArgType.TEXT, "arg.end"),
        Arg("multiplier", ArgType.TEXT, "arg.multiplier"),
        Arg("scope", ArgType.CHOICE, "arg.scope", choices=CAMPAIGN_SCOPES),
        Arg("title", ArgType.TEXT, "arg.campaign_title", False),
    ), Permission.MODERATOR),
    Command("campaign list", "cmd.campaign.list", listing.listing, permission=Permission.MODERATOR),
    Command("campaign end", "cmd.campaign.end", _end, (CAMPAIGN,), Permission.MODERATOR),
    Command("campaign stats", "cmd.campaign.stats", _stats, (CAMPAIGN,), Permission.MODERATOR),
    Command("campaigns", "cmd.campaigns", listing.running_and_coming),
)
