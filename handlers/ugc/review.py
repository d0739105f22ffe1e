"""Moderators review submissions: the queue, approve, reject, feature.

Every status change is a compare-and-set on the submission row (storage.ugc
``review``), taken after the author's rule lock, so two moderators acting at
once get one success and one "already reviewed". Approval pays
``rules.ugc_approved_points`` through the ledger under the key
``ugc:<program>:<id>``; featuring a pending submission pays under the same
key, so however a submission reaches approved or featured, its author is
paid once. In a campaign window (at the moment of approval) or for a tier
with a multiplier the points are multiplied (``handlers.campaigns.multiplier``),
and a member day's flat bonus comes with the day's first paid approval. The
author hears the outcome in a private notice, in the
program's language, on whichever of their accounts the bot can reach.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import tiers, validation
from handlers.campaigns import multiplier
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Event, Notify, Reply
from handlers.ugc import ids
from storage import ledger, locks, members, ugc
from storage.ledger import Posting
from storage.models import Reason
from storage.ugc import APPROVED, FEATURED, PENDING, REJECTED, SubmissionView

QUEUE_SIZE = 10
PREVIEW_MAX = 80
NAME_MAX = 24
SENTIMENTS = frozenset({"positive", "neutral", "negative"})


async def queue(session: AsyncSession, ctx: Context) -> Reply:
    """The oldest pending submissions (at most QUEUE_SIZE) and how many wait in all."""
    waiting = await ugc.listing(session, ctx.program.id, (PENDING,), limit=QUEUE_SIZE)
    if not waiting:
        return Reply(translate("ugc.queue_empty", ctx.locale))
    total = await ugc.count(session, ctx.program.id, (PENDING,))
    lines = [translate("ugc.queue_header", ctx.locale, total=total)]
    lines += [_row(ctx, item) for item in waiting]
    if total > len(waiting):
        lines.append(translate("ugc.queue_more", ctx.locale, more=total - len(waiting)))
    return Reply("\n".join(lines))


def _row(ctx: Context, item: SubmissionView) -> str:
    parts = [f"#{item.id}", validation.shown(item.author or "?", NAME_MAX)]
    if item.sentiment_label in SENTIMENTS:
        parts.append(translate(f"ugc.sentiment.{item.sentiment_label}", ctx.locale))
    if item.text:
        parts.append(f"\u201c{validation.shown(item.text, PREVIEW_MAX)}\u201d")
    if item.media_type is not None:
        parts.append(f"{translate(f'ugc.kind.{item.media_type}', ctx.locale)} "
                     f"{validation.shown(item.media_filename or '', NAME_MAX)}".strip())
    if item.contest_id is not None:
        parts.append(translate("ugc.contest_tag", ctx.locale, contest=item.contest_id))
    if item.campaign is not None:
        parts.append(translate("ugc.campaign_tag", ctx.locale, campaign=item.campaign))
    return " \u00b7 ".join(parts)


async def approve(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    submission_id, author = await _move(session, ctx, raw_id, (PENDING,), APPROVED)
    paid, events = await _pay(session, ctx, submission_id, author)
    name, notice = await _tell(session, ctx, author, "ugc.notice.approved", id=submission_id, points=paid)
    return Reply(translate("ugc.approved", ctx.locale, id=submission_id, name=name, points=paid),
                 events=(*events, notice))


async def feature(session: AsyncSession, ctx: Context, raw_id: object) -> Reply:
    submission_id, author = await _move(session, ctx, raw_id, (PENDING, APPROVED), FEATURED)
    paid, events = await _pay(session, ctx, submission_id, author)
    key = "ugc.notice.featured_paid" if paid else "ugc.notice.featured"
    name, notice = await _tell(session, ctx, author, key, id=submission_id, points=paid)
    reply = "ugc.featured_paid" if paid else "ugc.featured"
    return Reply(translate(reply, ctx.locale, id=submission_id, name=name, points=paid),
                 events=(*events, notice))


async def reject(session: AsyncSession, ctx: Context, raw_id: object, raw_reason: object) -> Reply:
    reason = validation.reason(raw_reason)
    submission_id, author = await _move(session, ctx, raw_id, (PENDING,), REJECTED, reason)
    name, notice = await _tell(session, ctx, author, "ugc.notice.rejected", id=submission_id, reason=reason)
    return Reply(translate("ugc.rejected", ctx.locale, id=submission_id, name=name, reason=reason),
                 events=(notice,))


async def _move(session: AsyncSession, ctx: Context, raw_id: object, from_statuses: tuple[str, ...],
                to_status: str, reason: str | None = None) -> tuple[int, int]:
    """(submission id, the member holding its author's points now) once the status moved; a
    ``UserError`` for an unknown submission or one no longer in ``from_statuses``."""
    submission_id = ids.number(raw_id, "error.ugc_submission_id")
    found = await ugc.get(session, ctx.program.id, submission_id)
    if found is None:
        raise UserError("error.ugc_unknown", id=submission_id)
    author, _ = await locks.lock_member(session, ctx.program.id, found.member_id)
    moved = await ugc.review(session, ctx.program.id, submission_id, from_statuses, to_status, ctx.actor.tag,
                             ctx.now, reason)
    if not moved:
        now = await ugc.get(session, ctx.program.id, submission_id)
        status = now.status if now is not None else found.status
        raise UserError("error.ugc_already_reviewed", id=submission_id,
                        status=translate(f"ugc.status.{status}", ctx.locale))
    return submission_id, author


async def _pay(session: AsyncSession, ctx: Context, submission_id: int,
               author: int) -> tuple[int, tuple[Event, ...]]:
    """Points paid now (0 when the key was paid before or the program pays nothing) and tier events."""
    base = ctx.program.rules.ugc_approved_points
    if base == 0:
        return 0, ()
    rates = await multiplier.load(session, ctx.program, {author}, ctx.now, ctx.now)
    worth = rates.apply(author, ctx.now, multiplier.UGC, base)
    posted = await ledger.post(session, Posting(
        program_id=ctx.program.id, member_id=author, delta=worth.points, reason=Reason.UGC_APPROVED,
        idempotency_key=f"ugc:{ctx.program.id}:{submission_id}", actor=ctx.actor.tag,
        reference=f"ugc:{submission_id}", note=worth.noted(f"submission #{submission_id}"),
        created_at=ctx.now))
    if posted.duplicate:
        return 0, ()
    bonus = rates.first_action_bonus(author, ctx.now, multiplier.UGC)
    last = (await ledger.post_many(session, ctx.program.id, bonus))[-1] if bonus else posted
    return worth.points, await tiers.change(session, ctx.program, author, posted.old_lifetime, last.lifetime)


async def _tell(session: AsyncSession, ctx: Context, author: int, key: str,
                **params: object) -> tuple[str, Notify]:
    """The author's display name, and the notice for every account of theirs."""
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, author))
    name = (await members.display_names(session, [author])).get(author, "?")
    text = translate(key, ctx.program.locale, program=ctx.program.name, **params)
    return validation.shown(name, NAME_MAX), Notify(accounts, text)
