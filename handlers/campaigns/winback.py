"""Win-back nudges: one DM, with a "stop these messages" button, to members who were active and went quiet.

Quiet is measured against the member's own rhythm: the median gap between
their active days (local days with a stored message, over the last
``LOOKBACK``) times ``winback.factor``. A member who posts daily is quiet
after a few days, one who posts weekly only after weeks. Where churn risk
(``handlers.churn``) rates a member silent for a day or more at
``churn_threshold`` or above, that counts as quiet too. Either way the
member needs ``min_history_messages`` messages and two active days: someone
who never was active has nothing to be won back to.

A nudge is a row (``winback_nudges``), at most one per member per
``period_days``, never to a member who opted out (the button, or
``/winback off``; ``/winback on`` undoes it). It may offer ``bonus`` points
for coming back: earning from a message within ``return_within_days``. The
daily run settles open nudges first (returned or expired, a compare-and-set
on the row; the bonus keyed ``winback:{program}:{nudge}``), then sends new
ones. It is a ``TimedJobs`` row per program: the last local day run, due at
the next local midnight, so a restart on the day sends nothing twice.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import partial

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, tiers, validation
from handlers.churn.score import risks
from handlers.config_model import Program
from handlers.context import Context
from handlers.daily import DailyTimers, local_day
from handlers.experiments import assign
from handlers.experiments.variants import WINBACK_NUDGE
from handlers.i18n import translate
from handlers.replies import Button, Event, Notify, Reply
from storage import ledger, locks, members, referrals
from storage import member_campaigns as store
from storage.ledger import Posting
from storage.member_campaigns import EXPIRED, RETURNED, SENT, WinbackNudge
from storage.models import Reason

log = structlog.get_logger(__name__)
STOP_ACTION = "winback_off"
LOOKBACK = timedelta(days=365)
# Nobody is nudged within a day of their last message, whatever their rhythm.
MIN_QUIET = timedelta(days=1)
CHUNK = 200


def usual_gap(days: Sequence[date]) -> float | None:
    """Median days between consecutive active days; None with fewer than two active days."""
    ordered = sorted(set(days))
    if len(ordered) < 2:
        return None
    return float(statistics.median((b - a).days for a, b in itertools.pairwise(ordered)))


def quiet_by_gap(days: Sequence[date], today: date, factor: float) -> tuple[float, int] | None:
    """(usual gap, days quiet) when the member has been quiet longer than ``factor`` usual gaps."""
    gap = usual_gap(days)
    if gap is None:
        return None
    quiet = (today - max(days)).days
    return (gap, quiet) if quiet > gap * factor else None


# ---- opting out ---------------------------------------------------------------------------------


async def set_opt_out(session: AsyncSession, ctx: Context, out: bool) -> Reply:
    """``/winback off`` and the button opt out; ``/winback on`` opts back in."""
    member_id, _ = await locks.lock_member(session, ctx.program.id, await targets.actor_member(session, ctx))
    changed = await store.set_opt_out(session, ctx.program.id, member_id, out, ctx.now)
    key = (
        ("winback.off" if changed else "winback.already_off")
        if out
        else ("winback.on" if changed else "winback.already_on")
    )
    return Reply(translate(key, ctx.locale, program=ctx.program.name), private=True)


async def stop(session: AsyncSession, ctx: Context, argument: str) -> Reply:
    """The "stop these messages" button under a nudge."""
    return await set_opt_out(session, ctx, True)


# ---- the daily run ------------------------------------------------------------------------------


async def settle(session: AsyncSession, program: Program, nudge_id: int, now: datetime) -> tuple[Event, ...]:
    """Returned (and paid) if the member earned from a message before the deadline; expired after it."""
    nudge = await session.get(WinbackNudge, nudge_id, populate_existing=True)
    if nudge is None or nudge.status != SENT:
        return ()
    accounts = await referrals.aliases(session, nudge.member_id)
    if not await store.earned_message(session, program.id, accounts, nudge.sent_at, min(now, nudge.deadline)):
        if now >= nudge.deadline:
            await store.settle(session, nudge.id, EXPIRED, now)
        return ()
    member, _ = await locks.lock_member(session, program.id, nudge.member_id)
    if not await store.settle(session, nudge.id, RETURNED, now) or not nudge.bonus:
        return ()
    posted = await ledger.post(
        session,
        Posting(
            program_id=program.id,
            member_id=member,
            delta=nudge.bonus,
            reason=Reason.WINBACK_RETURN,
            idempotency_key=f"winback:{program.id}:{nudge.id}",
            reference=f"winback:{nudge.id}",
            note="welcome back",
            created_at=now,
        ),
    )
    if posted.duplicate:
        return ()
    events: list[Event] = list(
        await tiers.change(session, program, member, posted.old_lifetime, posted.lifetime)
    )
    identities = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, member))
    events.append(
        Notify(
            identities,
            translate("winback.returned", program.locale, program=program.name, points=nudge.bonus),
        )
    )
    return tuple(events)


async def quiet_members(
    session: AsyncSession, program: Program, now: datetime
) -> dict[int, tuple[float, int]]:
    """Members to nudge now: member -> (usual gap in days, days quiet)."""
    settings = program.winback
    candidates = await store.quiet_candidates(
        session,
        program.id,
        now - LOOKBACK,
        now - MIN_QUIET,
        settings.min_history_messages,
        now - timedelta(days=settings.period_days),
    )
    today = local_day(now, program.timezone)
    found: dict[int, tuple[float, int]] = {}
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        times = await store.message_times(session, program.id, chunk, now - LOOKBACK)
        at_risk = (
            set()
            if settings.churn_threshold is None
            else {
                r.member_id
                for r in await risks(session, program, now, chunk)
                if r.score >= settings.churn_threshold
            }
        )
        for member, moments in times.items():
            days = [local_day(t, program.timezone) for t in moments]
            picked = quiet_by_gap(days, today, settings.factor)
            gap = usual_gap(days)
            if picked is None and member in at_risk and gap is not None:
                picked = (gap, (today - max(days)).days)
            if picked is not None:
                found[member] = picked
    return found


async def nudge(
    session: AsyncSession, program: Program, member_id: int, why: tuple[float, int], now: datetime
) -> Notify | None:
    """Record and write one nudge; None when the member opted out or was nudged meanwhile."""
    settings = program.winback
    member, _ = await locks.lock_member(session, program.id, member_id)
    if (
        member != member_id
        or await store.opted_out(session, program.id, member)
        or await store.nudged_since(session, program.id, member, now - timedelta(days=settings.period_days))
    ):
        return None
    gap, quiet = why
    await store.add_nudge(
        session,
        WinbackNudge(
            program_id=program.id,
            member_id=member,
            sent_at=now,
            deadline=now + timedelta(days=settings.return_within_days),
            bonus=settings.bonus,
            status=SENT,
            usual_gap_days=gap,
            quiet_days=quiet,
        ),
    )
    name = validation.shown((await members.display_names(session, [member])).get(member, "?"), 40)
    fields = {"name": name, "program": program.name, "days": quiet}
    lines = [
        await assign.variant_text(
            session,
            program,
            WINBACK_NUDGE,
            member,
            translate("winback.nudge", program.locale, **fields),
            now,
            program.locale,
            fields,
        )
    ]
    if settings.bonus:
        lines.append(
            translate(
                "winback.offer", program.locale, points=settings.bonus, days=settings.return_within_days
            )
        )
    lines.append(translate("winback.stop_hint", program.locale))
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, member))
    button = Button(translate("winback.stop_button", program.locale), STOP_ACTION)
    return Notify(accounts, "\n".join(lines), (button,), program.id)


class WinbackTimers(DailyTimers):
    """Each program with win-back on settles open nudges and nudges quiet members once a local day."""

    name = "winback"

    def enabled(self, program: Program) -> bool:
        return program.winback.enabled

    async def run_day(self, program: Program, day: date, now: datetime) -> None:
        db = self.core.db
        for open_nudge in await db.run(lambda s: store.open_nudges(s, program.id)):
            await self.core.publish(
                await db.run(partial(settle, program=program, nudge_id=open_nudge.id, now=now))
            )
        quiet = await db.run(partial(quiet_members, program=program, now=now))
        sent = 0
        for member_id, why in quiet.items():
            notice = await db.run(partial(nudge, program=program, member_id=member_id, why=why, now=now))
            if notice is not None:
                sent += await self.core.notify(notice)
        if quiet:
            log.info("win-back nudges sent", program=program.id, quiet=len(quiet), delivered=sent)
