"""Member-facing read commands: /points, /leaderboard, /profile."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, tiers, validation
from handlers.context import Context
from handlers.i18n import translate
from handlers.replies import Reply
from storage import engagement, members, ranking

PAGE_SIZE = 10


async def points(session: AsyncSession, ctx: Context) -> Reply:
    member_id = await targets.actor_member(session, ctx)
    standing = await ranking.standing(session, ctx.program.id, member_id)
    if standing is None:
        return Reply(translate("points.none", ctx.locale), private=True)
    tier = await tiers.held_tier(session, ctx.program, member_id, standing.lifetime)
    return Reply(translate("points", ctx.locale, balance=standing.balance, lifetime=standing.lifetime,
                           tier=tier, rank=standing.rank), private=True)


async def leaderboard(session: AsyncSession, ctx: Context, raw_page: object = None) -> Reply:
    page = validation.page(raw_page)
    rows = await ranking.top(session, ctx.program.id, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if not rows:
        return Reply(translate("leaderboard.empty", ctx.locale, page=page))
    names = await members.display_names(session, [r.member_id for r in rows])
    lines = [translate("leaderboard.title", ctx.locale, program=ctx.program.name, page=page)]
    lines += [translate("leaderboard.row", ctx.locale, rank=r.rank, name=names.get(r.member_id, "?"),
                        lifetime=r.lifetime) for r in rows]
    return Reply("\n".join(lines))


async def profile(session: AsyncSession, ctx: Context, ref: object = None) -> Reply:
    """A member's standing in this program; only members of this program
    can be looked up (``targets.resolve``)."""
    if ref is None:
        member_id = await targets.actor_member(session, ctx)
        name = validation.shown(ctx.actor.display_name, members.DISPLAY_NAME_MAX)
    else:
        member_id, name = await targets.resolve(session, ctx, ref)
    standing = await ranking.standing(session, ctx.program.id, member_id)
    state = await engagement.state(session, ctx.program.id, member_id)
    linked = sorted({i.platform for i in await members.identities(session, member_id)})
    lifetime = standing.lifetime if standing else 0
    rank = standing.rank if standing else await ranking.rank_of(session, ctx.program.id, 0)
    frozen = translate("profile.frozen", ctx.locale) if state.frozen else ""
    tier = await tiers.held_tier(session, ctx.program, member_id, lifetime)
    return Reply(translate("profile", ctx.locale, name=name, balance=standing.balance if standing else 0,
                           lifetime=lifetime, tier=tier, rank=rank,
                           streak=state.streak, frozen=frozen, platforms=", ".join(linked)))
