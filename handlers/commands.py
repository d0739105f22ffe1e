"""Every chat command, declared once.

Adapters generate Discord slash commands and Telegram bot commands from this
table (name, arguments with types and help, permission), so the two platforms
cannot drift apart. ``run`` gets the session, context and parsed arguments.
Feature packages declare their own commands (``handlers/<feature>/commands.py``)
and are gathered here; the types live in ``handlers.command_types``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import linking, moderation, points, validation
from handlers.campaigns.commands import CAMPAIGN_COMMANDS, CAMPAIGN_GROUPS
from handlers.campaigns.member_commands import MEMBER_CAMPAIGN_COMMANDS
from handlers.command_types import Arg, ArgType, Command, Group, Permission, Runner
from handlers.contests.commands import CONTEST_COMMANDS
from handlers.context import Context
from handlers.digest.commands import DIGEST_COMMANDS
from handlers.i18n import translate
from handlers.nps.commands import NPS_COMMANDS
from handlers.referrals.commands import REFERRAL_COMMANDS
from handlers.replies import Reply
from handlers.rewards.commands import REWARD_COMMANDS, REWARD_GROUPS
from handlers.ugc.commands import UGC_COMMANDS

__all__ = ["BY_NAME", "COMMANDS", "GROUPS", "Arg", "ArgType", "Command", "Group", "Permission", "Runner",
           "subcommands"]


async def _help(session: AsyncSession, ctx: Context, **_: Any) -> Reply:
    """Top-level commands with their usage, each group on one line with the subcommands the caller may
    run: every command listed in full no longer fits in one chat message (Discord's 2,000 characters);
    a command typed without its arguments answers with its usage."""
    lines = [translate("help.header", ctx.locale)]
    groups = {g.name: g for g in GROUPS}
    for command in COMMANDS:
        if command.permission is Permission.MODERATOR and not ctx.is_moderator:
            continue
        if command.group is None:
            lines.append(_help_line(ctx, command.usage(), command.help_key, [command]))
        elif command.group in groups:
            group = groups.pop(command.group)
            allowed = [c for c in subcommands(group.name)
                       if c.permission is not Permission.MODERATOR or ctx.is_moderator]
            usage = f"/{group.name} " + "|".join(c.leaf for c in allowed)
            lines.append(_help_line(ctx, usage, group.help_key, allowed))
    return Reply("\n".join(lines), private=True)


def _help_line(ctx: Context, usage: str, help_key: str, commands: list[Command]) -> str:
    moderators = all(c.permission is Permission.MODERATOR for c in commands)
    suffix = translate("help.moderator", ctx.locale) if moderators else ""
    return f"{usage} - {translate(help_key, ctx.locale)}{suffix}"


async def _link(session: AsyncSession, ctx: Context, code: object = None) -> Reply:
    if code is None or str(code).strip() == "":
        return await linking.issue(session, ctx)
    return await linking.redeem(session, ctx, code)


async def _award(session: AsyncSession, ctx: Context, member: Any, amount: object, reason: object) -> Reply:
    return await moderation.adjust(session, ctx, member, amount, reason, +1)


async def _deduct(session: AsyncSession, ctx: Context, member: Any, amount: object, reason: object) -> Reply:
    return await moderation.adjust(session, ctx, member, amount, reason, -1)


async def _freeze(session: AsyncSession, ctx: Context, member: Any) -> Reply:
    return await moderation.set_frozen(session, ctx, member, True)


async def _unfreeze(session: AsyncSession, ctx: Context, member: Any) -> Reply:
    return await moderation.set_frozen(session, ctx, member, False)


async def _points(session: AsyncSession, ctx: Context) -> Reply:
    return await points.points(session, ctx)


async def _leaderboard(session: AsyncSession, ctx: Context, page: object = None) -> Reply:
    return await points.leaderboard(session, ctx, page)


async def _profile(session: AsyncSession, ctx: Context, member: Any = None) -> Reply:
    return await points.profile(session, ctx, member)


MEMBER = Arg("member", ArgType.MEMBER, "arg.member", autocomplete=True)
AMOUNT = Arg("amount", ArgType.INTEGER, "arg.amount", min_value=1, max_value=validation.AMOUNT_LIMIT)
REASON = Arg("reason", ArgType.TEXT, "arg.reason")

CORE_COMMANDS: tuple[Command, ...] = (
    Command("points", "cmd.points", _points, private=True),
    Command("leaderboard", "cmd.leaderboard", _leaderboard, (Arg("page", ArgType.INTEGER, "arg.page", False,
                                                                    min_value=1, max_value=validation.PAGE_MAX),)),
    Command("profile", "cmd.profile", _profile, (Arg("member", ArgType.MEMBER, "arg.member", False, True),)),
    Command("link", "cmd.link", _link, (Arg("code", ArgType.TEXT, "arg.code", False),), private=True),
    Command("help", "cmd.help", _help, private=True),
    Command("award", "cmd.award", _award, (MEMBER, AMOUNT, REASON), Permission.MODERATOR),
    Command("deduct", "cmd.deduct", _deduct, (MEMBER, AMOUNT, REASON), Permission.MODERATOR),
    Command("freeze", "cmd.freeze", _freeze, (MEMBER,), Permission.MODERATOR),
    Command("unfreeze", "cmd.unfreeze", _unfreeze, (MEMBER,), Permission.MODERATOR),
)

GROUPS: tuple[Group, ...] = (Group("ugc", "group.ugc"), Group("contest", "group.contest")) + REWARD_GROUPS
GROUPS += CAMPAIGN_GROUPS
COMMANDS: tuple[Command, ...] = (CORE_COMMANDS + UGC_COMMANDS + CONTEST_COMMANDS + REFERRAL_COMMANDS
                                  + CAMPAIGN_COMMANDS
                                  + REWARD_COMMANDS + MEMBER_CAMPAIGN_COMMANDS + NPS_COMMANDS)
COMMANDS += DIGEST_COMMANDS
BY_NAME = {c.name: c for c in COMMANDS}


def subcommands(group: str) -> tuple[Command, ...]:
    """The commands of one group, in declaration order."""
    return tuple(c for c in COMMANDS if c.group == group)
