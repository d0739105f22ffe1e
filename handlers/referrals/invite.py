"""``/invite``: the member's personal invite link into this community, made once and then reused.

The platform call (Telegram ``createChatInviteLink``, a unique Discord
invite) runs in ``prepare``, before the unit of work, so no database lock is
held while the platform answers; ``run`` stores the new link. When the bot
lacks the right to create invites the member is told so, and so are the
moderators: a note in the community's announcement channel
(``announce_channel``, else Discord's system channel or the Telegram group),
which is where they read. It is posted at most once a day per community, so
members retrying ``/invite`` do not flood the channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.outlets import InviteRefused
from handlers.replies import Reply
from storage import locks, referrals

log = structlog.get_logger(__name__)
ALERT_EVERY = timedelta(days=1)
NAME_MAX = 32  # Telegram's limit on an invite link's name


class RefusalAlerts:
    """When each community's moderators were last told that the bot may not create invites (per process:
    a second process may tell them once more, which is harmless)."""

    def __init__(self) -> None:
        self._told: dict[tuple[str, str], datetime] = {}

    def due(self, platform: str, community_id: str, now: datetime) -> bool:
        """True if they should be told now, and remember that they were."""
        last = self._told.get((platform, community_id))
        if last is not None and now - last < ALERT_EVERY:
            return False
        self._told[(platform, community_id)] = now
        return True


def link_name(ctx: Context) -> str:
    """The link's label on the platform, naming the account it belongs to."""
    return f"ref-{ctx.actor.user_id}"[:NAME_MAX]


async def _live_url(session: AsyncSession, ctx: Context) -> str | None:
    """The member's link still handed out, read without writing (an unknown account has none)."""
    member = await referrals.account_member(session, ctx.platform, ctx.actor.user_id)
    if member is None:
        return None
    link = await referrals.live_link(session, ctx.program.id, ctx.platform, ctx.community_id,
                                     await referrals.aliases(session, member))
    return None if link is None else link.url


async def prepare(core: Any, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """The link to give: the member's own if they have one, else a new one from the platform."""
    existing = await core.db.run(lambda session: _live_url(session, ctx))
    if existing is not None:
        return {"url": existing, "fresh": False}
    platform = ctx.platform.capitalize()
    outlet = core.outlets.get(ctx.platform)
    if outlet is None:
        raise UserError("error.invite_unavailable", platform=platform)
    try:
        url = await outlet.create_invite(ctx.community_id, link_name(ctx))
    except InviteRefused as refused:
        await _tell_moderators(core, ctx, refused.reason)
        raise UserError("error.invite_refused", reason=refused.reason) from refused
    except Exception as exc:
        log.exception("creating an invite link failed", platform=ctx.platform, community=ctx.community_id,
                      user=ctx.actor.user_id)
        raise UserError("error.invite_failed", platform=platform) from exc
    return {"url": url, "fresh": True}


async def _tell_moderators(core: Any, ctx: Context, reason: str) -> None:
    log.warning("the bot may not create invite links", platform=ctx.platform, community=ctx.community_id,
                reason=reason)
    if not core.invite_alerts.due(ctx.platform, ctx.community_id, ctx.now):
        return
    text = translate("referral.moderators_refused", ctx.program.locale, reason=reason)
    try:
        await core.outlets[ctx.platform].announce(ctx.community_id, text)
    except Exception:
        log.exception("telling moderators that invites are refused failed", platform=ctx.platform,
                      community=ctx.community_id)


async def run(session: AsyncSession, ctx: Context, url: str, fresh: bool) -> Reply:
    """Store a new link. If another ``/invite`` of the same member stored one first, that one stays the
    member's live link and this one is kept revoked: joins through it are still theirs."""
    if fresh:
        member = await targets.actor_member(session, ctx)
        current = (await locks.current_members(session, {member}, exclusive=True))[member]
        live = await referrals.live_link(session, ctx.program.id, ctx.platform, ctx.community_id,
                                         await referrals.aliases(session, current))
        await referrals.add_link(session, ctx.program.id, current, ctx.platform, ctx.community_id, url,
                                 link_name(ctx), ctx.now, revoked=live is not None)
        url = url if live is None else live.url
    rules = ctx.program.referrals
    return Reply(translate("referral.invite", ctx.locale, url=url, days=rules.qualify_days,
                           messages=rules.qualify_messages, within=rules.qualify_within_days,
                           points=ctx.program.rules.referral_points), private=True)
