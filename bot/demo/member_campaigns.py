"""The demo's member campaigns: a few birthdays during the month, and the report of birthdays and win-back
nudges.

Early in the month a few members type ``/birthday MM-DD`` (through the
core, as the adapters would), for days later in the month; the birthday job
(``handlers.campaigns.birthdays``, the real timed job) then runs at each
local midnight of the month, greeting by DM (kept by a recording outlet),
paying the bonus once and inviting a story, and one member shares a story
with the birthday hashtag. Win-back nudges are sent by the real win-back job
after the month (``bot.demo.experiment`` runs it day by day for its A/B
test); the report section lists who was nudged, why, and whether the sample
simulates them as churning, and who came back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.sample import DAYS, START, Person, Sample
from bot.demo.tables import Section
from handlers.campaigns.birthdays import CAMPAIGN, shown
from handlers.config_model import Program, Settings
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.daily import day_start
from handlers.replies import Button, TierChanged
from storage import member_campaigns as store
from storage import members
from storage.ugc import UgcSubmission

BIRTHDAYS = 5
STORY = "Best birthday ever: the community sent me so many wishes! #birthday"


def with_birthdays(settings: Settings) -> Settings:
    """The demo's settings: the first program runs the birthday campaign (off by default)."""
    first = settings.programs[0]
    if first.birthdays.enabled:
        return settings
    birthdays = first.birthdays.model_copy(update={"enabled": True})
    return settings.model_copy(
        update={"programs": (first.model_copy(update={"birthdays": birthdays}), *settings.programs[1:])}
    )


@dataclass
class Greetings:
    """Stands in for the adapters' outlets while the birthday job runs: what was sent, to whom."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.sent.append((community_id, text))

    async def notify(
        self, user_id: str, text: str, buttons: tuple[Button, ...] = (), program_id: str | None = None
    ) -> bool:
        self.sent.append((user_id, text))
        return True

    async def sync_tier(self, event: TierChanged) -> None:
        """A birthday bonus that lifts a tier: no roles to sync in the demo."""


@dataclass(frozen=True)
class Outcome:
    greetings: int
    story: str


class BirthdayDemo:
    def __init__(self, core: Core, program: Program, sample: Sample, seed: int) -> None:
        self.core, self.program, self.sample = core, program, sample
        self.rng = random.Random(f"birthdays:{seed}")
        self.communities = {c.platform: c.id for c in program.communities}

    def _ctx(self, person: Person, event: str, day: int) -> Context | None:
        platform = next((p for p in person.accounts if p in self.communities), None)
        if platform is None:
            return None
        return Context(
            program=self.program,
            platform=platform,
            community_id=self.communities[platform],
            actor=Actor(platform, person.accounts[platform], person.name),
            locale="en",
            event_id=event,
            now=START + timedelta(days=day, hours=12),
            channel_id="general",
        )

    async def run(self) -> Outcome:
        """Birthdays set on day 1 for days 5 to 25, the job run at every local midnight, one story."""
        people = [p for p in self.sample.people if self._ctx(p, "", 0) is not None]
        chosen = self.rng.sample(people, min(BIRTHDAYS, len(people)))
        for i, person in enumerate(chosen):
            day = (START + timedelta(days=self.rng.randint(5, 25))).date()
            ctx = self._ctx(person, f"demo-birthday-{i}", 1)
            assert ctx is not None
            await self.core.command(ctx, "birthday", {"date": shown(day.month, day.day)})
        recorder = Greetings()
        outlets, self.core.outlets = (
            self.core.outlets,
            {c.platform: recorder for c in self.program.communities},
        )
        try:
            for source in self.core.timed_jobs:
                if source.name == "birthdays":
                    for day in range(DAYS):
                        local = START.date() + timedelta(days=day)
                        await source.fire(
                            self.program.id, day_start(local, self.program.timezone) + timedelta(minutes=5)
                        )
        finally:
            self.core.outlets = outlets
        story = ""
        if chosen:
            ctx = self._ctx(chosen[0], "demo-birthday-story", DAYS - 1)
            assert ctx is not None
            await self.core.action(ctx, "ugc.consent")
            story = (await self.core.command(ctx, "submit", {"text": STORY})).text
        return Outcome(len(recorder.sent), story)


async def sections(
    session: AsyncSession, program: Program, sample: Sample, outcome: Outcome
) -> list[Section]:
    birthdays = await store.sends(session, program.id, store.BIRTHDAY)
    nudges = await store.nudges(session, program.id)
    names = await members.display_names(
        session, sorted({s.member_id for s in birthdays} | {n.member_id for n in nudges})
    )
    stories = await session.scalar(
        select(func.count())
        .select_from(UgcSubmission)
        .where(UgcSubmission.program_id == program.id, UgcSubmission.campaign == CAMPAIGN)
    )
    out = [
        Section(
            "Birthdays",
            ("member", "celebrated on", "bonus"),
            [
                (names.get(s.member_id, "?"), s.detail, f"{s.amount:,}")
                for s in sorted(birthdays, key=lambda b: b.detail)
            ],
            note=(
                f"{outcome.greetings} greetings sent by the birthday job at local midnight "
                f"({program.timezone}); bonus once a year (ledger key birthday:{{program}}:{{member}}:{{year}}). "
                f"Birthday stories tagged to the campaign in UGC: {stories}."
            ),
            right=frozenset({2}),
        )
    ]
    churning = {p.name for p in sample.people if p.churning}
    rows = [
        (
            names.get(n.member_id, "?"),
            n.sent_at.date().isoformat(),
            f"{n.usual_gap_days:g}",
            str(n.quiet_days),
            "yes" if names.get(n.member_id) in churning else "no",
            n.status,
        )
        for n in nudges
    ]
    lapsed = sum(1 for r in rows if r[4] == "yes")
    out.append(
        Section(
            "Win-back nudges",
            ("member", "nudged on", "usual gap (days)", "quiet (days)", "simulated churner", "status"),
            rows,
            note=(
                f"{len(nudges)} members nudged after going quiet for longer than {program.winback.factor:g}x "
                f"their own usual gap between active days (or at churn risk >= "
                f"{program.winback.churn_threshold}); {lapsed} of them are members the sample simulates as "
                f"churning; {sum(1 for n in nudges if n.status == store.RETURNED)} came back."
            ),
            right=frozenset({2, 3}),
        )
    )
    return out
