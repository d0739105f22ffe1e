"""Every chat command, declared once.

Adapters generate Discord slash commands and Telegram bot commands from this
table (name, arguments with types and help, permission), so the two platforms
cannot drift apart. ``run`` gets the session, context and parsed arguments.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import linking, moderation, points, validation
from handlers.context import Context
from handlers.i18n import translate
from handlers.replies import Reply


class ArgType(enum.StrEnum):
    MEMBER = "member"
    INTEGER = "integer"
    TEXT = "text"


class Permission(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"


Runner = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Arg:
    name: str
    type: ArgType
    help_key: str
    required: bool = True
    autocomplete: bool = False
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class Command:
    name: str
    help_key: str
    run: Runner
    args: tuple[Arg, ...] = ()
    permission: Permission = Permission.MEMBER
    private: bool = False

    def usage(self) -> str:
        parts = [f"<{a.name}>" if a.required else f"[{a.name}]" for a in self.args]
        return " ".join([f"/{self.name}", *parts])


async def _help(session: AsyncSession, ctx: Context, **_: Any) -> Reply:
    lines = [translate("help.header", ctx.locale)]
    for command in COMMANDS:
        if command.permission is Permission.MODERATOR and not ctx.is_moderator:
            continue
        suffix = translate("help.moderator", ctx.locale) if command.permission is Permission.MODERATOR else ""
        lines.append(f"{command.usage()} - {translate(command.help_key, ctx.locale)}{suffix}")
    return Reply("\n".join(lines), private=True)


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

COMMANDS: tuple[Command, ...] = (
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

BY_NAME = {c.name: c for c in COMMANDS}
