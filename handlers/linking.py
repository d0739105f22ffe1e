"""``/link``: join a member's Discord and Telegram accounts.

``/link`` issues a one-time code privately; ``/link CODE`` on the other
platform within 10 minutes, in a community of the same program, merges the
redeeming account's member into the issuer's. A member is one person across
the whole bot, so the merge joins the two accounts everywhere: in every
program where the merged-away member holds points, they move by that
program's own ledger entries (out of one member, into the other), visible
and verifiable like every other change. A code issued in one program's
community cannot be redeemed in another program's: a program's moderators
and members never cause ledger entries through another program's chat.

Both members are locked exclusively for the merge (``storage.locks``), so it
waits for credits in flight and credits that waited follow the merge to the
surviving member.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, validation
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply
from storage import ledger, links, locks, members
from storage.ledger import Posting
from storage.models import Reason

CODE_LIFETIME = timedelta(minutes=10)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


async def issue(session: AsyncSession, ctx: Context) -> Reply:
    member_id = await targets.actor_member(session, ctx)
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    await links.issue(session, code, member_id, ctx.platform, ctx.program.id, ctx.now, ctx.now + CODE_LIFETIME)
    return Reply(translate("link.code", ctx.locale, code=code), private=True)


async def redeem(session: AsyncSession, ctx: Context, raw_code: object) -> Reply:
    code = validation.link_code(raw_code)
    redeemer = await targets.actor_member(session, ctx)
    claimed = await links.claim(session, code, ctx.now)
    if claimed is None:
        raise UserError("link.bad_code", code=code)
    if claimed.platform == ctx.platform:
        raise UserError("link.same_platform")
    if claimed.program_id not in (None, ctx.program.id):
        raise UserError("link.other_program")
    current = await locks.current_members(session, {redeemer, claimed.member_id}, exclusive=True)
    loser, survivor = current[redeemer], current[claimed.member_id]
    if survivor == loser:
        raise UserError("link.already")
    await _check_platforms(session, loser, survivor)
    await _move_points(session, ctx, loser, survivor, code)
    await links.merge_engagement(session, loser, survivor)
    await members.merge_identities(session, loser, survivor)
    balance = next((b for p, b, _ in await links.balances_of(session, survivor) if p == ctx.program.id), 0)
    return Reply(translate("link.done", ctx.locale, balance=balance), private=True)


async def _check_platforms(session: AsyncSession, loser: int, survivor: int) -> None:
    mine = {i.platform for i in await members.identities(session, loser)}
    theirs = {i.platform for i in await members.identities(session, survivor)}
    clash = sorted(mine & theirs)
    if clash:
        raise UserError("link.conflict", platform=clash[0])


async def _move_points(session: AsyncSession, ctx: Context, loser: int, survivor: int, code: str) -> None:
    for program_id, balance, lifetime in await links.balances_of(session, loser):
        common = {"program_id": program_id, "actor": ctx.actor.tag, "reference": f"link:{code}",
                  "created_at": ctx.now}
        await ledger.post_many(session, program_id, [
            Posting(member_id=loser, delta=-balance, lifetime_delta=-lifetime, reason=Reason.LINK_MERGE_OUT,
                    idempotency_key=f"link:{code}:out:{program_id}", note=f"merged into member {survivor}", **common),
            Posting(member_id=survivor, delta=balance, lifetime_delta=lifetime, reason=Reason.LINK_MERGE_IN,
                    idempotency_key=f"link:{code}:in:{program_id}", note=f"merged from member {loser}", **common)])
