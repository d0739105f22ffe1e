"""Birthdays: ``/birthday MM-DD``, and on the day a greeting, a bonus once a year and a story invitation.

A birthday is set once per program and may change only 365 days after it
was last set: a member who could move it at will could collect the bonus
every few days. The bonus is also keyed ``birthday:{program}:{member}:{year}``
in the ledger, so even a change allowed a year later pays at most once per
calendar year. 29 February is a valid birthday; in years without it the
member is celebrated on 28 February.

The celebration is a ``TimedJobs`` source with one row per program: the
last local day whose birthdays were celebrated (``runtime_state``), due at
the next local midnight of the program's time zone. A bot that was down
catches up the days it missed (at most ``CATCH_UP_DAYS``). Each member is
one unit of work that first claims ``(birthday, year)`` in
``member_campaign_sends``; a second run, a second process or a restart on
the day finds the claim and sends and pays nothing again.

The greeting invites a story: a submission carrying the birthday hashtag
(``/submit #birthday ...``, or a chat message with it) is stored with
``campaign = birthday`` and shows so in ``/ugc queue`` and the UGC export.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, tiers, validation
from handlers.config_model import Program
from handlers.context import Context
from handlers.daily import DailyTimers
from handlers.errors import UserError
from handlers.experiments import assign
from handlers.experiments.variants import BIRTHDAY_GREETING
from handlers.i18n import translate
from handlers.replies import Notify, Reply, TierChanged
from handlers.ugc import draft
from storage import ledger, locks, members
from storage import member_campaigns as store
from storage.ledger import Posting
from storage.models import Reason

log = structlog.get_logger(__name__)
CAMPAIGN = "birthday"
CHANGE_AFTER = timedelta(days=365)
CATCH_UP_DAYS = 7
LEAP_YEAR = 2000
_DATE = re.compile(r"(\d{1,2})-(\d{1,2})", re.ASCII)


def story_campaign(program: Program, text: str) -> str | None:
    """``birthday`` when a submission's text carries the program's birthday hashtag (campaign on)."""
    settings = program.birthdays
    return CAMPAIGN if settings.enabled and draft.has_hashtag(text, (settings.hashtag,)) else None


def parse(raw: object) -> tuple[int, int]:
    """(month, day) of ``MM-DD``; 02-29 is a day of the year, 02-30 and 13-01 are not."""
    text = validation.shown(raw, 20)
    found = _DATE.fullmatch(text)
    if found is None:
        raise UserError("error.birthday_format", value=text)
    month, day = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12:
        raise UserError("error.birthday_month", value=text)
    days = calendar.monthrange(LEAP_YEAR, month)[1]
    if not 1 <= day <= days:
        raise UserError("error.birthday_day", value=text, days=days)
    return month, day


def shown(month: int, day: int) -> str:
    return f"{month:02d}-{day:02d}"


def celebrated_on(day: date) -> list[tuple[int, int]]:
    """The birthdays celebrated on ``day``: its own, and 02-29 on 28 February of a year without it."""
    days = [(day.month, day.day)]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.append((2, 29))
    return days


# ---- /birthday ----------------------------------------------------------------------------------


async def command(session: AsyncSession, ctx: Context, raw: object) -> Reply:
    """Set (or, with no date, show) the member's birthday."""
    if not ctx.program.birthdays.enabled:
        raise UserError("error.birthday_off")
    if raw is None or str(raw).strip() == "":
        return await _show(session, ctx)
    month, day = parse(raw)
    member_id, _ = await locks.lock_member(session, ctx.program.id, await targets.actor_member(session, ctx))
    row = await store.birthday(session, ctx.program.id, member_id)
    if row is not None and (row.month, row.day) == (month, day):
        return Reply(translate("birthday.unchanged", ctx.locale, date=shown(month, day)), private=True)
    if row is not None and ctx.now < row.set_at + CHANGE_AFTER:
        raise UserError(
            "error.birthday_locked",
            date=shown(row.month, row.day),
            since=row.set_at.date().isoformat(),
            next=(row.set_at + CHANGE_AFTER).date().isoformat(),
        )
    await store.set_birthday(session, ctx.program.id, member_id, month, day, ctx.now)
    lines = [
        translate(
            "birthday.set",
            ctx.locale,
            date=shown(month, day),
            next=(ctx.now + CHANGE_AFTER).date().isoformat(),
        )
    ]
    if (month, day) == (2, 29):
        lines.append(translate("birthday.leap", ctx.locale))
    return Reply("\n".join(lines), private=True)


async def _show(session: AsyncSession, ctx: Context) -> Reply:
    found = await members.find(session, ctx.actor.platform, ctx.actor.user_id)
    row = None if found is None else await store.birthday(session, ctx.program.id, found.member_id)
    if row is None:
        return Reply(translate("birthday.none", ctx.locale), private=True)
    return Reply(
        translate(
            "birthday.current",
            ctx.locale,
            date=shown(row.month, row.day),
            next=(row.set_at + CHANGE_AFTER).date().isoformat(),
        ),
        private=True,
    )


# ---- the day ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Greeting:
    member_id: int
    accounts: tuple[tuple[str, str], ...]
    text: str
    events: tuple[TierChanged, ...]


async def celebrate(
    session: AsyncSession, program: Program, member_id: int, day: date, now: datetime
) -> Greeting | None:
    """Claim this year's birthday of one member, pay the bonus and write the greeting; None when this
    year's was already given."""
    settings = program.birthdays
    member, _ = await locks.lock_member(session, program.id, member_id)
    year = str(day.year)
    if not await store.claim(
        session, program.id, member, store.BIRTHDAY, year, settings.bonus, day.isoformat(), now
    ):
        return None
    events: tuple[TierChanged, ...] = ()
    if settings.bonus:
        posted = await ledger.post(
            session,
            Posting(
                program_id=program.id,
                member_id=member,
                delta=settings.bonus,
                reason=Reason.BIRTHDAY_BONUS,
                idempotency_key=f"birthday:{program.id}:{member}:{year}",
                reference=f"birthday:{year}",
                note=f"birthday {day.isoformat()}",
                created_at=now,
            ),
        )
        if not posted.duplicate:
            events = await tiers.change(session, program, member, posted.old_lifetime, posted.lifetime)
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, member))
    name = validation.shown((await members.display_names(session, [member])).get(member, "?"), 40)
    fields = {"name": name, "program": program.name}
    lines = [
        await assign.variant_text(
            session,
            program,
            BIRTHDAY_GREETING,
            member,
            translate("birthday.greeting", program.locale, **fields),
            now,
            program.locale,
            fields,
        )
    ]
    if settings.bonus:
        lines.append(translate("birthday.bonus", program.locale, points=settings.bonus))
    lines.append(translate("birthday.story", program.locale, hashtag=settings.hashtag))
    return Greeting(member, accounts, "\n".join(lines), events)


class BirthdayTimers(DailyTimers):
    """Each program with birthdays on greets, once a local day, the members born on that day."""

    name = "birthdays"
    catch_up_days = CATCH_UP_DAYS

    def enabled(self, program: Program) -> bool:
        return program.birthdays.enabled

    async def run_day(self, program: Program, day: date, now: datetime) -> None:
        db = self.core.db
        born = await db.run(lambda s: store.born_on(s, program.id, celebrated_on(day)))
        for member_id in born:
            greeting = await db.run(
                partial(celebrate, program=program, member_id=member_id, day=day, now=now)
            )
            if greeting is None:
                continue
            await self.core.publish(greeting.events)
            if program.birthdays.where == "group":
                await self.core.announce(program, greeting.text)
            else:
                await self.core.notify(Notify(greeting.accounts, greeting.text, program_id=program.id))
        if born:
            log.info("birthdays celebrated", program=program.id, day=day.isoformat(), members=len(born))
