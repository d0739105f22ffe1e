"""``/digest [period]``: a moderator gets the program's digest now (gathered by ``handlers.commands``).

The period ends now and reaches back a day, a week (the default) or 30 days,
like ``engagebot digest --since``. The digest is built and rendered in the
command's ``prepare`` (``handlers.digest.produce``), before its unit of work:
the data is read in a unit of work of its own and the seconds of drawing
happen after it closed, so the command's own transaction (which marks the
platform event handled) holds no lock while charts are drawn.

The answer is private (an ephemeral reply on Discord, a private message on
Telegram): a digest names members and quotes their most negative messages,
which is for the brand team and moderators, not for whoever reads the
channel the command was typed in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.command_types import Arg, ArgType, Command, Permission
from handlers.context import Context
from handlers.digest.model import Period, RenderedDigest
from handlers.digest.produce import NoRenderer, render
from handlers.errors import UserError
from handlers.replies import Reply

log = structlog.get_logger(__name__)

LENGTHS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
DEFAULT = "week"


def period_of(raw: object, ctx: Context) -> Period:
    """The period named by the argument (a Discord choice, or a word typed on Telegram), ending now."""
    word = DEFAULT if raw is None or str(raw).strip() == "" else str(raw).strip().lower()
    if word not in LENGTHS:
        raise UserError("error.digest_period", value=validation.shown(raw))
    return Period(ctx.now - LENGTHS[word], ctx.now, ctx.program.timezone)


async def prepare(core: Any, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    period = period_of(args.get("period"), ctx)
    try:
        rendered = await render(core, ctx.program, period, ctx.now)
    except NoRenderer as exc:
        raise UserError("error.digest_unavailable") from exc
    except Exception as exc:
        log.exception("digest on demand failed", program=ctx.program.id, user=ctx.actor.user_id)
        raise UserError("error.digest_failed") from exc
    return {"rendered": rendered}


async def run(session: AsyncSession, ctx: Context, period: object, rendered: RenderedDigest) -> Reply:
    return Reply(rendered.summary, private=True, attachments=rendered.attachments)


DIGEST_COMMANDS: tuple[Command, ...] = (
    Command("digest", "cmd.digest", run, (Arg("period", ArgType.CHOICE, "arg.digest_period", required=False,
                                              choices=tuple(LENGTHS)),),
            permission=Permission.MODERATOR, private=True, prepare=prepare),
)
