"""The UGC commands and button, gathered into the core tables by ``handlers.commands`` and
``handlers.actions``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command_types import Action, Arg, ArgType, Command, Permission
from handlers.context import Context
from handlers.replies import Reply
from handlers.ugc import consent, ids, review, submit


async def _submit(session: AsyncSession, ctx: Context, text: object = None, media: object = None,
                  contest: object = None) -> Reply:
    return await submit.submit(session, ctx, text, media, contest, ctx.extra.get("permalink"))


async def _queue(session: AsyncSession, ctx: Context) -> Reply:
    return await review.queue(session, ctx)


async def _approve(session: AsyncSession, ctx: Context, submission: object) -> Reply:
    return await review.approve(session, ctx, submission)


async def _reject(session: AsyncSession, ctx: Context, submission: object, reason: object) -> Reply:
    return await review.reject(session, ctx, submission, reason)


async def _feature(session: AsyncSession, ctx: Context, submission: object) -> Reply:
    return await review.feature(session, ctx, submission)


SUBMISSION = Arg("submission", ArgType.INTEGER, "arg.ugc_submission", min_value=1, max_value=ids.ID_MAX)
MODERATOR = Permission.MODERATOR

UGC_COMMANDS: tuple[Command, ...] = (
    Command("submit", "cmd.submit", _submit, (
        Arg("text", ArgType.TEXT, "arg.ugc_text", required=False),
        Arg("media", ArgType.ATTACHMENT, "arg.ugc_media", required=False),
        Arg("contest", ArgType.INTEGER, "arg.ugc_contest", required=False, min_value=1, max_value=ids.ID_MAX),
    )),
    Command("ugc queue", "cmd.ugc_queue", _queue, (), MODERATOR, private=True),
    Command("ugc approve", "cmd.ugc_approve", _approve, (SUBMISSION,), MODERATOR, private=True),
    Command("ugc reject", "cmd.ugc_reject", _reject,
            (SUBMISSION, Arg("reason", ArgType.TEXT, "arg.ugc_reject_reason")), MODERATOR, private=True),
    Command("ugc feature", "cmd.ugc_feature", _feature, (SUBMISSION,), MODERATOR, private=True),
)

UGC_ACTIONS: tuple[Action, ...] = (Action(consent.ACTION, consent.accept),)
