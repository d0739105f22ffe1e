"""Points expiry, per program (``points_expiry_days``): a ``TimedJobs`` source run once a day.

The FIFO rule (README "Rewards"): every debit (a redemption, a deduction, a
reversal, an earlier expiry) uses up the oldest credits first; points
credited on day C (program time zone) that are still unused at the end of
day C + N expire. Because debits always eat from the oldest end, the points
due to expire by a moment are a closed form of two sums and need no replay
of the history: max(0, credits before the cut - all debits ever). An
expiry is itself a debit, so running the same day again finds nothing left
to expire; each expiry entry is also keyed by member and day.

Warnings go by DM: one for points whose last usable day is today ("1d"),
one for those expiring within the next 2 to 7 days ("7d", so a missed day
or an N under 7 still warns once). ``points_expiry_warnings`` holds one row
per member, last usable day and kind, so each is sent once.

The job's row is the program's last completed day (``runtime_state``): due
at the next local midnight; a bot that was down catches up in one run (the
closed form covers the days missed). Members are handled in chunks, each
chunk one transaction holding the members' locks (the lock order of
``storage.locks``), so a redemption cannot spend points the same moment they
expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.daily import DailyTimers, day_start
from handlers.i18n import translate
from handlers.replies import Notify
from storage import ledger, locks, members, rewards
from storage.ledger import Posting
from storage.models import Reason
from storage.rewards import WARN_1D, WARN_7D, ExpiryWarning, Flow

log = structlog.get_logger(__name__)
CHUNK = 200
WARN_DAYS = 7


def cuts(day: date, days: int, zone: str) -> list[datetime]:
    """Credits made before ``cuts[k]`` are expired by the run of day ``day + k``: the starts of days
    ``day - days + k`` for k = 0 .. 7."""
    first = day - timedelta(days=days)
    return [day_start(first + timedelta(days=k), zone) for k in range(WARN_DAYS + 1)]


@dataclass(frozen=True)
class Plan:
    """What the run of one day does for one member: points to expire now, and the points that will
    expire at the end of each of the next days (last usable day, amount)."""

    member_id: int
    expire: int
    upcoming: tuple[tuple[date, int], ...]


def plan(flow: Flow, day: date) -> Plan:
    expire = max(0, flow.credited[0] - flow.debits)
    debits = flow.debits + expire
    gone_by = [max(0, credited - debits) for credited in flow.credited]
    upcoming = tuple((day + timedelta(days=k - 1), gone_by[k] - gone_by[k - 1])
                     for k in range(1, len(gone_by)) if gone_by[k] > gone_by[k - 1])
    return Plan(flow.member_id, expire, upcoming)


def expiry_key(program_id: str, member_id: int, day: date) -> str:
    return f"expiry:{program_id}:{member_id}:{day.isoformat()}"


async def _chunk(session: AsyncSession, program: Program, member_ids: list[int], day: date,
                 now: datetime) -> list[Notify]:
    """Expire and warn for some members in one transaction; the notices to send after it commits."""
    days = program.points_expiry_days
    assert days is not None
    current = await locks.current_members(session, member_ids)
    ids = sorted(set(current.values()))
    await locks.rule_states(session, program.id, ids)
    plans = [plan(f, day) for f in await rewards.flows(session, program.id, ids, cuts(day, days, program.timezone))]
    postings = [Posting(program_id=program.id, member_id=p.member_id, delta=-p.expire, lifetime_delta=0,
                        reason=Reason.POINTS_EXPIRED, idempotency_key=expiry_key(program.id, p.member_id, day),
                        reference=f"expiry:{day.isoformat()}", note=f"unused for {days} days", created_at=now)
                for p in plans if p.expire]
    if postings:
        await ledger.post_many(session, program.id, postings)
    sent = await rewards.warned(session, program.id, ids, day)
    rows: list[ExpiryWarning] = []
    notices = []
    for p in plans:
        fresh = [(last, amount, WARN_1D if last == day else WARN_7D) for last, amount in p.upcoming]
        fresh = [(last, amount, kind) for last, amount, kind in fresh if (p.member_id, last, kind) not in sent]
        if not fresh:
            continue
        rows += [ExpiryWarning(program_id=program.id, member_id=p.member_id, expires_on=last, kind=kind,
                               amount=amount, sent_at=now) for last, amount, kind in fresh]
        accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, p.member_id))
        notices.append(Notify(accounts, warning_text(program, [(last, amount) for last, amount, _ in fresh])))
    if rows:
        await rewards.record_warnings(session, rows)
    return notices


def warning_text(program: Program, expiring: list[tuple[date, int]]) -> str:
    locale = program.locale
    lines = [translate("expiry.warning", locale, program=program.name, days=program.points_expiry_days)]
    lines += [translate("expiry.line", locale, amount=amount, day=last.isoformat()) for last, amount in expiring]
    lines.append(translate("expiry.hint", locale))
    return "\n".join(lines)


class ExpiryTimers(DailyTimers):
    """One timed row per program with expiry on: its next day to run (see the module docstring).
    Only the current day runs; the closed form covers any days missed."""

    name = "expiry"

    def enabled(self, program: Program) -> bool:
        return program.points_expiry_days is not None

    async def run_day(self, program: Program, day: date, now: datetime) -> None:
        db = self.core.db
        holders = await db.run(lambda s: rewards.holders(s, program.id))
        warned = 0
        for start in range(0, len(holders), CHUNK):
            chunk = partial(_chunk, program=program, member_ids=holders[start:start + CHUNK], day=day, now=now)
            notices = await db.run(chunk)
            warned += len(notices)
            for notice in notices:
                await self.core.notify(notice)
        log.info("points expiry ran", program=program.id, day=day.isoformat(), members=len(holders), warned=warned)
