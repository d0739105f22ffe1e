"""Moderators' multiplier windows: ``/campaign create multiplier`` and ``/campaign end``.

Creating and ending only write the campaign row and report ``TimersChanged``;
the start and end announcements run from the scheduler
(``handlers.campaigns.schedule``). Earning never waits for them: a posting
is multiplied when its own time falls inside the row's window.

Times are typed like a contest's (``handlers.contests.inputs``: the
program's time zone, ISO 8601, ``now``, ``+2h``). Every refusal is a
``UserError`` raised before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.campaigns.multiplier import shown
from handlers.config_model import CAMPAIGN_SCOPES
from handlers.context import Context
from handlers.contests import inputs
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply, TimersChanged
from storage import campaigns
from storage.campaigns import ENDED, MULTIPLIER, SCHEDULED, Campaign

KINDS = (MULTIPLIER,)
TITLE_MAX = 100
_MULTIPLIER = re.compile(r"([0-9]{1,7})(\.[0-9]{1,2})?", re.ASCII)


@dataclass(frozen=True)
class Draft:
    kind: str
    start_at: datetime
    end_at: datetime
    multiplier: Decimal
    scope: str
    title: str


def _choice(raw: object, choices: tuple[str, ...], bad_key: str) -> str:
    text = str(raw).strip().lower()
    if text not in choices:
        raise UserError(bad_key, value=validation.shown(raw), choices=", ".join(choices))
    return text


def multiplier_value(raw: object, maximum: Decimal) -> Decimal:
    """A typed multiplier (``2``, ``1.5``, ``2x``): above 0, at most ``maximum``, two decimals at most."""
    text = str(raw).strip().lower().removesuffix("x").strip()
    negative = text.startswith("-")
    found = _MULTIPLIER.fullmatch(text.removeprefix("-"))
    if found is None:
        raise UserError("error.campaign_bad_multiplier", value=validation.shown(raw))
    value = Decimal(found.group(0))
    if negative or value <= 0:
        raise UserError("error.campaign_multiplier_not_positive", value=validation.shown(raw, 24))
    if value > maximum:
        raise UserError("error.campaign_multiplier_too_high", value=shown(value), maximum=shown(maximum))
    return value


def draft(ctx: Context, kind: object, start: object, end: object, multiplier: object, scope: object,
          title: object) -> Draft:
    """Every argument of ``/campaign create`` checked, in the order the command lists them."""
    chosen = _choice(kind, KINDS, "error.campaign_bad_kind")
    start_at, end_at = inputs.window(start, end, ctx.now, ctx.program.timezone, "error.campaign_start_past",
                                     "error.campaign_end_before_start")
    factor = multiplier_value(multiplier, ctx.program.campaigns.max_multiplier)
    covered = _choice(scope, CAMPAIGN_SCOPES, "error.campaign_bad_scope")
    if title is None or str(title).strip() == "":
        name = translate("campaign.default_title", ctx.program.locale, multiplier=shown(factor))
    else:
        name = inputs.text_field(title, "title", TITLE_MAX, one_line=True)
    return Draft(chosen, start_at, end_at, factor, covered, name)


def describe(ctx: Context, row: Campaign, key: str) -> str:
    zone = ctx.program.timezone
    return translate(key, ctx.locale, id=row.id, title=row.title, multiplier=shown(row.multiplier),
                     scope=translate(f"campaign.scope.{row.scope}", ctx.locale),
                     start=inputs.shown_time(row.start_at, zone), end=inputs.shown_time(row.end_at, zone),
                     status=translate(f"campaign.status.{row.status}", ctx.locale))


async def create(session: AsyncSession, ctx: Context, kind: object, start: object, end: object,
                 multiplier: object, scope: object, title: object = None) -> Reply:
    d = draft(ctx, kind, start, end, multiplier, scope, title)
    source = f"{ctx.platform}:{ctx.event_id}"
    if await campaigns.by_source_event(session, ctx.program.id, source) is not None:
        return Reply(translate("duplicate_event", ctx.locale))
    row = Campaign(program_id=ctx.program.id, kind=d.kind, title=d.title,
                   multiplier_hundredths=int(d.multiplier * 100), scope=d.scope, start_at=d.start_at,
                   end_at=d.end_at, status=SCHEDULED, created_by=ctx.actor.tag, source_event=source,
                   created_at=ctx.now)
    session.add(row)
    await session.flush()
    return Reply(describe(ctx, row, "campaign.created"), events=(TimersChanged(),))


async def find(session: AsyncSession, ctx: Context, raw_id: object, lock: bool = False) -> Campaign:
    campaign_id = inputs.record_id(raw_id, "error.campaign_bad_id")
    row = await campaigns.in_program(session, ctx.program.id, campaign_id, lock=lock)
    if row is None:
        raise UserError("error.campaign_unknown", id=campaign_id)
    return row


async def end(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    """Stop a window now: postings from now on are not multiplied by it; its timer announces the end."""
    row = await find(session, ctx, raw_id, lock=True)
    if row.status == ENDED or row.end_at <= ctx.now:
        raise UserError("error.campaign_already_ended", id=row.id)
    await campaigns.end_now(session, row.id, ctx.now, ctx.actor.tag)
    await session.refresh(row)
    return Reply(describe(ctx, row, "campaign.ending"), events=(TimersChanged(),))
