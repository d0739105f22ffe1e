"""The NPS use cases: ask (``/nps``), answer (a score button), explain (``/nps REASON``).

A survey is one ask of one member (``storage.nps``): a scheduled round asks
each active member once; ``/nps`` asks on demand. Pressing a score records it
once: the first press is the answer and a later press changes nothing (a
survey answered twice would let a member move the NPS after the fact, and the
"why" already given would no longer match). Completing the survey earns
``nps.points`` once, whatever the score (ledger key
``nps:{program}:{survey}:{member}``). The "why" is optional and comes after
the score, typed as ``/nps REASON`` (a command works the same on both
platforms, where a free-text reply to a DM would need its own plumbing); its
text is stored as a ``messages`` row pending sentiment, so the sentiment
worker scores it off the hot path like any chat message.

Every step takes the member's rule lock (``storage.locks``) first, so two
presses or two ``/nps`` of one member take turns.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, textnorm, tiers
from handlers.config_model import Program
from handlers.context import Context
from handlers.daily import local_day
from handlers.engagement import fingerprint
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Button, Event, Reply
from handlers.validation import has_lone_surrogate
from storage import engagement, ledger, locks, nps
from storage.ledger import Posting
from storage.models import Reason

ACTION = "nps"
SCORES = range(11)
WHY_MAX = 1000
# A "why" explains an answer given this recently.
WHY_DAYS = 7


def question(program: Program, locale: str, response_id: int) -> tuple[str, tuple[Button, ...]]:
    """The question and its 11 score buttons (``nps:<response id>:<score>``)."""
    text = translate("nps.question", locale, brand=program.name)
    return text, tuple(Button(str(score), f"{ACTION}:{response_id}:{score}") for score in SCORES)


def completion_key(program_id: str, response: nps.NpsResponse) -> str:
    """Once per survey and member: a round's id, or ``ask<id>`` for an ask made by /nps."""
    survey = str(response.survey_id) if response.survey_id is not None else f"ask{response.id}"
    return f"nps:{program_id}:{survey}:{response.member_id}"


async def _member(session: AsyncSession, ctx: Context) -> int:
    """The acting member (the survivor of any /link), its rule state locked."""
    member, _ = await locks.lock_member(session, ctx.program.id, await targets.actor_member(session, ctx))
    return member


async def ask(session: AsyncSession, ctx: Context) -> Reply:
    """``/nps``: the member's open ask again, a thank-you within the cool-down after an answer, or a new ask."""
    program = ctx.program
    member = await _member(session, ctx)
    last = await nps.latest(session, program.id, member)
    cooldown = timedelta(days=program.nps.cooldown_days)
    if last is not None and last.score is None:
        response_id = last.id
    else:
        answered = await nps.latest_answered(session, program.id, member)
        if answered is not None and answered.answered_at is not None and ctx.now < answered.answered_at + cooldown:
            zone = program.timezone
            return Reply(translate("nps.recent", ctx.locale, day=local_day(answered.answered_at, zone).isoformat(),
                                   score=answered.score, next=local_day(answered.answered_at + cooldown,
                                                                        zone).isoformat()), private=True)
        response_id = await nps.ask(session, program.id, member, ctx.now)
    text, buttons = question(program, ctx.locale, response_id)
    return Reply(text, private=True, buttons=buttons)


def _parse(argument: str) -> tuple[int, int]:
    """``"<response id>:<score>"`` as this bot writes it; anything else is a button it never sent."""
    raw_id, _, raw_score = argument.partition(":")
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18 and raw_score.isascii()
            and raw_score.isdigit() and len(raw_score) <= 2 and int(raw_score) in SCORES):
        raise UserError("error.unknown_action")
    return int(raw_id), int(raw_score)


async def answer(session: AsyncSession, ctx: Context, argument: str) -> Reply:
    """A score button: record the score once, pay for completing the survey once, ask for the why."""
    response_id, score = _parse(argument)
    program = ctx.program
    member = await _member(session, ctx)
    response = await nps.in_program(session, program.id, response_id)
    if response is None:
        raise UserError("error.unknown_action")
    owner = (await locks.current_members(session, {response.member_id}))[response.member_id]
    if owner != member:
        raise UserError("nps.not_yours")
    if not await nps.record_score(session, response.id, score, ctx.now):
        return Reply(translate("nps.already", ctx.locale, score=response.score), private=True)
    lines = [translate("nps.thanks", ctx.locale, score=score)]
    events: tuple[Event, ...] = ()
    if program.nps.points:
        posted = await ledger.post(session, Posting(
            program_id=program.id, member_id=member, delta=program.nps.points, reason=Reason.NPS_COMPLETED,
            idempotency_key=completion_key(program.id, response), reference=f"nps:{response.id}",
            actor=ctx.actor.tag, note="NPS survey completed", created_at=ctx.now))
        if not posted.duplicate:
            lines.append(translate("nps.points", ctx.locale, points=program.nps.points))
            events = await tiers.change(session, program, member, posted.old_lifetime, posted.lifetime)
    lines.append(translate("nps.why_prompt", ctx.locale))
    return Reply("\n".join(lines), private=True, events=events)


def _why_text(raw: object) -> str:
    text = str(raw or "")
    if has_lone_surrogate(text):
        raise UserError("nps.why_invalid")
    text = " ".join(textnorm.storable(text).split())
    if len(text) > WHY_MAX:
        raise UserError("nps.why_too_long", length=len(text), maximum=WHY_MAX)
    return text


async def explain(session: AsyncSession, ctx: Context, raw: object) -> Reply:
    """``/nps REASON``: the why of the member's latest answer (within ``WHY_DAYS``), stored once and
    queued for sentiment scoring."""
    text = _why_text(raw)
    program = ctx.program
    member = await _member(session, ctx)
    answered = await nps.latest_answered(session, program.id, member)
    if answered is None or answered.answered_at is None or ctx.now >= answered.answered_at + timedelta(days=WHY_DAYS):
        raise UserError("nps.why_nothing")
    if answered.why_message_id is not None:
        raise UserError("nps.why_already")
    message_id = await _store_why(session, ctx, member, answered.id, text, ctx.now)
    if message_id is None or not await nps.record_why(session, answered.id, message_id):
        raise UserError("nps.why_already")
    return Reply(translate("nps.why_thanks", ctx.locale), private=True)


async def _store_why(session: AsyncSession, ctx: Context, member: int, response_id: int, text: str,
                     now: datetime) -> int | None:
    """The why as a message earning nothing, pending sentiment (None if this response has one stored)."""
    key = f"nps:{response_id}"
    stored = await engagement.store_messages(session, [{
        "program_id": ctx.program.id, "platform": ctx.platform, "community_id": ctx.community_id,
        "channel_id": ctx.channel_id, "platform_message_id": key, "member_id": member, "text": text,
        "text_hash": fingerprint(text)[0], "created_at": now, "points": 0, "refusal": nps.WHY_REFUSAL,
        "sentiment_status": "pending"}])
    return stored.get((ctx.community_id, key))
