"""The qualification check of one pending referral, run by the scheduler at its ``due_at``.

A pending row means the member has stayed since joining (a leave drops it at
once, ``handlers.referrals.joins``), and the first check is due
``qualify_days`` after the join. The member qualifies once they earned points
from ``qualify_messages`` messages since joining: the inviter gets
``rules.referral_points`` and the new member ``referrals.new_member_points``,
each one ledger entry keyed per join. Short of that the row is checked again
a day later, until ``qualify_within_days`` after the join, when it is
rejected as inactive; only messages dated within that window count, so a
check that runs late (the bot was down) decides as a timely one would have.
Each outcome is a compare-and-set on the pending status, so a check that
fires twice, or in two processes, pays once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import tiers
from handlers.config_model import Program
from handlers.i18n import translate
from handlers.referrals import keys
from handlers.replies import Event, Notify
from storage import ledger, locks, members, referrals
from storage.ledger import Posting
from storage.models import Reason
from storage.referrals import INACTIVE, PENDING, QUALIFIED, REJECTED, ReferralJoin

RECHECK = timedelta(days=1)


async def check(session: AsyncSession, program: Program, join_id: int, now: datetime) -> tuple[Event, ...]:
    """Decide the referral if it is pending and due at ``now``; the notices and tier changes to publish
    after the commit."""
    join = await session.get(ReferralJoin, join_id)
    if join is None or join.program_id != program.id or join.status != PENDING or join.inviter_member_id is None \
            or join.due_at is None or join.due_at > now:
        return ()
    rules = program.referrals
    current = await locks.current_members(session, {join.member_id, join.inviter_member_id})
    member, inviter = current[join.member_id], current[join.inviter_member_id]
    deadline = join.joined_at + timedelta(days=rules.qualify_within_days)
    earned = await referrals.earning_messages(session, program.id, await referrals.aliases(session, member),
                                              join.joined_at, min(now, deadline))
    if earned >= rules.qualify_messages:
        return await _qualify(session, program, join, member, inviter, now)
    if now < deadline:
        await referrals.move(session, join.id, PENDING, due_at=min(now + RECHECK, deadline))
    else:
        await referrals.move(session, join.id, PENDING, status=REJECTED, reason=INACTIVE, due_at=None,
                             decided_at=now)
    return ()


async def _qualify(session: AsyncSession, program: Program, join: ReferralJoin, member: int, inviter: int,
                   now: datetime) -> tuple[Event, ...]:
    payout, welcome = program.rules.referral_points, program.referrals.new_member_points
    if not await referrals.move(session, join.id, PENDING, status=QUALIFIED, due_at=None, decided_at=now,
                                points=payout):
        return ()
    common = {"program_id": program.id, "actor": "system", "reference": f"referral:{join.id}", "created_at": now}
    notices: list[Event] = []
    names = await members.display_names(session, [member])
    if payout:
        posted = await ledger.post(session, Posting(member_id=inviter, delta=payout, reason=Reason.REFERRAL,
                                                    idempotency_key=keys.payout(program.id, join.id), **common))
        notices += await tiers.change(session, program, inviter, posted.old_lifetime, posted.lifetime)
        notices.append(await _notice(session, inviter, "referral.qualified_inviter", program,
                                     name=names.get(member, "?"), points=payout))
    if welcome:
        posted = await ledger.post(session, Posting(member_id=member, delta=welcome, reason=Reason.REFERRAL_WELCOME,
                                                    idempotency_key=keys.welcome(program.id, join.id), **common))
        notices += await tiers.change(session, program, member, posted.old_lifetime, posted.lifetime)
        notices.append(await _notice(session, member, "referral.welcome", program, points=welcome))
    return tuple(notices)


async def _notice(session: AsyncSession, member_id: int, key: str, program: Program, **params: object) -> Notify:
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, member_id))
    return Notify(accounts, translate(key, program.locale, program=program.name, **params))
