"""Storing a submission: from ``/submit`` and from captured chat messages alike.

Order of the checks: the input itself (``draft``), consent, the contest,
then, under the member's rule lock so two submissions of one member take
turns, duplicates and the daily limit. Only when all passed are the rows
written and the file stored (inside the same unit of work: if the commit
fails, the content-addressed file is merely unreferenced, never a row
without its file). A redelivered event finds its submission and answers
as the first time.

The text is also stored as a ``messages`` row earning nothing (refusal
``ugc``, platform message id ``ugc:<event>`` so it never collides with the
chat message itself), which the sentiment worker scores like any message.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets
from handlers.campaigns.birthdays import story_campaign
from handlers.context import Context
from handlers.engagement import day_bounds, fingerprint, local_day
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply
from handlers.ugc import consent, contest_link, draft, media_store
from handlers.ugc.draft import Draft
from storage import engagement, locks, ugc

PERMALINK_MAX = 300


async def submit(session: AsyncSession, ctx: Context, raw_text: object, upload: object, raw_contest: object,
                 permalink: str | None) -> Reply:
    earlier = await ugc.by_platform_message(session, ctx.platform, ctx.community_id, ctx.event_id)
    if earlier is not None:
        return received(ctx, earlier.id, earlier.contest_id)
    content = draft.build(ctx.program.ugc, raw_text, upload, raw_contest)
    refusal = await consent.gate(session, ctx)
    if refusal is not None:
        return refusal
    if content.contest_id is not None:
        await contest_link.check(session, ctx, content.contest_id)
    member_id, _ = await locks.lock_member(session, ctx.program.id, await targets.actor_member(session, ctx))
    await _refuse_copies(session, ctx, content)
    await _refuse_over_limit(session, ctx, member_id)
    submission_id = await _store(session, ctx, member_id, content, permalink)
    return received(ctx, submission_id, content.contest_id)


def received(ctx: Context, submission_id: int, contest_id: int | None) -> Reply:
    if contest_id is None:
        return Reply(translate("ugc.received", ctx.locale, id=submission_id))
    return Reply(translate("ugc.received_contest", ctx.locale, id=submission_id, contest=contest_id))


async def _refuse_copies(session: AsyncSession, ctx: Context, content: Draft) -> None:
    if content.media is not None:
        first = await ugc.same_media(session, ctx.program.id, content.media.sha256)
        if first is not None:
            raise UserError("error.ugc_duplicate_media", id=first)
    elif content.text_hash is not None:
        first = await ugc.same_text(session, ctx.program.id, content.text_hash)
        if first is not None:
            raise UserError("error.ugc_duplicate_text", id=first)


async def _refuse_over_limit(session: AsyncSession, ctx: Context, member_id: int) -> None:
    limit = ctx.program.ugc.daily_limit
    start, end = day_bounds(local_day(ctx), ctx.program.timezone)
    if await ugc.count_between(session, ctx.program.id, member_id, start, end) >= limit:
        raise UserError("error.ugc_daily_limit", limit=limit)


async def _store(session: AsyncSession, ctx: Context, member_id: int, content: Draft,
                 permalink: str | None) -> int:
    media = content.media
    row: dict[str, object] = {
        "program_id": ctx.program.id, "member_id": member_id, "platform": ctx.platform,
        "community_id": ctx.community_id, "channel_id": ctx.channel_id, "platform_message_id": ctx.event_id,
        "permalink": permalink if permalink and len(permalink) <= PERMALINK_MAX else None,
        "contest_id": content.contest_id, "text": content.text, "text_hash": content.text_hash,
        "campaign": story_campaign(ctx.program, content.text),
        "message_id": await _sentiment_row(session, ctx, member_id, content.text), "created_at": ctx.now,
    }
    if media is not None:
        row.update(media_sha256=media.sha256, media_type=media.kind, media_mime=media.mime,
                   media_size=media.size, media_filename=media.filename)
    submission_id = await ugc.insert(session, row)
    if submission_id is None:
        raced = await ugc.by_platform_message(session, ctx.platform, ctx.community_id, ctx.event_id)
        assert raced is not None
        return raced.id
    if content.contest_id is not None:
        await contest_link.enter(session, ctx, content.contest_id, submission_id, member_id)
    if media is not None:
        await media_store.of(session).save(media.sha256, media.mime, media.data)
    return submission_id


async def _sentiment_row(session: AsyncSession, ctx: Context, member_id: int, text: str) -> int | None:
    if not text:
        return None
    key = f"ugc:{ctx.event_id}"
    stored = await engagement.store_messages(session, [{
        "program_id": ctx.program.id, "platform": ctx.platform, "community_id": ctx.community_id,
        "channel_id": ctx.channel_id, "platform_message_id": key, "member_id": member_id, "text": text,
        "text_hash": fingerprint(text)[0], "created_at": ctx.now, "points": 0, "refusal": "ugc",
        "sentiment_status": "pending"}])
    return stored.get((ctx.community_id, key))
