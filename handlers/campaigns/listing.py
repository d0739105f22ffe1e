"""What campaigns are on: ``/campaigns`` for members, ``/campaign list`` and ``/campaign stats`` for
moderators.

``/campaigns`` answers in the member's language: windows running now and
still to come, then each member day's next date. ``/campaign stats`` reads
what the campaign paid from the ledger entries that name it
(``storage.campaigns.effect``), then the lines of ``STATS_HOOKS``: other
features that report on a campaign (an A/B experiment attached to it) add a
function there and nothing here changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.campaigns import member_days
from handlers.campaigns.multiplier import shown
from handlers.campaigns.windows import describe, find
from handlers.config_model import MemberDay, Program
from handlers.context import Context
from handlers.engagement import local_day
from handlers.experiments.report import during_campaign
from handlers.i18n import translate
from handlers.replies import Reply
from storage import campaigns
from storage.campaigns import Campaign

LIST_MAX = 20
CURRENT_MAX = 10

# Extra lines for ``/campaign stats ID`` from other features: (session, program, campaign, locale) -> lines.
StatsHook = Callable[[AsyncSession, Program, Campaign, str], Awaitable[list[str]]]
STATS_HOOKS: tuple[StatsHook, ...] = (during_campaign,)


def _member_day(locale: str, when: str, day: MemberDay) -> str:
    scope = translate(f"campaign.scope.{day.scope}", locale)
    if day.multiplier is not None:
        return translate("campaigns.member_day_multiplier", locale, when=when, name=day.name,
                         multiplier=shown(day.multiplier), scope=scope)
    return translate("campaigns.member_day_bonus", locale, when=when, name=day.name, bonus=day.bonus)


async def running_and_coming(session: AsyncSession, ctx: Context) -> Reply:
    """``/campaigns``: windows running now and coming, then member days, in the member's language."""
    rows = await campaigns.current(session, ctx.program.id, ctx.now, CURRENT_MAX)
    lines = [describe(ctx, r, "campaigns.running" if r.start_at <= ctx.now else "campaigns.coming")
             for r in rows]
    today = local_day(ctx)
    for day, definition in member_days.upcoming(ctx.program, today):
        when = translate("campaigns.today", ctx.locale) if day == today else day.isoformat()
        lines.append(_member_day(ctx.locale, when, definition))
    if not lines:
        return Reply(translate("campaigns.none", ctx.locale))
    return Reply("\n".join([translate("campaigns.head", ctx.locale), *lines]))


async def listing(session: AsyncSession, ctx: Context) -> Reply:
    rows = await campaigns.listed(session, ctx.program.id, LIST_MAX)
    if not rows:
        return Reply(translate("campaign.list_empty", ctx.locale))
    return Reply("\n".join([translate("campaign.list_head", ctx.locale),
                            *(describe(ctx, r, "campaign.list_line") for r in rows)]))


async def stats(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    row = await find(session, ctx, raw_id)
    paid = await campaigns.effect(session, ctx.program.id, row.id)
    lines = [describe(ctx, row, "campaign.stats_head"),
             translate("campaign.stats_points", ctx.locale, points=paid.points, members=paid.members,
                       messages=paid.messages, reactions=paid.reactions, submissions=paid.submissions)]
    for hook in STATS_HOOKS:
        lines += await hook(session, ctx.program, row, ctx.locale)
    return Reply("\n".join(lines))
