"""``/referrals``: a member's own referrals, each with where it stands and why; ``/referrals top`` for
moderators: the top inviters by qualified referrals.

One top-level command with an optional view (``mine`` by default, ``top``)
rather than a group, because a group's bare name is not a command: this
way ``/referrals`` and ``/referrals top`` both work as typed on Telegram, and
on Discord ``/referrals`` with the ``view`` picker. ``top`` checks the
moderator permission itself, with the same refusal as a moderator command.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply
from storage import members, referrals
from storage.referrals import CLAWED_BACK, DROPPED, PENDING, QUALIFIED, REJECTED, ReferralJoin

MINE, TOP = "mine", "top"
VIEWS = (MINE, TOP)
ROWS = 15
TOP_SIZE = 10
NAME_MAX = 32


async def referrals_command(session: AsyncSession, ctx: Context, view: object = None) -> Reply:
    chosen = _view(view)
    if chosen == TOP:
        if not ctx.is_moderator:
            raise UserError("error.not_moderator", command="referrals top")
        return await top(session, ctx)
    return await mine(session, ctx)


def _view(raw: object) -> str:
    if raw is None or str(raw).strip() == "":
        return MINE
    text = str(raw).strip().lower()
    if text not in VIEWS:
        raise UserError("error.referrals_view", value=validation.shown(raw))
    return text


async def mine(session: AsyncSession, ctx: Context) -> Reply:
    member = await referrals.account_member(session, ctx.platform, ctx.actor.user_id)
    counts, rows = ({}, []) if member is None else await referrals.of_inviter(
        session, ctx.program.id, await referrals.aliases(session, member), ROWS)
    if not rows:
        return Reply(translate("referrals.none", ctx.locale), private=True)
    current = await referrals.survivors(session, {r.member_id for r in rows})
    names = await members.display_names(session, sorted(set(current.values())))
    lines = [translate("referrals.header", ctx.locale, **{s: counts.get(s, 0) for s in
                                                          (QUALIFIED, PENDING, REJECTED, DROPPED, CLAWED_BACK)})]
    for row in rows:
        name = validation.shown(names.get(current[row.member_id], "?"), NAME_MAX)
        lines.append(translate("referrals.row", ctx.locale, id=row.id, name=name,
                               date=_day(row.joined_at, ctx.program.timezone), status=_status(ctx, row)))
    return Reply("\n".join(lines), private=True)


def _day(moment: datetime, zone: str) -> str:
    return f"{moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)):%Y-%m-%d}"


def _status(ctx: Context, row: ReferralJoin) -> str:
    if row.status == PENDING:
        due = _day(row.due_at or row.joined_at, ctx.program.timezone)
        return translate("referrals.status.pending", ctx.locale, due=due)
    if row.status == QUALIFIED:
        return translate("referrals.status.qualified", ctx.locale, points=row.points or 0)
    rules = ctx.program.referrals
    days = rules.min_account_age_days if row.reason == referrals.ACCOUNT_TOO_YOUNG else rules.clawback_days
    reason = translate(f"referrals.reason.{row.reason}", ctx.locale, days=days, messages=rules.qualify_messages,
                       within=rules.qualify_within_days)
    return translate(f"referrals.status.{row.status}", ctx.locale, reason=reason, points=row.clawed_back or 0)


async def top(session: AsyncSession, ctx: Context) -> Reply:
    counts = await referrals.inviter_counts(session, ctx.program.id)
    current = await referrals.survivors(session, {inviter for inviter, _, _ in counts})
    tally: dict[int, Counter[str]] = {}
    for inviter, status, count in counts:
        tally.setdefault(current[inviter], Counter())[status] += count
    ranked = sorted(((-c[QUALIFIED], -c[PENDING], m) for m, c in tally.items() if c[QUALIFIED] or c[PENDING]))
    ranked = ranked[:TOP_SIZE]
    if not ranked:
        return Reply(translate("referrals.top_empty", ctx.locale), private=True)
    names = await members.display_names(session, [m for _, _, m in ranked])
    lines = [translate("referrals.top_header", ctx.locale, program=ctx.program.name)]
    for rank, (qualified, waiting, member) in enumerate(ranked, start=1):
        lines.append(translate("referrals.top_row", ctx.locale, rank=rank,
                               name=validation.shown(names.get(member, "?"), NAME_MAX), qualified=-qualified,
                               pending=-waiting))
    return Reply("\n".join(lines), private=True)
