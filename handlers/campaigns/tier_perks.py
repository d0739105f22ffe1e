"""Tier perks: a monthly bonus per tier, an announcement when a member moves up, and the downgrade rule.

``tier_rule: lifetime`` (the default) keeps tiers a function of lifetime
points, which never go down by spending: nobody is ever downgraded.
``rolling_12_months`` reviews every member on the 1st of each month (program
time zone) against the lifetime points they gained in the 12 months before
(``ledger_entries``, one SQL sum; the ledger and lifetime are untouched). A
member whose points fall short of their tier is warned by DM
``tier_warning_days`` before the review, from what they have gained so far
in the window (they can only gain more before it); a member never warned
for a review (a deduction after the warning run) is warned at the review
and reviewed again a month later. So nobody is downgraded without a warning
at least that many days before. A downgrade keeps a ``member_tiers`` row and
publishes ``TierChanged``, so Discord roles follow; a later review that
finds the points back lifts them again. Moving up still happens at once,
when lifetime points cross a threshold, as before: crossing one also ends a
held (downgraded) tier.

Both runs are ``TimedJobs`` rows derived from marks in ``runtime_state``:
the month run (reviews, then bonuses) is due at the next local 1st after the
last month done, the warning run ``tier_warning_days`` before the next
review. Each payment and warning is first claimed in
``member_campaign_sends`` and each bonus keyed
``tier-bonus:{program}:{member}:{YYYY-MM}``, so a restart or a second fire
in the month changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import tiers, validation
from handlers.config_model import Program, Tier
from handlers.daily import NEVER_RAN, day_start, local_day
from handlers.i18n import translate
from handlers.replies import Event, Notify, TierChanged
from handlers.tiers import ROLLING, effective
from handlers.timers import Due
from storage import ledger, locks, members, runtime_state
from storage import member_campaigns as store
from storage.ledger import Posting
from storage.member_campaigns import HeldTier
from storage.models import Reason

if TYPE_CHECKING:
    from handlers.core import Core

log = structlog.get_logger(__name__)
CHUNK = 200
MONTH, WARN = "month", "warn"


def rank(program: Program, tier: str) -> int:
    return next((i for i, t in enumerate(program.tiers) if t.name == tier), 0)


def tier_named(program: Program, name: str) -> Tier:
    return program.tiers[rank(program, name)]


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period(month: date) -> str:
    return month.isoformat()[:7]


def twelve_months_before(day: date, zone: str) -> datetime:
    """Local midnight of the same day 12 months before ``day``, as naive UTC."""
    return day_start(add_months(day.replace(day=1), -12) + timedelta(days=day.day - 1), zone)


def month_key(program_id: str) -> str:
    return f"tier-month:done:{program_id}"


def warn_key(program_id: str) -> str:
    return f"tier-warn:done:{program_id}"


def wanted(program: Program) -> bool:
    return program.tier_rule == ROLLING or any(t.monthly_bonus for t in program.tiers)


async def announce(core: Core, events: Iterable[Event]) -> None:
    """Post "X reached Gold" in the program's communities for each move up, where configured."""
    for event in events:
        if not isinstance(event, TierChanged):
            continue
        program = next((p for p in core.settings.programs if p.id == event.program_id), None)
        if (
            program is None
            or not program.tier_announcements
            or rank(program, event.new_tier) <= rank(program, event.old_tier)
        ):
            continue
        names = await core.db.run(lambda s, e=event: members.display_names(s, [e.member_id]))
        name = validation.shown(names.get(event.member_id, "?"), 40)
        await core.announce(
            program,
            translate("tier.reached", program.locale, name=name, tier=event.new_tier, program=program.name),
        )


# ---- the month run: reviews, then bonuses -------------------------------------------------------


async def _accounts(session: AsyncSession, member_id: int) -> tuple[tuple[str, str], ...]:
    return tuple((i.platform, i.platform_user_id) for i in await members.identities(session, member_id))


async def _month_chunk(
    session: AsyncSession, program: Program, member_ids: list[int], month: date, now: datetime
) -> list[Event]:
    current = await locks.current_members(session, member_ids)
    ids = sorted(set(current.values()))
    await locks.rule_states(session, program.id, ids)
    lifetimes = await store.lifetimes(session, program.id, ids)
    held = await store.held_tiers(session, program.id, ids)
    events: list[Event] = []
    review = _Review(session, program, month, now)
    if program.tier_rule == ROLLING:
        await review.load(ids)
    for member in ids:
        lifetime = lifetimes.get(member, 0)
        tier = effective(program, lifetime, held.get(member))
        if program.tier_rule == ROLLING:
            tier = await review.member(member, tier, lifetime, held.get(member), events)
        events += await _bonus(session, program, member, tier, month, now)
    return events


class _Review:
    """The rolling rule's monthly review of a chunk of members (see the module docstring)."""

    def __init__(self, session: AsyncSession, program: Program, month: date, now: datetime) -> None:
        self.session, self.program, self.month, self.now = session, program, month, now
        self.earned: dict[int, int] = {}
        self.warned: set[int] = set()

    async def load(self, ids: list[int]) -> None:
        zone = self.program.timezone
        start = twelve_months_before(local_day(self.now, zone), zone)
        self.earned = await store.earned_between(self.session, self.program.id, ids, start, self.now)
        self.warned = await store.claimed(
            self.session, self.program.id, ids, store.TIER_WARNING, period(self.month)
        )

    async def member(
        self, member: int, tier: str, lifetime: int, held: HeldTier | None, events: list[Event]
    ) -> str:
        program, session = self.program, self.session
        points = self.earned.get(member, 0)
        target = tiers.tier_for(program, min(points, lifetime))
        if rank(program, target) < rank(program, tier):
            if member not in self.warned:
                events += await warn(
                    session, program, member, tier, points, add_months(self.month, 1), self.now
                )
                return tier
            await store.hold_tier(session, program.id, member, target, lifetime, self.now)
            accounts = await _accounts(session, member)
            events.append(TierChanged(program.id, member, tier, target, accounts))
            events.append(
                Notify(
                    accounts,
                    translate(
                        "tier.downgraded",
                        program.locale,
                        program=program.name,
                        tier=target,
                        old=tier,
                        points=points,
                        needed=tier_named(program, tier).min_points,
                    ),
                )
            )
            return target
        if rank(program, target) > rank(program, tier):
            if target == tiers.tier_for(program, lifetime):
                await store.release_tier(session, program.id, member)
            else:
                await store.hold_tier(session, program.id, member, target, lifetime, self.now)
            events.append(TierChanged(program.id, member, tier, target, await _accounts(session, member)))
            return target
        if held is not None and tier != held.tier:
            await store.release_tier(session, program.id, member)
        return tier


async def warn(
    session: AsyncSession, program: Program, member: int, tier: str, points: int, review: date, now: datetime
) -> list[Event]:
    """The downgrade warning for the review of ``review``, once."""
    needed = tier_named(program, tier).min_points
    if not await store.claim(
        session, program.id, member, store.TIER_WARNING, period(review), points, tier, now
    ):
        return []
    return [
        Notify(
            await _accounts(session, member),
            translate(
                "tier.warning",
                program.locale,
                program=program.name,
                tier=tier,
                date=review.isoformat(),
                points=points,
                needed=needed,
                missing=needed - points,
            ),
        )
    ]


async def _bonus(
    session: AsyncSession, program: Program, member: int, tier: str, month: date, now: datetime
) -> list[Event]:
    amount = tier_named(program, tier).monthly_bonus
    if not amount or not await store.claim(
        session, program.id, member, store.TIER_BONUS, period(month), amount, tier, now
    ):
        return []
    posted = await ledger.post(
        session,
        Posting(
            program_id=program.id,
            member_id=member,
            delta=amount,
            reason=Reason.TIER_BONUS,
            idempotency_key=f"tier-bonus:{program.id}:{member}:{period(month)}",
            reference=f"tier:{tier}",
            note=f"{tier} monthly bonus {period(month)}",
            created_at=now,
        ),
    )
    if posted.duplicate:
        return []
    events: list[Event] = list(
        await tiers.change(session, program, member, posted.old_lifetime, posted.lifetime)
    )
    events.append(
        Notify(
            await _accounts(session, member),
            translate(
                "tier.bonus",
                program.locale,
                program=program.name,
                tier=tier,
                points=amount,
                month=period(month),
            ),
        )
    )
    return events


# ---- the warning run ----------------------------------------------------------------------------


async def _warn_chunk(
    session: AsyncSession, program: Program, member_ids: list[int], review: date, now: datetime
) -> list[Event]:
    current = await locks.current_members(session, member_ids)
    ids = sorted(set(current.values()))
    lifetimes = await store.lifetimes(session, program.id, ids)
    held = await store.held_tiers(session, program.id, ids)
    earned = await store.earned_between(
        session, program.id, ids, twelve_months_before(review, program.timezone), now
    )
    events: list[Event] = []
    for member in ids:
        tier = effective(program, lifetimes.get(member, 0), held.get(member))
        points = earned.get(member, 0)
        if rank(program, tiers.tier_for(program, min(points, lifetimes.get(member, 0)))) < rank(
            program, tier
        ):
            events += await warn(session, program, member, tier, points, review, now)
    return events


class TierPerkTimers:
    """Per program with a monthly bonus or the rolling rule: ``month:<program>`` and, under the rolling
    rule once a month has run, ``warn:<program>``."""

    name = "tier_perks"

    def __init__(self, core: Core) -> None:
        self.core = core

    def _programs(self) -> dict[str, Program]:
        return {p.id: p for p in self.core.settings.programs if wanted(p)}

    async def pending(self) -> list[Due]:
        due = []
        async with self.core.db.unit_of_work() as session:
            for program in self._programs().values():
                last = await runtime_state.last_done(session, month_key(program.id))
                if last is None:
                    due.append(Due(f"{MONTH}:{program.id}", NEVER_RAN))
                    continue
                review = add_months(date.fromisoformat(f"{last}-01"), 1)
                due.append(Due(f"{MONTH}:{program.id}", day_start(review, program.timezone)))
                warned = await runtime_state.last_done(session, warn_key(program.id))
                if program.tier_rule == ROLLING and (warned is None or warned < period(review)):
                    at = day_start(review - timedelta(days=program.tier_warning_days), program.timezone)
                    due.append(Due(f"{WARN}:{program.id}", at))
        return due

    async def fire(self, key: str, now: datetime) -> None:
        kind, _, program_id = key.partition(":")
        program = self._programs().get(program_id)
        if program is None:
            return
        if kind == MONTH:
            await self._month(program, now)
        elif kind == WARN and program.tier_rule == ROLLING:
            await self._warn(program, now)

    async def _month(self, program: Program, now: datetime) -> None:
        db = self.core.db
        month = local_day(now, program.timezone).replace(day=1)
        last = await db.run(lambda s: runtime_state.last_done(s, month_key(program.id)))
        if last is not None and last >= period(month):
            return
        await self._chunks(program, partial(_month_chunk, month=month, now=now))
        await db.run(lambda s: runtime_state.mark_done(s, month_key(program.id), period(month)))
        log.info("tier month ran", program=program.id, month=period(month))

    async def _warn(self, program: Program, now: datetime) -> None:
        db = self.core.db
        last = await db.run(lambda s: runtime_state.last_done(s, month_key(program.id)))
        if last is None:
            return
        review = add_months(date.fromisoformat(f"{last}-01"), 1)
        warned = await db.run(lambda s: runtime_state.last_done(s, warn_key(program.id)))
        if (warned is not None and warned >= period(review)) or now < day_start(
            review - timedelta(days=program.tier_warning_days), program.timezone
        ):
            return
        await self._chunks(program, partial(_warn_chunk, review=review, now=now))
        await db.run(lambda s: runtime_state.mark_done(s, warn_key(program.id), period(review)))
        log.info("tier warnings ran", program=program.id, review=review.isoformat())

    async def _chunks(self, program: Program, work: partial[object]) -> None:
        db = self.core.db
        holders = await db.run(lambda s: store.holders(s, program.id))
        for start in range(0, len(holders), CHUNK):
            ids = holders[start : start + CHUNK]
            events = await db.run(lambda s, chunk=ids: work(s, program=program, member_ids=chunk))
            await self.core.publish(events)
